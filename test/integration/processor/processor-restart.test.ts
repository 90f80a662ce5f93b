/**
 * Stopping the processor mid-stream loses nothing and double-counts nothing: after SIGKILL
 * (a crash) or SIGTERM (graceful) and a restart, the windows are identical, field by field,
 * to those of an uninterrupted run over the same input; and after SIGTERM the offsets
 * committed to Kafka never run ahead of what Redis applied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep, waitFor } from '../../../src/util/retry.js';
import { startCli } from '../../helpers/cli.js';
import { testConfig, testEnv, testRedis, uniqueId } from '../../helpers/env.js';
import { testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, sample, testCodec } from '../../helpers/produce.js';
import { assertCommittedWithinApplied, snapshotWindows, totalApplied } from '../../helpers/windows.js';

const EVENTS = 24_000;
const SERIES = 40;

describe('processor restarts', () => {
  const env = testEnv();
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const redis = testRedis(env);
  let reference: Awaited<ReturnType<typeof snapshotWindows>>;
  after(() => redis.disconnect());

  before(async () => {
    const codec = await testCodec(cfg);
    const t0 = Date.now() - 3 * 3_600_000;
    // One event per series every 2 s of event time, with a little disorder within the allowed
    // lateness; values are multiples of 1/4 so float sums are exact in any order.
    const samples = Array.from({ length: EVENTS }, (_, i) => {
      const jitter = i % 7 === 0 ? -90_000 : 0;
      return sample(`w${i % SERIES}`, (i % 17) / 4, t0 + Math.floor(i / SERIES) * 2_000 + jitter);
    });
    await produceSamples(kafka, cfg, codec, samples);
    // The uninterrupted reference run, in its own consumer group and key prefix.
    const refEnv = { ...env, FORESIGHT_PROCESSOR_GROUP: uniqueId('ref'), FORESIGHT_REDIS_KEY_PREFIX: uniqueId('ref') };
    await runProcessorUntil(refEnv, async () => (await totalApplied(redis, refEnv.FORESIGHT_REDIS_KEY_PREFIX)) >= EVENTS, 120_000);
    reference = await snapshotWindows(redis, refEnv.FORESIGHT_REDIS_KEY_PREFIX);
    assert.ok(Object.keys(reference).length >= SERIES * 2);
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal} mid-stream and a restart give the same windows as an uninterrupted run`, async () => {
      // small fetches (many batches), so the stop lands mid-stream: with the default 4 MiB one batch
      // held every event, and the processor was stopped after all 24,000 were applied
      const runEnv = {
        ...env,
        FORESIGHT_PROCESSOR_GROUP: uniqueId(signal),
        FORESIGHT_REDIS_KEY_PREFIX: uniqueId(signal),
        FORESIGHT_FETCH_MAX_BYTES: String(16 * 1024),
      };
      const prefix = runEnv.FORESIGHT_REDIS_KEY_PREFIX;
      const first = startCli(['processor'], runEnv);
      assert.ok(await waitFor(async () => (await totalApplied(redis, prefix)) > 0, 60_000, 20), `nothing applied:\n${first.output().slice(-2000)}`);
      first.child.kill(signal);
      const code = await first.exited;
      const atStop = await totalApplied(redis, prefix);
      if (signal === 'SIGTERM') {
        assert.equal(code, 0, `graceful exit expected:\n${first.output().slice(-2000)}`);
        assert.match(first.output(), /shutting down: finishing the batch in hand/);
        await assertCommittedWithinApplied(kafka, redis, prefix, runEnv.FORESIGHT_PROCESSOR_GROUP, cfg.topics.metrics);
      } else {
        assert.equal(code, 'SIGKILL');
      }
      console.log(`# ${signal}: ${atStop} of ${EVENTS} events applied when stopped`);
      assert.ok(atStop < EVENTS, `stopped after every event was applied (${atStop}): not mid-stream`);

      const second = startCli(['processor'], runEnv);
      try {
        assert.ok(
          await waitFor(async () => (await totalApplied(redis, prefix)) >= EVENTS, 120_000, 200),
          `not all applied after restart:\n${second.output().slice(-2000)}`,
        );
        await sleep(1_500); // any redelivered batch arrives now, and must change nothing
        assert.deepEqual(await snapshotWindows(redis, prefix), reference);
        assert.doesNotMatch(second.output(), /Redis lost this partition/, 'a restart is no loss of Redis state');
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    });
  }
});
