/**
 * The typed wrapper of lua/claimSpendHour-1.lua: a cost scope's newest hour is scored, and its
 * alert published, by exactly one of the partitions and processors that check the scope.
 */
import type { Redis } from './redis-client.js';
import { loadScript } from './scripts.js';

export type SpendClaim = 'scored-already' | 'quiet' | 'alert';

export interface SpendHour {
  /** the hour index (event time / 1 h) */
  hour: number;
  /** the scope hash's expiry */
  ttlMs: number;
  /** the hour's event time (ms) */
  eventTime: number;
  /** the end of the suppression to set when the hour alerts; undefined when its score stays below the threshold */
  quietUntil: number | undefined;
}

const CLAIMS: readonly SpendClaim[] = ['scored-already', 'quiet', 'alert'];

/** Claims the hour at `key` (redis-keys.ts spendAnomalyKey): 'alert' when this caller is to publish its alert. */
export async function claimSpendHour(redis: Redis, key: string, h: SpendHour): Promise<SpendClaim> {
  const r = Number(await loadScript(redis, 'claimSpendHour-1')(key, h.hour, Math.round(h.ttlMs), h.eventTime, h.quietUntil ?? ''));
  const claim = CLAIMS[r];
  if (claim === undefined) throw new Error(`claimSpendHour returned ${r}`);
  return claim;
}
