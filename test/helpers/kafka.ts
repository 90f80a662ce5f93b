/** Plain kafkajs helpers for tests: produce raw messages, read a whole topic. */
import { Kafka, logLevel } from 'kafkajs';
import type { ServiceConfig } from '../../src/config/config.js';
import { kafkaSecurityOptions } from '../../src/kafka/client.js';

export function testKafka(cfg: ServiceConfig): Kafka {
  return new Kafka({ brokers: cfg.kafka.brokers, ...kafkaSecurityOptions(cfg.kafka), clientId: 'foresight-test', logLevel: logLevel.NOTHING });
}

export { readTopic, type ReadMessage } from '../../src/kafka/read-topic.js';

/** Committed offsets of a consumer group for a topic, per partition (-1 when none). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(res[0].partitions.map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}
