/**
 * The typed wrappers of lua/claimSpendHour-1.lua and lua/releaseSpendHour-1.lua: a cost scope's
 * newest hour is scored, and its alert published, by exactly one of the partitions and processors
 * that check the scope; a claim whose alert could not be sent is given back for the retry.
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

/** A claim, with what the hash held before it (to give it back). */
export interface SpendClaimed {
  claim: SpendClaim;
  /** "scored" and "quietUntil" before the claim ("" none) */
  before: { scored: string; quietUntil: string };
}

/** Claims the hour at `key` (redis-keys.ts spendAnomalyKey): 'alert' when this caller is to publish its alert. */
export async function claimSpendHour(redis: Redis, key: string, h: SpendHour): Promise<SpendClaimed> {
  const [r, scored, quietUntil] = (await loadScript(redis, 'claimSpendHour-1')(key, h.hour, Math.round(h.ttlMs), h.eventTime, h.quietUntil ?? '')) as [
    number,
    string,
    string,
  ];
  const claim = CLAIMS[Number(r)];
  if (claim === undefined) throw new Error(`claimSpendHour returned ${r}`);
  return { claim, before: { scored, quietUntil } };
}

/**
 * Gives an 'alert' claim back after its alert could not be published, so the retry claims it
 * again; false when a newer hour was claimed since (left as it is).
 */
export async function releaseSpendHour(redis: Redis, key: string, h: SpendHour, before: SpendClaimed['before']): Promise<boolean> {
  return Number(await loadScript(redis, 'releaseSpendHour-1')(key, h.hour, before.scored, h.quietUntil ?? '', before.quietUntil)) === 1;
}
