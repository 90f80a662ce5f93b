/**
 * Reading a whole topic (the demo, `report`) leaves no consumer group behind on the cluster:
 * each read's throwaway group commits nothing and is deleted when the read is done.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';

describe('readTopic', () => {
  const cfg = testConfig(testEnv());
  const kafka = testKafka(cfg);
  const admin = kafka.admin();
  const producer = kafka.producer();
  after(async () => {
    await producer.disconnect();
    await admin.disconnect();
  });

  it('reads every message up to the end and leaves no consumer group', async () => {
    await ensureTopics(kafka, cfg.topics);
    await admin.connect();
    await producer.connect();
    await producer.send({ topic: cfg.topics.recommendations, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    const readers = async (): Promise<Set<string>> => new Set((await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith('reader-')));
    const before = await readers();
    for (let round = 0; round < 2; round++) {
      const read = await readTopic(kafka, cfg.topics.recommendations);
      assert.deepEqual(read.map((m) => m.message.value!.toString()).sort(), Array.from({ length: 40 }, (_, i) => `v${i}`).sort());
    }
    const left = [...(await readers())].filter((g) => !before.has(g));
    assert.deepEqual(left, [], 'consumer groups the reads left on the cluster');
  });
});
