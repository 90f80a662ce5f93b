/**
 * Redis loses the processor's state (FLUSHALL, or a restart without its append-only file)
 * while the consumer group keeps its Kafka positions. Simulated by deleting every key under
 * the test's own key prefix (the Redis is shared: never FLUSHALL). The processor must notice,
 * say so once per partition, and rebuild the windows from Kafka so that they equal those of
 * a processor that saw no loss, counting nothing twice, whether the loss happens while it
 * runs or while it is stopped. When Kafka retention deleted part of what is needed, the
 * partition's history is marked incomplete instead, with the missing offsets, and the
 * recommendation loop publishes nothing from the series until they have a day of new history.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import { sleep, waitFor } from '../../../src/util/retry.js';
import { startCli, type RunningCli } from '../../helpers/cli.js';
import { testConfig, testEnv, uniqueId } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, sample, testCodec } from '../../helpers/produce.js';
import { assertCommittedWithinApplied, snapshotWindows, totalApplied } from '../../helpers/windows.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SERIES = 30;
const HALF = 6_000;
const EVENTS = 2 * HALF;
const PARTITIONS = 3;

/** Deletes every key of one test's prefix (SCAN + DEL): what FLUSHALL does to that test's state. */
async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let n = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) n += await redis.del(...keys);
  }
  return n;
}

/** The processor's "state lost" log lines, per partition. */
function lossLines(output: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const line of output.split('\n')) {
    if (!line.includes('Redis lost this partition')) continue;
    const rec = JSON.parse(line) as { partition: number; msg: string };
    out.set(rec.partition, [...(out.get(rec.partition) ?? []), rec.msg]);
  }
  return out;
}

function assertOneLossLinePerPartition(proc: RunningCli, pattern: RegExp): void {
  const lines = lossLines(proc.output());
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(lines.get(p)?.length, 1, `partition ${p}: expected one loss line, got ${JSON.stringify(lines.get(p))}\n${proc.output().slice(-3000)}`);
    assert.match(lines.get(p)![0], pattern);
  }
  console.log(`# logged: ${lossLinesRaw(proc.output())[0]}`);
}

function lossLinesRaw(output: string): string[] {
  return output.split('\n').filter((l) => l.includes('Redis lost this partition'));
}

async function stop(proc: RunningCli): Promise<void> {
  proc.child.kill('SIGTERM');
  assert.equal(await proc.exited, 0, proc.output().slice(-2000));
}

const t0 = Date.now() - 3 * 3_600_000;
// one event per series every 2 s of event time, some 90 s out of order (within the lateness);
// values are multiples of 1/4, so sums are exact in any order
const at = (i: number) => sample(`w${i % SERIES}`, (i % 13) / 4, t0 + Math.floor(i / SERIES) * 2_000 - (i % 11 === 0 ? 90_000 : 0));
const events = (from: number, n: number) => Array.from({ length: n }, (_, k) => at(from + k));

describe('Redis state lost', () => {
  const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: String(PARTITIONS) });
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const redis = new Redis(cfg.redis.url);
  after(() => redis.disconnect());
  const runEnv = (name: string) => ({ ...env, FORESIGHT_PROCESSOR_GROUP: uniqueId(name), FORESIGHT_REDIS_KEY_PREFIX: uniqueId(name) });

  // the windows of a processor that saw no loss, over the whole input (run once it is produced)
  let reference: Promise<Awaited<ReturnType<typeof snapshotWindows>>> | undefined;
  const referenceWindows = () => {
    reference ??= (async () => {
      const refEnv = runEnv('ref');
      await runProcessorUntil(refEnv, async () => (await totalApplied(redis, refEnv.FORESIGHT_REDIS_KEY_PREFIX)) >= EVENTS, 120_000);
      return snapshotWindows(redis, refEnv.FORESIGHT_REDIS_KEY_PREFIX);
    })();
    return reference;
  };

  it('lost while the processor runs: it rebuilds the windows from Kafka, as if nothing was lost', async () => {
    const codec = await testCodec(cfg);
    const e = runEnv('live');
    const prefix = e.FORESIGHT_REDIS_KEY_PREFIX;
    await produceSamples(kafka, cfg, codec, events(0, HALF));
    const proc = startCli(['processor'], e);
    try {
      assert.ok(await waitFor(async () => (await totalApplied(redis, prefix)) >= HALF, 90_000, 100), `first half not applied:\n${proc.output().slice(-2000)}`);
      await sleep(1_500); // offsets committed
      assert.ok((await deleteKeys(redis, prefix)) > 0);
      await produceSamples(kafka, cfg, codec, events(HALF, HALF));
      assert.ok(
        await waitFor(async () => (await totalApplied(redis, prefix)) >= EVENTS, 120_000, 200),
        `not rebuilt: ${await totalApplied(redis, prefix)} of ${EVENTS} events in the windows\n${proc.output().slice(-3000)}`,
      );
      await sleep(2_000); // a redelivered batch would arrive now, and must change nothing
      assert.equal(await totalApplied(redis, prefix), EVENTS, 'nothing counted twice');
    } finally {
      await stop(proc);
    }
    assertOneLossLinePerPartition(proc, /rebuilding the windows from Kafka, nothing is missing/);
    await assertCommittedWithinApplied(kafka, redis, prefix, e.FORESIGHT_PROCESSOR_GROUP, cfg.topics.metrics);
    assert.deepEqual(await snapshotWindows(redis, prefix), await referenceWindows());
  });

  it('lost while the processor was stopped: the restarted processor rebuilds the windows', async () => {
    const e = runEnv('restart');
    const prefix = e.FORESIGHT_REDIS_KEY_PREFIX;
    const first = startCli(['processor'], e);
    try {
      assert.ok(await waitFor(async () => (await totalApplied(redis, prefix)) >= EVENTS, 120_000, 200), first.output().slice(-2000));
    } finally {
      await stop(first);
    }
    await assertCommittedWithinApplied(kafka, redis, prefix, e.FORESIGHT_PROCESSOR_GROUP, cfg.topics.metrics);
    assert.ok((await deleteKeys(redis, prefix)) > 0);
    const second = startCli(['processor'], e);
    try {
      assert.ok(
        await waitFor(async () => (await totalApplied(redis, prefix)) >= EVENTS, 120_000, 200),
        `not rebuilt after the restart: ${await totalApplied(redis, prefix)} of ${EVENTS}\n${second.output().slice(-3000)}`,
      );
      await sleep(2_000);
      assert.equal(await totalApplied(redis, prefix), EVENTS, 'nothing counted twice');
    } finally {
      await stop(second);
    }
    assertOneLossLinePerPartition(second, /rebuilding the windows from Kafka, nothing is missing/);
    assert.deepEqual(await snapshotWindows(redis, prefix), await referenceWindows());
  });
});

describe('Redis state lost, and Kafka retention deleted part of it', () => {
  const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: String(PARTITIONS) });
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const redis = new Redis(cfg.redis.url);
  after(() => redis.disconnect());

  it("rebuilds what Kafka still holds and marks the partitions' history incomplete", async () => {
    const codec = await testCodec(cfg);
    const e = { ...env, FORESIGHT_PROCESSOR_GROUP: uniqueId('gone'), FORESIGHT_REDIS_KEY_PREFIX: uniqueId('gone') };
    const prefix = e.FORESIGHT_REDIS_KEY_PREFIX;
    const topic = cfg.topics.metrics;
    await produceSamples(kafka, cfg, codec, events(0, HALF));
    const proc = startCli(['processor'], e);
    const admin = kafka.admin();
    await admin.connect();
    const cut = new Map<number, number>();
    try {
      assert.ok(await waitFor(async () => (await totalApplied(redis, prefix)) >= HALF, 90_000, 100), proc.output().slice(-2000));
      await sleep(1_500);
      // retention deletes the older half of every partition (after it was applied), then Redis loses everything
      await admin.fetchTopicMetadata({ topics: [topic] });
      for (const p of await admin.fetchTopicOffsets(topic)) cut.set(p.partition, Math.floor(Number(p.high) / 2));
      await admin.deleteTopicRecords({ topic, partitions: [...cut].map(([partition, offset]) => ({ partition, offset: String(offset) })) });
      assert.ok((await deleteKeys(redis, prefix)) > 0);
      await produceSamples(kafka, cfg, codec, events(HALF, HALF));
      const left = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      assert.equal(left, EVENTS - [...cut.values()].reduce((a, b) => a + b, 0));
      assert.ok(
        await waitFor(async () => (await totalApplied(redis, prefix)) >= left, 120_000, 200),
        `not rebuilt: ${await totalApplied(redis, prefix)} of ${left}\n${proc.output().slice(-3000)}`,
      );
      await sleep(2_000);
      assert.equal(await totalApplied(redis, prefix), left, 'nothing counted twice');
    } finally {
      await admin.disconnect();
      await stop(proc);
    }
    assertOneLossLinePerPartition(proc, /Kafka retention no longer holds all of it.*history is marked incomplete/);
    // the hole, per partition: which offsets are gone, and from when the history is whole again
    for (const [p, offset] of cut) {
      const h = await redis.hgetall(`${prefix}:{${topic}:${p}}:incomplete`);
      assert.equal(h.missingFrom, '0', `partition ${p}: ${JSON.stringify(h)}`);
      assert.equal(h.missingTo, String(offset));
      assert.ok(Number(h.fromMs) >= t0 - 90_000 && Number(h.fromMs) <= at(EVENTS).eventTime, `partition ${p}: fromMs ${h.fromMs}`);
    }
    // the windows: exactly what a processor that never saw the deleted records builds
    const refEnv = { ...env, FORESIGHT_PROCESSOR_GROUP: uniqueId('ref'), FORESIGHT_REDIS_KEY_PREFIX: uniqueId('ref') };
    const left = EVENTS - [...cut.values()].reduce((a, b) => a + b, 0);
    await runProcessorUntil(refEnv, async () => (await totalApplied(redis, refEnv.FORESIGHT_REDIS_KEY_PREFIX)) >= left, 120_000);
    assert.deepEqual(await snapshotWindows(redis, prefix), await snapshotWindows(redis, refEnv.FORESIGHT_REDIS_KEY_PREFIX));
  });
});

describe('Redis state lost for good: the recommendation loop waits for new evidence', () => {
  const repo = tempDir('gitops-');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  mkdirSync(path.join(repo, 'policies'));
  writeFileSync(
    path.join(repo, 'policies', 'policies.yaml'),
    `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: defaults }
spec:
  replicas: { min: 1, max: 20, perReplicaCapacity: 1, targetUtilization: 1, metric: cpu_usage }
`,
  );
  execFileSync('git', ['-C', repo, 'add', '.']);
  execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'policies']);
  const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_POLICY_REPO: repo });
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const redis = new Redis(cfg.redis.url);
  after(() => redis.disconnect());

  it('recommends before the loss, and not from the hour after the hole', async () => {
    const codec = await testCodec(cfg);
    const prefix = cfg.redis.keyPrefix;
    const topic = cfg.topics.metrics;
    const STEP = 300_000;
    const hole = Math.floor((Date.now() - 3 * 3_600_000) / STEP) * STEP; // where phase A ends and B starts
    // one workload's demand (2 cores), one sample a minute: an hour before the hole, an hour after
    const demand = (t: number) => ({ ...sample('web', 2 + ((t / 60_000) % 3) * 0.25, t), container: null });
    const minutes = (from: number) => Array.from({ length: 60 }, (_, i) => demand(from + i * 60_000));
    await produceSamples(kafka, cfg, codec, minutes(hole - 3_600_000));
    const proc = startCli(['processor'], env);
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.ok(await waitFor(async () => (await totalApplied(redis, prefix)) >= 60, 90_000, 100), proc.output().slice(-2000));
      await sleep(1_500);
      // retention deletes all of phase A, then Redis loses everything
      await admin.fetchTopicMetadata({ topics: [topic] });
      const [{ high }] = await admin.fetchTopicOffsets(topic);
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: high }] });
      assert.ok((await deleteKeys(redis, prefix)) > 0);
      await produceSamples(kafka, cfg, codec, minutes(hole));
      const incomplete = `${prefix}:{${topic}:0}:incomplete`;
      assert.ok(
        await waitFor(async () => (await totalApplied(redis, prefix)) >= 60 && (await redis.hget(incomplete, 'fromMs')) !== null, 90_000, 100),
        proc.output().slice(-3000),
      );
      assert.equal(Number(await redis.hget(incomplete, 'fromMs')), hole);
      await sleep(1_500); // the last batch's steps are scored
    } finally {
      await admin.disconnect();
      await stop(proc);
    }
    const recs = await Promise.all(
      (await readTopic(kafka, cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')),
    );
    const at = (r: Recommendation) => new Date(r.createdAt).toISOString();
    assert.ok(
      recs.some((r) => r.createdAt <= hole),
      `the hour before the loss is recommended on: ${JSON.stringify(recs.map(at))}`,
    );
    assert.deepEqual(recs.filter((r) => r.createdAt > hole).map(at), [], 'nothing from the hour after the hole: a day of new evidence is needed');
  });
});
