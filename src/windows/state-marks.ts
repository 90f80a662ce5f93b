/**
 * What a partition's Redis state says about its own completeness, after Redis lost data
 * (FLUSHALL, a restart without its append-only file, a restore of an older snapshot). Two
 * small keys per source partition, next to its applied offset (same hash tag):
 *
 *   <prefix>:{t:p}:rebuild      string  offset (exclusive) up to which events had been applied
 *                                        before the loss: batches below it are a rebuild, whose
 *                                        steps were scored and whose dead letters were sent
 *                                        already. Deleted once the rebuild passes it.
 *   <prefix>:{t:p}:incomplete   hash    set when Kafka no longer held all the events to rebuild
 *                                        from (deleted by retention):
 *                                          missingFrom, missingTo   offsets [from, to) lost for good
 *                                          markedAt                 wall-clock ms of the detection
 *                                          fromMs                   event time of the first event
 *                                                                   rebuilt after the hole: the
 *                                                                   history is whole from there
 *                                        Expires after the longest window (35 days) has passed.
 *
 * A loss itself is detected from the applied offset (redis-keys.ts): it went backwards
 * under a running consumer, or is behind the consumer group's committed offset (which never
 * passes it while Redis keeps its data). See ingest/state-guard.ts.
 */
import type { Redis } from './redis-client.js';
import { ForesightError } from '../util/errors.js';
import { incompleteKey, readAppliedOffset, rebuildKey, type PartitionRef } from './redis-keys.js';
import { LONGEST_RETENTION_MS } from './resolutions.js';

/** The apply script found the partition's applied offset lower than the one the batch was based on: Redis lost writes. */
export class StateLostError extends ForesightError {
  constructor(
    readonly ref: PartitionRef,
    /** the applied offset the consumer knew */
    readonly expected: bigint,
    /** what Redis holds now (-1: nothing) */
    readonly stored: bigint,
  ) {
    super('REDIS_STATE_LOST', `partition ${ref.topic}/${ref.partition}: Redis holds applied offset ${stored} but ${expected} was applied`);
    this.name = 'StateLostError';
  }
}

export interface IncompleteHistory {
  missingFrom: bigint;
  missingTo: bigint;
  markedAt: number;
  /** event time from which the partition's history is whole (markedAt until the rebuild applied its first event) */
  fromMs: number;
}

const INCOMPLETE_TTL_MS = LONGEST_RETENTION_MS + 24 * 3_600_000;

/** The partition's applied offset and its rebuild mark (undefined: not rebuilding), sent together. */
export async function readPartitionMarks(redis: Redis, prefix: string, p: PartitionRef): Promise<{ applied: bigint; rebuildUntil: bigint | undefined }> {
  const [applied, until] = await Promise.all([readAppliedOffset(redis, prefix, p), redis.get(rebuildKey(prefix, p))]);
  return { applied, rebuildUntil: until === null ? undefined : BigInt(until) };
}

/** Records a loss: the offset the rebuild runs to and, when events are gone for good, the hole. */
export async function markLost(
  redis: Redis,
  prefix: string,
  p: PartitionRef,
  rebuildUntil: bigint,
  missing: { from: bigint; to: bigint } | undefined,
  now = Date.now(),
): Promise<void> {
  const tx = redis.multi().set(rebuildKey(prefix, p), rebuildUntil.toString(), 'PX', INCOMPLETE_TTL_MS);
  if (missing) {
    const key = incompleteKey(prefix, p);
    tx.del(key)
      .hset(key, { missingFrom: missing.from.toString(), missingTo: missing.to.toString(), markedAt: String(now) })
      .pexpire(key, INCOMPLETE_TTL_MS);
  }
  await tx.exec();
}

/** The rebuild passed the offset the partition had reached before the loss. */
export async function clearRebuild(redis: Redis, prefix: string, p: PartitionRef): Promise<void> {
  await redis.del(rebuildKey(prefix, p));
}

/** The event time of the first event rebuilt after the hole (set once). */
export async function setCompleteFrom(redis: Redis, prefix: string, p: PartitionRef, fromMs: number): Promise<void> {
  await redis.hsetnx(incompleteKey(prefix, p), 'fromMs', String(fromMs));
}

/** The partition's hole, if Redis lost events Kafka no longer holds: as its `incomplete` hash holds it (HGETALL, read with the workloads' state by the recommendation loop), or undefined. */
export function incompleteOf(h: Record<string, string>): IncompleteHistory | undefined {
  if (h.markedAt === undefined && h.fromMs === undefined) return undefined;
  const markedAt = Number(h.markedAt ?? h.fromMs);
  return { missingFrom: BigInt(h.missingFrom ?? '-1'), missingTo: BigInt(h.missingTo ?? '-1'), markedAt, fromMs: Number(h.fromMs ?? markedAt) };
}
