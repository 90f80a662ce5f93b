/** Creates Foresight's topics when they are missing (the local stack disables auto-creation). */
import type { Kafka } from 'kafkajs';
import type { TopicsConfig } from '../config/config.js';

export async function ensureTopics(kafka: Kafka, topics: TopicsConfig, extra: Iterable<string> = [], replicationFactor = 1): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [...new Set([topics.metrics, topics.billing, topics.recommendations, topics.alerts, topics.deadletter, ...extra])];
    const missing = wanted.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: topics.partitions, replicationFactor })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
