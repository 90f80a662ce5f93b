/**
 * The batch runner's pipelined mode against a real broker: a partition's batches are handled
 * one at a time and in order while the next are fetched; a handler failure refetches the
 * partition from the failed batch (the batches queued behind it are dropped, not skipped);
 * and the committed offset never passes a batch not handled.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BatchRunner } from '../../../src/kafka/batch-runner.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { sleep, waitFor } from '../../../src/util/retry.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { committedOffsets, testKafka } from '../../helpers/kafka.js';

const ROUNDS = 6;
const PER_ROUND = 50;
const TOTAL = ROUNDS * PER_ROUND;

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
    const runner = new BatchRunner(
      kafka,
      {
        groupId: cfg.processorGroup,
        topics: [cfg.topics.metrics],
        sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
        heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
        pipelined: true,
      },
      async (batch) => {
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
      },
      createLogger('test', 'silent'),
    );
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
