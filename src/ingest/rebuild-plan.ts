/**
 * Where a partition's rebuild starts after Redis lost its state (pure; state-guard.ts does the
 * I/O). Redis's state is consistent as of its applied offset `stored` (-1: nothing): every
 * script call wrote a batch and its offset together, and Redis persists whole transactions.
 * So the events from `stored + 1` to the consumer's position must be applied again, and Kafka
 * is read from there, except for:
 *
 *   - what retention deleted (before `low`, the partition's earliest offset): lost for good,
 *     unless it is also older than the windows keep;
 *   - what the windows would not keep anyway: records before `byTime`, the first offset whose
 *     record timestamp is within FORESIGHT_MAX_EVENT_AGE_MS (the 6-hour windows' 35 days).
 *     Their events are older still (an event is produced after it happens) and would be
 *     rejected as clock-skew; with FORESIGHT_REPLAY_HISTORY the caller passes `low`.
 *
 * Events are missing (the history is incomplete) when the rebuild would need records that are
 * deleted: `stored + 1 < low`, and the record at `low` is itself within the windows' reach
 * (`byTime <= low`; if it is older, so were the deleted ones, by their timestamps).
 */
export interface RebuildInput {
  /** the applied offset Redis holds (-1: none) */
  stored: bigint;
  /** the consumer's position before the loss (one past the last offset applied or committed) */
  position: bigint;
  /** the partition's earliest offset (log start) */
  low: bigint;
  /** the first offset whose record timestamp is within the windows' retention (high watermark when none) */
  byTime: bigint;
}

export interface RebuildPlan {
  /** the offset the consumer reads from */
  seekTo: bigint;
  /** offsets [from, to) whose events Redis lost and Kafka deleted */
  missing?: { from: bigint; to: bigint };
}

export function planRebuild({ stored, position, low, byTime }: RebuildInput): RebuildPlan {
  const need = stored + 1n;
  const max = (...xs: bigint[]): bigint => xs.reduce((a, b) => (b > a ? b : a));
  const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
  // never past the position because of age alone: what the consumer had not read yet is read
  const seekTo = max(need, low, min(byTime, position));
  const missing = need < low && byTime <= low ? { from: need, to: low } : undefined;
  return missing ? { seekTo, missing } : { seekTo };
}
