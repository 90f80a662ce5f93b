import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetricSample } from '../../../src/codec/generated-types.js';
import { checkReading, checkSample, seriesIdOf } from '../../../src/codec/metric-sample.js';
import { SampleReader } from '../../../src/codec/sample-reader.js';
import { avroType } from '../../../src/codec/schemas.js';
import { loadConfig } from '../../../src/config/config.js';

const ID = 7;
const T = Date.UTC(2026, 10, 27, 10, 0, 0);

const sample = (over: Partial<MetricSample> = {}): MetricSample => ({
  cluster: 'prod',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'web',
  container: 'app',
  metric: 'cpu_usage',
  unit: '{cpu}',
  value: 0.25,
  eventTime: T,
  attributes: {},
  ...over,
});

/** Confluent wire format: magic byte, schema id, Avro body. */
function frame(s: MetricSample, id = ID, tail = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(id, 1);
  return Buffer.concat([head, avroType('MetricSample').toBuffer(s), tail]);
}

describe('the short path of Avro metric samples (sample-reader.ts)', () => {
  it('reads nothing before the general path has accepted the identity, then what avsc reads', () => {
    const r = new SampleReader(ID);
    const s = sample({ attributes: { pod: 'web-1', zone: 'a' } });
    assert.equal(r.read(frame(s)), false);
    r.remember(frame(s), s);
    for (const next of [s, sample({ value: 0, eventTime: T + 15_000, unit: 'By' }), sample({ value: 1e18, attributes: {} })]) {
      assert.equal(r.read(frame(next)), true);
      assert.deepEqual([r.seriesId, r.metric, r.value, r.eventTime], [seriesIdOf(next), next.metric, next.value, next.eventTime]);
    }
    // a workload-level sample (container null) is another identity
    const workload = sample({ container: null });
    assert.equal(r.read(frame(workload)), false);
    r.remember(frame(workload), workload);
    assert.equal(r.read(frame(workload)), true);
    assert.equal(r.seriesId, 'prod/shop/Deployment/web/-/cpu_usage');
  });

  it('leaves to the general path another schema id, trailing or missing bytes, and an identity that failed its checks', () => {
    const r = new SampleReader(ID);
    const s = sample();
    r.remember(frame(s), s);
    assert.equal(r.read(frame(s, ID + 1)), false);
    assert.equal(r.read(frame(s, ID, Buffer.from([0]))), false);
    assert.equal(r.read(frame(s).subarray(0, frame(s).length - 1)), false);
    assert.equal(r.read(null), false);
    const bad = sample({ namespace: 'Not_A_Namespace' });
    r.remember(frame(bad), bad); // not cached: identityProblem refuses it
    assert.equal(r.read(frame(bad)), false);
  });

  it('checks the value and event time as checkSample does, with the same reasons', () => {
    const cfg = loadConfig({}).ingest;
    const r = new SampleReader(ID);
    r.remember(frame(sample()), sample());
    for (const over of [{ value: -1 }, { value: 2e18 }, { value: Number.NaN }, { eventTime: Date.now() + 3_600_000 }]) {
      const s = sample(over);
      assert.equal(r.read(frame(s)), true);
      const short = (() => {
        try {
          checkReading(r, cfg);
        } catch (e) {
          return e as Error & { reason: string };
        }
      })();
      assert.throws(
        () => checkSample(s, cfg),
        (e: Error & { reason: string }) => e.reason === short?.reason && e.message === short.message,
      );
    }
  });
});
