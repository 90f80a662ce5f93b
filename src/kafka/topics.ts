/** Creates Foresight's topics when they are missing (the local stack disables auto-creation). */
import type { Kafka } from 'kafkajs';
import type { TopicsConfig } from '../config/config.js';
import { retry } from '../util/retry.js';

/**
 * Creates the missing topics and waits for their leaders. On a broker that has just started,
 * the metadata of a topic created a moment ago can still be unknown (UNKNOWN_TOPIC_OR_PARTITION,
 * which kafkajs's wait for leaders does not retry) or its leader not yet serving offsets
 * (NOT_LEADER_OR_FOLLOWER): the whole step is retried then, and a topic created by the first
 * attempt is found by the next.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicsConfig, extra: Iterable<string> = [], replicationFactor = 1): Promise<string[]> {
  const wanted = [...new Set([topics.metrics, topics.billing, topics.recommendations, topics.alerts, topics.outcomes, topics.deadletter, ...extra])];
  const created = new Set<string>();
  await retry(
    async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = wanted.filter((t) => !existing.has(t));
        if (missing.length > 0) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({ topic, numPartitions: topics.partitions, replicationFactor })),
          });
          for (const t of missing) created.add(t);
        }
        // every partition has a leader that answers offset requests before we go on
        for (const t of wanted) await admin.fetchTopicOffsets(t);
      } finally {
        await admin.disconnect();
      }
    },
    { retries: 10, initialDelayMs: 200, maxDelayMs: 2_000 },
  );
  return [...created];
}
