/**
 * The batch runner's pipelined mode against a real broker: a partition's batches are handled
 * one at a time and in order while the next are fetched; a handler failure refetches the
 * partition from the failed batch (the batches queued behind it are dropped, not skipped);
 * and the committed offset never passes a batch not handled. In step, a handler that runs
 * longer than the session timeout (the committer waiting out a Git host's rate limit) keeps
 * the group's heartbeat: no rebalance, its batch handled once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { BatchRunner, type BatchHandler, type RunnerOptions } from '../../../src/kafka/batch-runner.js';
import type { ServiceConfig } from '../../../src/config/config.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { createLogger, type Logger } from '../../../src/telemetry/log.js';
import { sleep, waitFor } from '../../../src/util/retry.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { committedOffsets, testKafka } from '../../helpers/kafka.js';

const ROUNDS = 6;
const PER_ROUND = 50;
const TOTAL = ROUNDS * PER_ROUND;

/** The broker's smallest session timeout (group.min.session.timeout.ms): a handler longer than it tests the heartbeat. */
const SESSION_MIN_MS = 6_000;

/** A logger that counts the group joins it sees (a second one: the member was taken for dead and rejoined). */
function joinsCounted(): { log: Logger; joins: () => number } {
  let joins = 0;
  const log = createLogger('test', 'info', {
    write: (line: string) => {
      if (line.includes('joined consumer group')) joins++;
    },
  } as unknown as NodeJS.WritableStream);
  return { log, joins: () => joins };
}

/** Topics of their own (one partition each), with `values` already on `topic`. */
async function topicsWith(topic: 'metrics' | 'recommendations', values: string[]): Promise<{ cfg: ServiceConfig; kafka: Kafka }> {
  const cfg = testConfig(testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' }));
  const kafka = testKafka(cfg);
  await ensureTopics(kafka, cfg.topics);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: cfg.topics[topic], messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  return { cfg, kafka };
}

/** A pipelined runner on the metrics topic of `cfg`, as the processor runs it. */
function pipelinedRunner(kafka: Kafka, cfg: ServiceConfig, handler: BatchHandler, extra: Partial<RunnerOptions> = {}): BatchRunner {
  return new BatchRunner(
    kafka,
    {
      groupId: cfg.processorGroup,
      topics: [cfg.topics.metrics],
      sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
      pipelined: true,
      ...extra,
    },
    handler,
    createLogger('test', 'silent'),
  );
}

describe('batch runner, pipelined', () => {
  const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const producer = kafka.producer();
  after(() => producer.disconnect());

  it('handles every offset in order, retries a failed batch from its first offset, commits only what was handled', async () => {
    await ensureTopics(kafka, cfg.topics);
    await producer.connect();
    const handled: number[] = [];
    const overlap = { inHandler: 0, max: 0 };
    let failed = false;
    const runner = pipelinedRunner(kafka, cfg, async (batch) => {
      overlap.inHandler++;
      overlap.max = Math.max(overlap.max, overlap.inHandler);
      try {
        await sleep(150); // slow enough for the next rounds to queue up behind it
        const offsets = batch.messages.map((m) => Number(m.offset));
        if (!failed && offsets.some((o) => o >= 2 * PER_ROUND)) {
          failed = true;
          throw new Error('injected failure');
        }
        handled.push(...offsets);
      } finally {
        overlap.inHandler--;
      }
    });
    await runner.start();
    for (let r = 0; r < ROUNDS; r++) {
      await producer.send({ topic: cfg.topics.metrics, messages: Array.from({ length: PER_ROUND }, (_, i) => ({ value: `m${r * PER_ROUND + i}` })) });
      await sleep(100);
    }
    await waitFor(async () => handled.length >= TOTAL && handled.at(-1) === TOTAL - 1, 60_000, 100);
    await runner.stop();

    assert.ok(failed, 'the failure was injected');
    assert.equal(overlap.max, 1, 'one batch of a partition at a time');
    assert.deepEqual(
      handled,
      Array.from({ length: TOTAL }, (_, i) => i),
      'every offset handled once, in order (the failed batch only after its retry)',
    );
    const committed = await committedOffsets(kafka, cfg.processorGroup, cfg.topics.metrics);
    assert.equal(committed.get(0), BigInt(TOTAL), 'committed up to the last handled offset');
  });
});

describe('batch runner, slices', () => {
  it('hands a fetched batch larger than maxMessagesPerCall over in slices, in order, each offset once, with the lag after each slice', async () => {
    const { cfg, kafka } = await topicsWith(
      'metrics',
      Array.from({ length: 40 }, (_, i) => `m${i}`),
    );
    const calls: { offsets: number[]; lag: bigint }[] = [];
    const runner = pipelinedRunner(
      kafka,
      cfg,
      async (batch) => {
        calls.push({ offsets: batch.messages.map((m) => Number(m.offset)), lag: batch.lag });
      },
      { maxMessagesPerCall: 7 },
    );
    await runner.start();
    await waitFor(async () => calls.flatMap((c) => c.offsets).length >= 40, 30_000, 100);
    await runner.stop();
    assert.deepEqual(
      calls.flatMap((c) => c.offsets),
      Array.from({ length: 40 }, (_, i) => i),
      'every offset once, in order',
    );
    assert.ok(calls.length >= 6, `40 messages in calls of at most 7: ${calls.map((c) => c.offsets.length).join(', ')}`);
    for (const c of calls) {
      assert.ok(c.offsets.length <= 7, `a call of ${c.offsets.length} messages`);
      assert.equal(c.lag, BigInt(39 - c.offsets.at(-1)!), 'the lag after the slice: the messages behind its last');
    }
    assert.equal((await committedOffsets(kafka, cfg.processorGroup, cfg.topics.metrics)).get(0), 40n);
  });
});

describe('batch runner, pipelined, a long batch', () => {
  it('heartbeats while the next batch waits for a batch in hand longer than the session timeout: no rebalance, each batch handled once', async () => {
    const { cfg, kafka } = await topicsWith('metrics', ['m0']);
    const handled: string[] = [];
    const group = joinsCounted();
    const runner = new BatchRunner(
      kafka,
      { groupId: cfg.processorGroup, topics: [cfg.topics.metrics], sessionTimeoutMs: SESSION_MIN_MS, heartbeatIntervalMs: 1_000, pipelined: true },
      async (batch) => {
        if (handled.length === 0) await sleep(SESSION_MIN_MS + 3_000); // the first batch is long (a Redis outage)
        handled.push(...batch.messages.map((m) => m.offset));
      },
      group.log,
    );
    await runner.start();
    await waitFor(async () => group.joins() === 1, 30_000, 50);
    await sleep(1_000); // the first batch is in hand: the next one fetched waits behind it, inside kafkajs's eachBatch
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: cfg.topics.metrics, messages: [{ value: 'm1' }] });
    await producer.disconnect();
    await waitFor(async () => handled.length >= 2, 30_000, 100);
    await sleep(1_500); // a rebalance after the long wait would rejoin and hand the batches again
    await runner.stop();
    assert.deepEqual(handled, ['0', '1'], 'handled once, in order');
    assert.equal(group.joins(), 1, 'the member was never taken for dead');
    assert.equal((await committedOffsets(kafka, cfg.processorGroup, cfg.topics.metrics)).get(0), 2n);
  });
});

describe('batch runner, in step', () => {
  it('heartbeats while a handler runs longer than the session timeout: no rebalance, the batch handled once', async () => {
    const { cfg, kafka } = await topicsWith('recommendations', ['r0', 'r1']);
    const handled: string[] = [];
    const group = joinsCounted();
    const runner = new BatchRunner(
      kafka,
      { groupId: cfg.committerGroup, topics: [cfg.topics.recommendations], sessionTimeoutMs: SESSION_MIN_MS, heartbeatIntervalMs: 1_000 },
      async (batch) => {
        if (handled.length === 0) await sleep(SESSION_MIN_MS + 3_000); // a long wait inside the batch
        handled.push(...batch.messages.map((m) => m.offset));
      },
      group.log,
    );
    await runner.start();
    await waitFor(async () => handled.length >= 2, 30_000, 100);
    await sleep(1_500); // a rebalance after the long batch would rejoin and hand it again
    await runner.stop();
    assert.deepEqual(handled, ['0', '1'], 'handled once');
    assert.equal(group.joins(), 1, 'the member was never taken for dead');
    assert.equal((await committedOffsets(kafka, cfg.committerGroup, cfg.topics.recommendations)).get(0), 2n);
  });
});
