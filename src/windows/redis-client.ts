/**
 * The ioredis connection: reconnects with capped backoff, and queues commands while offline
 * so that a Redis outage of a few seconds only delays work; callers wrap each batch in
 * retry() as well, and never advance Kafka offsets for a batch Redis did not apply.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/config.js';
import type { Logger } from '../telemetry/log.js';
import { ForesightError } from '../util/errors.js';
import { retry } from '../util/retry.js';

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

/**
 * Connects (retried while Redis comes up); wrong credentials stop at once with the variables
 * to check. ioredis rejects connect() with "Connection is closed" and reports the server's
 * reply as an error event: its code (WRONGPASS, NOAUTH, NOPERM: the first word of a Redis
 * error reply) tells an authentication failure.
 */
export async function connectRedis(redis: Redis, cfg: RedisConfig): Promise<void> {
  let authError: string | undefined;
  const onError = (err: Error): void => {
    const code = err.message.split(' ')[0];
    if (code === 'WRONGPASS' || code === 'NOAUTH' || code === 'NOPERM') authError = code;
  };
  redis.on('error', onError);
  try {
    await retry(
      async () => {
        try {
          await redis.connect();
        } catch (err) {
          if (authError !== undefined) {
            redis.disconnect();
            throw new ForesightError(
              'AUTH_FAILED',
              `Redis (${redactUrl(cfg.url)}) refused the credentials${cfg.security?.username ? ` of user "${cfg.security.username}"` : ''} (${authError}); check FORESIGHT_REDIS_USERNAME and FORESIGHT_REDIS_PASSWORD_FILE (or FORESIGHT_REDIS_PASSWORD)`,
              { cause: err },
            );
          }
          throw err;
        }
      },
      { retries: 10, initialDelayMs: 200 },
    );
  } finally {
    redis.off('error', onError);
  }
}

/** The URL without a password it may carry (redis://user:password@host). */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*):[^@/]*@/, '$1:[redacted]@');
}
