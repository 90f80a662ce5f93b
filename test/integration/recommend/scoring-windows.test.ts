/**
 * The final wiring of scoring: series windows written by the processor in Redis become the
 * forecaster's inputs (24 hours of 5-minute means, read in one round trip for many series)
 * and are forecast in one batched inference call.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { seriesIdOf } from '../../../src/codec/metric-sample.js';
import { Forecaster } from '../../../src/scoring/forecaster.js';
import { historiesFromWindows } from '../../../src/recommend/window-history.js';
import { WindowStore } from '../../../src/windows/window-store.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, sample, testCodec } from '../../helpers/produce.js';
import { totalApplied } from '../../helpers/windows.js';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

describe('scoring from the windows', () => {
  it('turns 24 hours of minute buckets into the forecaster inputs and forecasts a batch', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
    const cfg = testConfig(env);
    const end = Math.floor(Date.now() / 300_000) * 300_000;
    const start = end - 25 * 3_600_000;
    const minutes = (end - start) / 60_000;
    const level = (name: string, m: number): number => (name === 'a' ? 100 : 10) * (1.5 + Math.sin((2 * Math.PI * m) / 1440)) + (m % 3);
    const samples = ['a', 'b']
      .flatMap((name) => Array.from({ length: minutes }, (_, m) => sample(name, level(name, m), start + m * 60_000 + 1_000)))
      .filter((_, i) => i % 97 !== 5); // a few missing minutes
    // a spike of a (its minutes 9 and 8 before `hourEnd`, in the 5-minute step before the hour's last): the detector's
    // long range (the hours before the newest step's hour) holds it only when the newest step is not in that hour
    const hourEnd = Math.floor(end / 3_600_000) * 3_600_000;
    for (const s of samples) if (s.name === 'a' && s.eventTime >= hourEnd - 9 * 60_000 && s.eventTime < hourEnd - 7 * 60_000) s.value = 1000;
    await produceSamples(testKafka(cfg), cfg, await testCodec(cfg), samples);
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length);

    const store = new WindowStore(redis, cfg.redis.keyPrefix);
    const ref = { topic: cfg.topics.metrics, partition: 0 };
    const ids = ['a', 'b'].map((n) => seriesIdOf(sample(n, 0, 0)));
    const [ha, hb, none] = await historiesFromWindows(
      store,
      [
        { ref, seriesId: ids[0] },
        { ref, seriesId: ids[1] },
        { ref, seriesId: 'no/such/series' },
      ],
      end,
    );
    assert.equal(none, undefined);
    // expected: mean of the samples in each 5-minute step of the last 24 hours
    for (const [name, h] of [
      ['a', ha],
      ['b', hb],
    ] as const) {
      assert.ok(h);
      assert.equal(h.history.length, 288);
      assert.equal(h.timeS, (end - 300_000) / 1000);
      for (const k of [0, 100, 287]) {
        const from = end - (288 - k) * 300_000;
        const inStep = samples.filter((s) => s.name === name && s.eventTime >= from && s.eventTime < from + 300_000).map((s) => s.value);
        const mean = inStep.reduce((x, y) => x + y, 0) / inStep.length;
        assert.ok(Math.abs(h.history[k] - mean) < 1e-9 * mean, `${name} step ${k}: ${h.history[k]} vs ${mean}`);
      }
      // the coarse context: the hourly buckets' means of the 168 complete hours before the current one, NaN before the data
      assert.ok(h.coarse && h.coarse.length === 168);
      for (const k of [167, 150]) {
        const from = hourEnd - (168 - k) * 3_600_000;
        const inHour = samples.filter((s) => s.name === name && s.eventTime >= from && s.eventTime < from + 3_600_000).map((s) => s.value);
        const mean = inHour.reduce((x, y) => x + y, 0) / inHour.length;
        assert.ok(Math.abs(h.coarse[k] - mean) < 1e-9 * mean, `${name} hour ${k}: ${h.coarse[k]} vs ${mean}`);
      }
      assert.ok(Number.isNaN(h.coarse[0]), 'no data a week ago');
    }
    // the anomaly detector's long range: the hour buckets' min and max of the 168 hours before the newest step's hour
    const aValues = (from: number, to: number): number[] =>
      samples.filter((s) => s.name === 'a' && s.eventTime >= from && s.eventTime < to).map((s) => s.value);
    const [onHour, afterHour] = await historiesFromWindows(
      store,
      [
        { ref, seriesId: ids[0], endMs: hourEnd }, // newest step [hourEnd − 5 min, hourEnd): the spike's hour is its own
        { ref, seriesId: ids[0], endMs: hourEnd + 300_000 }, // newest step in the next hour: the spike's hour is before it
      ],
      0,
    );
    const before = aValues(hourEnd - 169 * 3_600_000, hourEnd - 3_600_000);
    const close = (got: number, want: number): boolean => Math.abs(got - want) <= 1e-6 * Math.abs(want); // float32 bounds
    assert.ok(close(onHour!.long.hi, Math.max(...before)) && onHour!.long.hi < 1000, `hi ${onHour!.long.hi} vs ${Math.max(...before)}`);
    assert.ok(close(onHour!.long.lo, Math.min(...before)), `lo ${onHour!.long.lo} vs ${Math.min(...before)}`);
    assert.equal(afterHour!.long.hi, 1000, 'the hour before holds the spike');
    const f = await Forecaster.load();
    const [fa, fb] = await f.forecast([ha!, hb!]);
    for (const fc of [fa, fb]) assert.ok(fc.q50 > 0 && fc.q50 <= fc.q90 && fc.q90 <= fc.q99);
    assert.ok(fa.q90 > 5 * fb.q90, "forecasts follow each series' level");
  });
});
