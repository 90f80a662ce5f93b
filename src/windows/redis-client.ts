/**
 * The ioredis connection: reconnects with capped backoff, and queues commands while offline
 * so that a Redis outage of a few seconds only delays work; callers wrap each batch in
 * retry() as well, and never advance Kafka offsets for a batch Redis did not apply.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/config.js';
import type { Logger } from '../telemetry/log.js';

/**
 * ACL user, password and TLS CA from the configuration (config/security.ts). A rediss:// URL
 * turns TLS on (ioredis); the CA is added to it. Credentials in the URL still work; the
 * variables take precedence.
 */
export function redisSecurityOptions(cfg: RedisConfig): RedisOptions {
  const sec = cfg.security;
  if (!sec) return {};
  return {
    ...(sec.username !== undefined ? { username: sec.username } : {}),
    ...(sec.password !== undefined ? { password: sec.password.reveal() } : {}),
    ...(cfg.url.startsWith('rediss:') ? { tls: sec.ca !== undefined ? { ca: sec.ca } : {} } : {}),
  };
}

export function createRedis(cfg: RedisConfig, log: Logger): Redis {
  const redis = new Redis(cfg.url, {
    ...redisSecurityOptions(cfg),
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    reconnectOnError: () => true,
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) log.warn({ err: err.message }, 'redis connection error; retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis connection restored');
    down = false;
  });
  return redis;
}
