/**
 * Reading a whole topic up to its current end, for the demo, `report` and tests. kafkajs reads
 * only through a consumer group: each read has a throwaway one that commits nothing and is
 * deleted when the read is done (best effort: where the cluster refuses DeleteGroups, it stays
 * behind as an empty group), so reports and demo runs do not pile groups up on the cluster.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface ReadMessage {
  partition: number;
  message: KafkaMessage;
}

/** Reads every message of `topic` up to its current end (high watermarks taken first). */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // a missing topic is said at once (fetchTopicOffsets would retry UNKNOWN_TOPIC_OR_PARTITION for ~30 s)
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist on the broker`);
    const ends = await admin.fetchTopicOffsets(topic);
    const remaining = new Map(ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, BigInt(e.high)]));
    if (remaining.size === 0) return [];
    const groupId = `reader-${Date.now()}-${Math.random()}`;
    try {
      return await readUntil(kafka, groupId, topic, remaining, timeoutMs);
    } finally {
      await admin.deleteGroups([groupId]).catch(() => undefined); // refused (no DeleteGroups right): an empty group stays
    }
  } finally {
    await admin.disconnect();
  }
}

async function readUntil(kafka: Kafka, groupId: string, topic: string, remaining: Map<number, bigint>, timeoutMs: number): Promise<ReadMessage[]> {
  const out: ReadMessage[] = [];
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}: got ${out.length} messages`)), timeoutMs);
      void consumer.run({
        autoCommit: false, // read once from the beginning: nothing to resume
        eachMessage: async ({ partition, message }) => {
          out.push({ partition, message });
          const end = remaining.get(partition);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
