/**
 * The typed wrapper of lua/claimDecider-1.lua: one series of a workload decides a role (a model
 * server's HPA, SPOT and GPU sharing) when several carry the metric that would make each decide.
 */
import type { Redis } from './redis-client.js';
import { loadScript } from './scripts.js';

/**
 * Whether `seriesId` holds the role at `key` (redis-keys.ts deciderKey), claiming, taking over
 * (from a holder of a lower `rank`) or renewing it; else who does.
 */
export async function claimDecider(redis: Redis, key: string, seriesId: string, ttlMs: number, rank = 0): Promise<{ held: boolean; holder: string }> {
  const [held, holder] = (await loadScript(redis, 'claimDecider-1')(key, seriesId, Math.round(ttlMs), rank)) as [number, string];
  return { held: Number(held) === 1, holder };
}
