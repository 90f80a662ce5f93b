/**
 * Anomaly alerts on the real stack: two NAB series replayed through the processor, ending now
 * (test/fixtures/nab-replay.json: 570 five-minute rows each). The one with a labelled jump
 * publishes exactly one alert on alerts.v1, inside the labelled window; the artificial one
 * without anomalies publishes none. The detector and threshold are the ones NAB was scored with.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { AnomalyAlert, MetricSample } from '../../src/codec/generated-types.js';
import { ANOMALY_THRESHOLD, ANOMALY_VERSION } from '../../src/scoring/anomaly-detector.js';
import { PROJECT_ROOT } from '../../src/util/paths.js';
import { testConfig, testEnv } from '../helpers/env.js';
import { readTopic, testKafka } from '../helpers/kafka.js';
import { runProcessorUntil } from '../helpers/processor.js';
import { produceSamples, testCodec } from '../helpers/produce.js';
import { totalApplied } from '../helpers/windows.js';

const STEP = 300_000;
const fixture = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'nab-replay.json'), 'utf8')) as {
  labelledWindow: [number, number];
  withAnomaly: number[];
  withoutAnomaly: number[];
};
const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

function sample(name: string, value: number, eventTime: number): MetricSample {
  return { cluster: 'test', namespace: 'nab', kind: 'Deployment', name, container: null, metric: 'cpu_usage', unit: '{cpu}', value, eventTime, attributes: {} };
}

describe('anomaly alerts', () => {
  it('publishes one alert inside the labelled window of a replayed NAB series, none on a series without anomalies', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_REPLAY_HISTORY: 'true' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    // row i at start + i steps; the last row ends now (the fine windows hold 48 h of wall time)
    const n = fixture.withAnomaly.length;
    const start = Math.floor(Date.now() / STEP) * STEP - n * STEP;
    const at = (i: number): number => start + i * STEP;
    const samples = [...fixture.withAnomaly.map((v, i) => sample('jump', v, at(i))), ...fixture.withoutAnomaly.map((v, i) => sample('steady', v, at(i)))].sort(
      (a, b) => a.eventTime - b.eventTime,
    );
    await produceSamples(kafka, cfg, codec, samples);
    const alertsOf = async (): Promise<AnomalyAlert[]> =>
      (await Promise.all((await readTopic(kafka, cfg.topics.alerts, 3_000)).map((m) => codec.decode<AnomalyAlert>(m.message.value, 'AnomalyAlert')))).filter(
        (a) => a.budget === null,
      );
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length && (await alertsOf()).length > 0, 120_000);
    const alerts = await alertsOf();
    const shown = JSON.stringify(alerts.map((a) => [a.name, new Date(a.eventTime).toISOString(), a.score]));
    assert.equal(alerts.filter((a) => a.name === 'steady').length, 0, `no alert on the series without anomalies: ${shown}`);
    const jump = alerts.filter((a) => a.name === 'jump');
    assert.equal(jump.length, 1, `exactly one alert on the labelled series: ${shown}`);
    const [first, last] = fixture.labelledWindow;
    assert.ok(jump[0].eventTime >= at(first) && jump[0].eventTime <= at(last), `the alert is inside the labelled window: ${shown}`);
    assert.ok(jump[0].score >= ANOMALY_THRESHOLD && jump[0].threshold === ANOMALY_THRESHOLD && jump[0].modelVersion === ANOMALY_VERSION);
  });
});
