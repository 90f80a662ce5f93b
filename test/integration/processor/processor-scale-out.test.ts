/**
 * Scaling the processor out and in while events flow (its Deployment has an HPA): a second
 * instance joins the consumer group mid-stream and the first leaves later, so partitions move
 * while batches are in flight in the pipelined consumer. The windows must equal, field by
 * field, those of one uninterrupted instance over the same input, and the committed offsets
 * must never pass what Redis applied. scripts/test.sh runs it a second time on a Redis Cluster.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sleep, waitFor } from '../../../src/util/retry.js';
import { scanKeys } from '../../../src/windows/redis-client.js';
import { startCli, type RunningCli } from '../../helpers/cli.js';
import { onRedisCluster, testConfig, testEnv, testRedis, uniqueId } from '../../helpers/env.js';
import { testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, sample, testCodec } from '../../helpers/produce.js';
import { assertCommittedWithinApplied, snapshotWindows, totalApplied } from '../../helpers/windows.js';

const ROUNDS = 8;
const PER_ROUND = 3_000;
const SERIES = 30;
const EVENTS = ROUNDS * PER_ROUND;

describe('processor scale-out and scale-in', () => {
  const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '6' });
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const redis = testRedis(env);
  after(() => redis.disconnect());

  it('gives the same windows as one uninterrupted instance while partitions move', async () => {
    const codec = await testCodec(cfg);
    const t0 = Date.now() - 3 * 3_600_000;
    // one event per series every 2 s of event time, some 90 s out of order (within the
    // lateness); values are multiples of 1/4, so sums are exact in any order
    const at = (i: number) => sample(`w${i % SERIES}`, (i % 13) / 4, t0 + Math.floor(i / SERIES) * 2_000 - (i % 11 === 0 ? 90_000 : 0));
    const runEnv = { ...env, FORESIGHT_PROCESSOR_GROUP: uniqueId('scale'), FORESIGHT_REDIS_KEY_PREFIX: uniqueId('scale') };
    const prefix = runEnv.FORESIGHT_REDIS_KEY_PREFIX;
    const running: RunningCli[] = [];
    const joins = (c: RunningCli): number => c.output().split('joined consumer group').length - 1;
    try {
      // instance 1 from the start; instance 2 joins after a quarter of the rounds; instance 1
      // leaves (SIGTERM) after three quarters, while events keep coming
      running.push(startCli(['processor'], runEnv));
      for (let r = 0; r < ROUNDS; r++) {
        await produceSamples(
          kafka,
          cfg,
          codec,
          Array.from({ length: PER_ROUND }, (_, k) => at(r * PER_ROUND + k)),
        );
        if (r === ROUNDS / 4) {
          running.push(startCli(['processor'], runEnv));
          // on a busy machine a new instance takes seconds to load its models: let it join before
          // the first one leaves, or the partitions never move between two members
          assert.ok(await waitFor(async () => joins(running[1]) >= 1, 60_000, 100), `instance 2 did not join:\n${running[1].output().slice(-2000)}`);
        }
        if (r === (3 * ROUNDS) / 4) {
          running[0].child.kill('SIGTERM');
          assert.equal(await running[0].exited, 0, running[0].output().slice(-2000));
        }
        await sleep(700);
      }
      assert.ok(
        await waitFor(async () => (await totalApplied(redis, prefix)) >= EVENTS, 120_000, 200),
        `not all applied:\n${running[1].output().slice(-2000)}`,
      );
      await sleep(2_000); // a redelivered batch would arrive now, and must change nothing
      assert.equal(await totalApplied(redis, prefix), EVENTS, 'nothing counted twice');
      // the partitions did move: instance 1 rejoined when 2 came, 2 rejoined when 1 left
      assert.ok(joins(running[0]) >= 2, `instance 1 joined ${joins(running[0])} time(s)`);
      assert.ok(joins(running[1]) >= 2, `instance 2 joined ${joins(running[1])} time(s)`);
      // partitions moving is no loss of Redis state: nothing is rebuilt
      for (const c of running) assert.doesNotMatch(c.output(), /Redis lost this partition/);
    } finally {
      for (const c of running.slice(1)) {
        c.child.kill('SIGTERM');
        await c.exited;
      }
    }
    await assertCommittedWithinApplied(kafka, redis, prefix, runEnv.FORESIGHT_PROCESSOR_GROUP, cfg.topics.metrics);
    const moved = await snapshotWindows(redis, prefix);
    if (onRedisCluster) {
      // on a Redis Cluster (FORESIGHT_REDIS_CLUSTER_NODES) the six partitions' state spreads over several masters
      const holders = new Set<string>();
      for await (const { node } of scanKeys(redis, `${prefix}:{*}:applied`)) holders.add(`${node.options.host}:${node.options.port}`);
      assert.ok(holders.size >= 2, `partition state on ${holders.size} master(s)`);
    }

    // the reference: one instance over the same, now complete, input
    const refEnv = { ...env, FORESIGHT_PROCESSOR_GROUP: uniqueId('ref'), FORESIGHT_REDIS_KEY_PREFIX: uniqueId('ref') };
    await runProcessorUntil(refEnv, async () => (await totalApplied(redis, refEnv.FORESIGHT_REDIS_KEY_PREFIX)) >= EVENTS, 120_000);
    const reference = await snapshotWindows(redis, refEnv.FORESIGHT_REDIS_KEY_PREFIX);
    assert.ok(Object.keys(reference).length >= SERIES * 2);
    assert.deepEqual(moved, reference);
  });
});
