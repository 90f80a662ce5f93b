/**
 * Event-time windows on the real stack: out-of-order events within the lateness give the
 * same windows as in order; later events are dead-lettered as `late`; redelivering batches
 * (the consumer group rewound to the start) changes nothing; quantiles read from the windows
 * are within the sketch's stated error of the exact quantiles; the apply script's merge gives
 * byte for byte what bucket-codec.ts encodes for the merged values, at every resolution, and
 * so does its short path for a one-sample delta.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { DeadLetter } from '../../../src/codec/generated-types.js';
import { seriesIdOf } from '../../../src/codec/metric-sample.js';
import { aggregateBatch } from '../../../src/windows/aggregate.js';
import { encodeBucket } from '../../../src/windows/bucket-codec.js';
import { bucketIndex, chunkIndex, RESOLUTIONS } from '../../../src/windows/resolutions.js';
import { addValue, emptySummary, RELATIVE_ERROR } from '../../../src/windows/sketch.js';
import { rangeSummary, statsOf } from '../../../src/windows/window-query.js';
import { LUA_DIR } from '../../../src/windows/scripts.js';
import { WindowStore } from '../../../src/windows/window-store.js';
import { sleep } from '../../../src/util/retry.js';
import { testConfig, testEnv, testRedis } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { normaliseTopic, runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, sample, testCodec } from '../../helpers/produce.js';
import { snapshotWindows, totalApplied } from '../../helpers/windows.js';

const redis = testRedis();
after(() => redis.disconnect());

/** A permutation that shuffles within consecutive blocks, so nothing moves more than `block` places. */
function shuffledWithin(n: number, block: number, seed = 7): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  let s = seed;
  for (let b = 0; b < n; b += block) {
    for (let i = Math.min(n, b + block) - 1; i > b; i--) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      const j = b + (s % (i - b + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
  }
  return idx;
}

describe('event-time windows', () => {
  const t0 = Date.now() - 6 * 3_600_000;
  // 3 series, one sample every 20 s for 2 hours; values multiples of 1/8
  const inOrder = Array.from({ length: 3 * 360 }, (_, i) => sample(`w${i % 3}`, ((i * 37) % 101) / 8, t0 + Math.floor(i / 3) * 20_000));

  it('out-of-order events within the lateness give the same windows as in order', async () => {
    const envA = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
    const envB = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
    const [cfgA, cfgB] = [testConfig(envA), testConfig(envB)];
    const kafka = testKafka(cfgA);
    // disorder of up to 20 positions = at most ~140 s of event time, within the 600 s lateness
    const order = shuffledWithin(inOrder.length, 20);
    await produceSamples(kafka, cfgA, await testCodec(cfgA), inOrder);
    await produceSamples(
      kafka,
      cfgB,
      await testCodec(cfgB),
      order.map((i) => inOrder[i]),
    );
    await runProcessorUntil(envA, async () => (await totalApplied(redis, cfgA.redis.keyPrefix)) >= inOrder.length);
    await runProcessorUntil(envB, async () => (await totalApplied(redis, cfgB.redis.keyPrefix)) >= inOrder.length);
    const a = normaliseTopic(await snapshotWindows(redis, cfgA.redis.keyPrefix), cfgA.topics.metrics);
    const b = normaliseTopic(await snapshotWindows(redis, cfgB.redis.keyPrefix), cfgB.topics.metrics);
    assert.ok(Object.keys(a).length > 0);
    assert.deepEqual(b, a);
    assert.equal((await readTopic(kafka, cfgB.topics.deadletter)).length, 0, 'nothing late');
  });

  it('dead-letters events later than the allowed lateness with reason late, and counts them', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_ALLOWED_LATENESS_MS: '60000' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const samples = [
      sample('w', 1, t0 + 600_000),
      sample('w', 2, t0 + 540_000),
      sample('w', 3, t0 + 539_999),
      sample('w', 4, t0),
      sample('w', 5, t0 + 600_001),
    ];
    await produceSamples(kafka, cfg, await testCodec(cfg), samples);
    const out = await runProcessorUntil(
      env,
      async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= 3 && (await readTopic(kafka, cfg.topics.deadletter)).length >= 2,
    );
    const codec = await testCodec(cfg);
    const letters = await Promise.all((await readTopic(kafka, cfg.topics.deadletter)).map((l) => codec.decode<DeadLetter>(l.message.value, 'DeadLetter')));
    assert.deepEqual(letters.map((l) => [l.sourceOffset, l.reason]).sort(), [
      [2, 'late'],
      [3, 'late'],
    ]);
    assert.match(letters[0].detail, /behind the series' newest event \(allowed 60 s\)/);
    assert.equal(await totalApplied(redis, cfg.redis.keyPrefix), 3);
    assert.match(out, /message dead-lettered/);
  });

  it('redelivered batches change nothing (the consumer group rewound to the start)', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '2' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    await produceSamples(kafka, cfg, await testCodec(cfg), inOrder);
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= inOrder.length);
    const before = await snapshotWindows(redis, cfg.redis.keyPrefix);
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: cfg.processorGroup, topic: cfg.topics.metrics, earliest: true });
    await admin.disconnect();
    let started = 0;
    const out = await runProcessorUntil(env, async () => {
      started++;
      return started > 25; // ~5 s: enough for the whole topic to be fetched again
    });
    await sleep(200);
    assert.match(out, /joined consumer group/);
    assert.deepEqual(await snapshotWindows(redis, cfg.redis.keyPrefix), before);

    // The same at the store level: the same batch applied twice is refused the second time.
    const store = new WindowStore(redis, cfg.redis.keyPrefix);
    const ref = { topic: cfg.topics.metrics, partition: 0 };
    const applied = await store.appliedOffset(ref);
    const { aggregateBatch } = await import('../../../src/windows/aggregate.js');
    const agg = aggregateBatch([{ message: 0, seriesId: 'x', eventTime: t0, value: 1 }], new Map(), 600_000);
    const res = await store.applyBatch(ref, applied - 1n, String(applied), agg, 0);
    assert.deepEqual(res, { status: 'stale', storedOffset: applied });
    assert.deepEqual(await snapshotWindows(redis, cfg.redis.keyPrefix), before);
  });

  it('answers quantiles within the sketch error of the exact quantiles of the raw values', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    // 10 minutes inside the minute buckets' 2 h retention: a chunk holding the first events expires 2 h after its end,
    // which lay seconds after a start of exactly 2 h ago once (its 7 events were gone before the read)
    const start = Date.now() - 2 * 3_600_000 + 600_000;
    const values = Array.from({ length: 3000 }, (_, i) => Math.exp(Math.sin(i * 12.9898) * 4) * 10);
    await produceSamples(
      kafka,
      cfg,
      await testCodec(cfg),
      values.map((v, i) => sample('q', v, start + i * 1000)),
    );
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= values.length);
    const store = new WindowStore(redis, cfg.redis.keyPrefix);
    const id = seriesIdOf(sample('q', 0, 0));
    const ref = { topic: cfg.topics.metrics, partition: 0 };
    const sorted = [...values].sort((a, b) => a - b);
    // 'coarse' over 10 days reads hours for the last 7 and 6-hour buckets before them (window-query.ts)
    for (const [resolution, from] of [
      ['fine', start],
      ['coarse', start],
      ['quarter', start],
      ['coarse', start - 10 * 86_400_000],
    ] as const) {
      const { summary, buckets } = await rangeSummary(store, ref, id, resolution, from, start + 3000 * 1000);
      const st = statsOf(summary, buckets);
      assert.equal(st.count, values.length, `${resolution} from ${from}`);
      for (const [q, got] of [
        [0.5, st.p50],
        [0.9, st.p90],
        [0.95, st.p95],
        [0.99, st.p99],
      ] as const) {
        const exact = sorted[Math.floor(q * (sorted.length - 1))];
        assert.ok(Math.abs(got - exact) <= RELATIVE_ERROR * exact, `${resolution} p${q * 100}: ${got} vs ${exact}`);
      }
    }
  });

  it('merges in Lua to the bytes Node encodes for the merged values (runs, gaps, zeros, counts of 128 and more)', async () => {
    const prefix = `wmerge-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const store = new WindowStore(redis, prefix);
    const ref = { topic: 'merge', partition: 0 };
    const t = Math.floor((Date.now() - 30 * 60_000) / 3_600_000) * 3_600_000 + 60_000; // one minute, five minutes and hour
    // three batches into the same buckets: a run of bins, far outliers (gaps), a zero, 200 equal values;
    // dyadic values, so that sums are exact in any order
    const batches = [[1, 1.03125, 1.0625, 1.09375, 1.125], [0, 2 ** 20, 2 ** -10, 1.03125], Array.from({ length: 200 }, () => 1.078125)];
    const all = emptySummary();
    let applied = -1n;
    const watermarks = new Map<string, number>();
    for (const values of batches) {
      const agg = aggregateBatch(
        values.map((value, i) => ({ message: i, seriesId: 's', eventTime: t + i, value })),
        watermarks,
        600_000,
      );
      const out = await store.applyBatch(ref, applied, String(applied + 1n), agg, 0);
      assert.equal(out.status, 'applied');
      applied++;
      for (const [id, w] of agg.watermarks) watermarks.set(id, w);
      for (const v of values) addValue(all, v);
    }
    for (const res of RESOLUTIONS) {
      const b = bucketIndex(res, t);
      const key = store.chunkKey(ref, 's', res, chunkIndex(res, b));
      const stored = await redis.hgetBuffer(key, String(b - chunkIndex(res, b) * res.chunkBuckets));
      assert.deepEqual(stored, encodeBucket(all, res.sketch), res.name);
    }
    await redis.del(...RESOLUTIONS.map((res) => store.chunkKey(ref, 's', res, chunkIndex(res, bucketIndex(res, t)))));
    await redis.del(store.appliedKey(ref), store.seriesKey(ref));
  });

  it("merges a one-sample delta (the flowing case: one bin a bucket holds, a new bin, or a zero) to Node's bytes", async () => {
    const merge = `${readFileSync(path.join(LUA_DIR, 'includes', 'mergeBucket.lua'), 'utf8')}\nreturn mergeBucket(ARGV[1], ARGV[2])`;
    let seed = 11;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 200; t++) {
      const a = emptySummary();
      const values = Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => (rnd() < 0.1 ? 0 : 2 ** Math.round(rnd() * 256 - 128) / 64));
      for (const v of values) addValue(a, v);
      // a value a holds (its bin exists), a zero, or one anywhere (a new bin, maybe outside a's span); once or a few times
      const pick = rnd() < 0.15 ? 0 : rnd() < 0.6 ? values[Math.floor(rnd() * values.length)] : 2 ** Math.round(rnd() * 512 - 256) / 128;
      const b = emptySummary();
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) addValue(b, pick);
      const merged = emptySummary();
      for (const v of [...values, ...Array.from({ length: b.count }, () => pick)]) addValue(merged, v);
      const got = (await redis.callBuffer('EVAL', merge, 0, encodeBucket(a), encodeBucket(b))) as Buffer;
      assert.deepEqual(got, encodeBucket(merged), `case ${t}: ${JSON.stringify(values)} + ${b.count} × ${pick}`);
    }
  });
});
