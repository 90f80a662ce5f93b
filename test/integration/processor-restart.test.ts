/**
 * Stopping the processor mid-stream loses nothing and double-counts nothing: after SIGTERM
 * (graceful) or SIGKILL (crash) and a restart, every event is applied exactly once in
 * effect, and the offsets committed to Kafka never run ahead of what Redis applied.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TotalsStore } from '../../src/windows/totals-store.js';
import { sleep, waitFor } from '../../src/util/retry.js';
import { startCli } from '../helpers/cli.js';
import { testConfig, testEnv } from '../helpers/env.js';
import { committedOffsets, testKafka } from '../helpers/kafka.js';
import { produceSamples, sample, testCodec } from '../helpers/produce.js';

const EVENTS = 30_000;
const SERIES = 40;

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  describe(`processor stopped with ${signal} mid-stream`, () => {
    const env = testEnv();
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const redis = new Redis(cfg.redis.url);
    after(() => redis.disconnect());

    it('applies every event exactly once after a restart', async () => {
      const codec = await testCodec(cfg);
      const t0 = Date.now();
      // Values are multiples of 1/4 so float sums are exact whatever the order.
      const samples = Array.from({ length: EVENTS }, (_, i) => sample(`w${i % SERIES}`, (i % 17) / 4, t0 + i));
      const expected = await produceSamples(kafka, cfg, codec, samples);
      const store = new TotalsStore(redis, cfg.redis.keyPrefix);
      const appliedCount = async (): Promise<number> => [...(await store.totals(cfg.topics.metrics)).values()].reduce((a, t) => a + t.count, 0);

      const first = startCli(['processor'], env);
      assert.ok(await waitFor(async () => (await appliedCount()) > 0, 60_000, 20), `nothing applied:\n${first.output().slice(-2000)}`);
      first.child.kill(signal);
      const code = await first.exited;
      const atStop = await appliedCount();
      if (signal === 'SIGTERM') {
        assert.equal(code, 0, `graceful exit expected:\n${first.output().slice(-2000)}`);
        assert.match(first.output(), /shutting down: finishing the batch in hand/);
        // Offsets committed to Kafka never run ahead of the offsets Redis applied.
        const committed = await committedOffsets(kafka, cfg.processorGroup, cfg.topics.metrics);
        for (const [partition, next] of committed) {
          const applied = await store.appliedOffset(cfg.topics.metrics, partition);
          assert.ok(next <= applied + 1n, `partition ${partition}: committed ${next} but applied only up to ${applied}`);
        }
      } else {
        assert.equal(code, 'SIGKILL');
      }
      console.log(`# ${signal}: ${atStop} of ${EVENTS} events applied when stopped`);

      const second = startCli(['processor'], env);
      try {
        assert.ok(await waitFor(async () => (await appliedCount()) >= EVENTS, 90_000, 100), `not all applied after restart:\n${second.output().slice(-2000)}`);
        await sleep(1_500); // let any redelivered batch arrive: it must change nothing
        const totals = await store.totals(cfg.topics.metrics);
        assert.equal(totals.size, SERIES);
        for (const [id, e] of expected) {
          assert.deepEqual({ count: totals.get(id)?.count, sum: totals.get(id)?.sum }, e, id);
        }
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    });
  });
}
