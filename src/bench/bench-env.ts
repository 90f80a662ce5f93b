/** The environment of a benchmark run: fresh topics, consumer group and Redis key prefix under one id. */
import { randomBytes } from 'node:crypto';

export function benchId(): string {
  return `bench-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
}

export function benchEnv(id: string, partitions: number, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FORESIGHT_TOPIC_METRICS: `${id}.metrics`,
    FORESIGHT_TOPIC_BILLING: `${id}.billing`,
    FORESIGHT_TOPIC_RECOMMENDATIONS: `${id}.recommendations`,
    FORESIGHT_TOPIC_ALERTS: `${id}.alerts`,
    FORESIGHT_TOPIC_OUTCOMES: `${id}.outcomes`,
    FORESIGHT_TOPIC_DEADLETTER: `${id}.deadletter`,
    FORESIGHT_TOPIC_PARTITIONS: String(partitions),
    FORESIGHT_PROCESSOR_GROUP: `${id}-processor`,
    FORESIGHT_REDIS_KEY_PREFIX: id,
    FORESIGHT_HTTP_PORT: '0',
    FORESIGHT_LOG_LEVEL: process.env.FORESIGHT_LOG_LEVEL ?? 'warn',
    ...extra,
  };
}
