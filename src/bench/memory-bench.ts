/**
 * `foresight bench memory`: steady-state Redis bytes per series (steady-state.ts), by key
 * type, under a fresh key prefix that is deleted afterwards. The last line printed is one
 * JSON object.
 */
import { loadConfig } from '../config/config.js';
import { createLogger } from '../telemetry/log.js';
import { createRedis } from '../windows/redis-client.js';
import { benchId } from './bench-env.js';
import { steadyStateMemory } from './steady-state.js';
import { deletePrefix } from '../windows/redis-client.js';

export async function benchMemory(opts: { series: number; intervalS: number; progress: (m: string) => void }): Promise<Record<string, unknown>> {
  const cfg = loadConfig(process.env);
  const redis = createRedis(cfg.redis, createLogger('bench', cfg.telemetry.logLevel));
  await redis.connect();
  const prefix = `${benchId()}-steady`;
  try {
    opts.progress(`writing ${opts.series} series to steady state at one sample per ${opts.intervalS} s under ${prefix}...`);
    const s = await steadyStateMemory(redis, { prefix, ...opts });
    return {
      series: s.series,
      interval_s: s.intervalS,
      simulated_days: s.simulatedDays,
      events: s.events,
      redis_bytes: s.bytes,
      redis_bytes_per_series: s.bytesPerSeries,
      by_key_type: Object.fromEntries(
        Object.entries(s.byType).map(([t, u]) => [
          t,
          {
            bytes_per_series: Math.round(u.bytes / s.series),
            keys_per_series: +(u.keys / s.series).toFixed(2),
            fields_per_series: +(u.fields / s.series).toFixed(1),
            encodings: u.encodings,
          },
        ]),
      ),
    };
  } finally {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}
