/** Reading a whole topic up to its current end, for the demo and tests. */
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface ReadMessage {
  partition: number;
  message: KafkaMessage;
}

/** Reads every message of `topic` up to its current end (high watermarks taken first). */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
  try {
    // a missing topic is said at once (fetchTopicOffsets would retry UNKNOWN_TOPIC_OR_PARTITION for ~30 s)
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist on the broker`);
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const remaining = new Map(ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  const out: ReadMessage[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}: got ${out.length} messages`)), timeoutMs);
    void consumer.run({
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
  await consumer.disconnect();
  return out;
}
