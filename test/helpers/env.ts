/**
 * The environment integration tests run in: the local stack's addresses (FORESIGHT_* from
 * the environment when set, else the stack's defaults; FORESIGHT_REDIS_CLUSTER_NODES set runs
 * them on a Redis Cluster, `stack up --redis-cluster`), plus unique topic names, consumer
 * groups and Redis key prefix per test so tests can run in any order.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, loadRedisConfig, type ServiceConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/telemetry/log.js';
import { createRedis, type Redis } from '../../src/windows/redis-client.js';

export function uniqueId(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const id = uniqueId();
  const base: Record<string, string> = {
    FORESIGHT_KAFKA_BROKERS: process.env.FORESIGHT_KAFKA_BROKERS ?? '127.0.0.1:9092',
    FORESIGHT_SCHEMA_REGISTRY_URL: process.env.FORESIGHT_SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    FORESIGHT_REDIS_URL: process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379',
    FORESIGHT_REDIS_CLUSTER_NODES: process.env.FORESIGHT_REDIS_CLUSTER_NODES ?? '',
    FORESIGHT_TOPIC_METRICS: `${id}.metrics`,
    FORESIGHT_TOPIC_BILLING: `${id}.billing`,
    FORESIGHT_TOPIC_RECOMMENDATIONS: `${id}.recommendations`,
    FORESIGHT_TOPIC_ALERTS: `${id}.alerts`,
    FORESIGHT_TOPIC_OUTCOMES: `${id}.outcomes`,
    FORESIGHT_TOPIC_DEADLETTER: `${id}.deadletter`,
    FORESIGHT_TOPIC_PARTITIONS: '3',
    FORESIGHT_PROCESSOR_GROUP: `${id}-processor`,
    FORESIGHT_COMMITTER_GROUP: `${id}-committer`,
    FORESIGHT_REDIS_KEY_PREFIX: id,
    FORESIGHT_HTTP_PORT: '0',
    FORESIGHT_LOG_LEVEL: 'info',
    FORESIGHT_KAFKA_SESSION_TIMEOUT_MS: '10000',
    FORESIGHT_KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
  };
  return { ...base, ...overrides };
}

export function testConfig(env: Record<string, string>): ServiceConfig {
  return loadConfig(env);
}

/** The test's own connection to the stack's Redis (a cluster when the environment says so), made as the services make theirs. */
export function testRedis(env: Record<string, string> = testEnv()): Redis {
  return createRedis(loadRedisConfig(env), createLogger('test', 'silent'));
}

/** True when the tests run on a Redis Cluster (FORESIGHT_REDIS_CLUSTER_NODES set). */
export const onRedisCluster = (process.env.FORESIGHT_REDIS_CLUSTER_NODES ?? '') !== '';
