/**
 * The ioredis connection, the one place every component gets it from (createRedis): one Redis
 * (FORESIGHT_REDIS_URL) or, when FORESIGHT_REDIS_CLUSTER_NODES is set, a Redis Cluster. It
 * reconnects with capped backoff, and queues commands while offline so that a Redis outage of
 * a few seconds only delays work; callers wrap each batch in retry() as well, and never
 * advance Kafka offsets for a batch Redis did not apply.
 *
 * On a cluster, ioredis follows MOVED and ASK redirections and a failover's new master by
 * itself. Each key carries a hash tag (redis-keys.ts), so every Lua call and MULTI touches one
 * slot; what spans slots is made to work here: a pipeline (its keys may live on several
 * masters) is split into one pipeline per master, and scanKeys / infoOfEachNode visit every master.
 */
import { Cluster, Redis as SingleRedis, type ChainableCommander, type RedisOptions } from 'ioredis';
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

/**
 * The one classifier of Redis errors, retry()'s `bail` for Redis calls. Only what another try
 * can fix is retried: a lost connection, or a LOADING/BUSY/TRYAGAIN reply. A script error or a
 * bug fails the batch at once, and the consumer crashes loudly.
 */
export function isPermanentRedisError(err: unknown): boolean {
  if (err instanceof ForesightError) return !err.retriable; // ours say it (a MALFORMED apply is not retried)
  const e = err as { name?: string; message?: string; code?: string };
  const msg = e?.message ?? '';
  if (e?.name === 'ReplyError') return !/^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)/.test(msg);
  if (e?.name === 'MaxRetriesPerRequestError') return false;
  if (/Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Stream isn't writeable|connect/i.test(msg) || e?.code) return false;
  return err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError;
}

/** One Redis or a Redis Cluster: what every component takes, made by createRedis. */
export type Redis = SingleRedis | Cluster;

const backoff = (times: number): number => Math.min(100 * times, 2_000);

export function createRedis(cfg: RedisConfig, log: Logger): Redis {
  const perNode: RedisOptions = { maxRetriesPerRequest: 3, reconnectOnError: () => true };
  const redis = cfg.clusterNodes
    ? splitPipelines(
        new Cluster(cfg.clusterNodes, {
          lazyConnect: true,
          enableOfflineQueue: true,
          clusterRetryStrategy: backoff,
          redisOptions: { ...redisSecurityOptions(cfg), ...perNode },
        }),
      )
    : new SingleRedis(cfg.url, { ...redisSecurityOptions(cfg), ...perNode, lazyConnect: true, enableOfflineQueue: true, retryStrategy: backoff });
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

/**
 * ioredis sends a pipeline to one node and refuses one whose keys live on several; the
 * windows' and costs' reads pipeline keys of many partitions. On a cluster, `pipeline()` is
 * therefore a recorder whose exec() groups the commands by the master of their first key's
 * slot and sends one real pipeline per master, in parallel (a command whose first argument is
 * no key goes alone), answering in the pipeline's form, [error, result] per command, in the
 * order given. Commands on one key stay in order. MULTI is untouched: it must stay in one slot.
 */
function splitPipelines(cluster: Cluster): Cluster {
  const realPipeline = Object.getPrototypeOf(cluster).pipeline as (this: Cluster) => ChainableCommander;
  cluster.pipeline = (commands?: unknown[][]): ChainableCommander => {
    const queued: [string, unknown[]][] = (commands ?? []).map(([name, ...args]) => [String(name), args]);
    const exec = async (): Promise<[Error | null, unknown][]> => {
      const groups = new Map<string, number[]>();
      queued.forEach(([, args], i) => {
        const key = args[0];
        const master = typeof key === 'string' || Buffer.isBuffer(key) ? cluster.slots[keySlot(key)]?.[0] : undefined;
        const group = master ?? `alone:${i}`;
        groups.set(group, [...(groups.get(group) ?? []), i]);
      });
      const out: [Error | null, unknown][] = new Array(queued.length);
      await Promise.all(
        [...groups.values()].map(async (indexes) => {
          const p = realPipeline.call(cluster) as unknown as Record<string, (...args: unknown[]) => unknown>;
          for (const i of indexes) p[queued[i][0]](...queued[i][1]);
          const replies = ((await (p as unknown as ChainableCommander).exec()) ?? []) as [Error | null, unknown][];
          indexes.forEach((i, k) => (out[i] = replies[k]));
        }),
      );
      return out;
    };
    const recorder: ChainableCommander = new Proxy({} as ChainableCommander, {
      get(_target, prop) {
        if (prop === 'length') return queued.length;
        if (prop === 'then') return undefined; // not a promise itself
        if (prop === 'exec') return exec;
        if (typeof prop !== 'string' || typeof (cluster as unknown as Record<string, unknown>)[prop] !== 'function') return undefined;
        return (...args: unknown[]) => {
          queued.push([prop, args]);
          return recorder;
        };
      },
    });
    return recorder;
  };
  return cluster;
}

/**
 * The Redis Cluster slot of a key: CRC16 (XMODEM) of its hash tag (the text between the first
 * "{" and the next "}", when not empty) or else of the whole key, modulo 16384 (the cluster
 * specification's algorithm; CLUSTER KEYSLOT answers the same).
 */
export function keySlot(key: string | Buffer): number {
  let bytes = Buffer.isBuffer(key) ? key : Buffer.from(key);
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** Every master of a cluster, or the one Redis (a lazy cluster client connects first: until then it knows no node). */
export async function masters(redis: Redis): Promise<SingleRedis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status === 'wait') await redis.connect();
  return redis.nodes('master');
}

/**
 * SCAN for keys matching `match`, over every master of a cluster (each holds only its slots'
 * keys), with the node that holds them: a keyless command about them (MEMORY USAGE) goes there.
 */
export async function* scanKeys(redis: Redis, match: string, count = 1000): AsyncIterable<{ node: SingleRedis; keys: string[] }> {
  for (const node of await masters(redis)) {
    for await (const keys of node.scanStream({ match, count }) as AsyncIterable<string[]>) yield { node, keys };
  }
}

/** INFO <section> of every master (one entry for a single Redis), for figures summed over the cluster. */
export async function infoOfEachNode(redis: Redis, section: string): Promise<string[]> {
  return Promise.all((await masters(redis)).map((n) => n.info(section)));
}

/** Deletes every key under `prefix:` on every master (a bench's own prefix, an earlier demo run's). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const { node, keys: ks } of scanKeys(redis, `${prefix}:*`)) {
    const pipeline = node.pipeline();
    for (const k of ks) pipeline.unlink(k); // one key a command: keys of several slots cannot share one (cluster)
    await pipeline.exec();
  }
}
