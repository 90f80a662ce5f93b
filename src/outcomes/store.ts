/**
 * Outcomes kept in Redis for `foresight report` and for the loop's reaction to a regressed
 * change: one hash, field = recommendation id, value = the ChangeOutcome as JSON. One outcome per
 * change, so the hash stays small (thousands of entries, not millions). Recording is idempotent:
 * a redelivered outcome overwrites itself.
 */
import type { Redis } from '../windows/redis-client.js';
import type { ChangeOutcome } from './outcome.js';
import { outcomesKey } from '../windows/redis-keys.js';

export async function recordOutcome(redis: Redis, prefix: string, outcome: ChangeOutcome): Promise<void> {
  await redis.hset(outcomesKey(prefix), outcome.recommendationId, JSON.stringify(outcome));
}

export interface OutcomeFilter {
  namespace?: string;
  /** Only outcomes decided at or after this event time (ms). */
  sinceMs?: number;
}

/** Every recorded outcome matching the filter, oldest decision first. */
export async function listOutcomes(redis: Redis, prefix: string, filter: OutcomeFilter = {}): Promise<ChangeOutcome[]> {
  const all = await redis.hvals(outcomesKey(prefix));
  return all
    .map((v) => JSON.parse(v) as ChangeOutcome)
    .filter((o) => (filter.namespace === undefined || o.namespace === filter.namespace) && (filter.sinceMs === undefined || o.decidedAt >= filter.sinceMs))
    .sort((a, b) => a.decidedAt - b.decidedAt);
}
