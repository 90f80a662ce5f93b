/**
 * The two window resolutions and how their buckets are grouped into Redis keys ("chunks").
 * A chunk is one hash per series; each chunk key expires when its newest bucket leaves the
 * retention, so memory per series is bounded by design: at most
 * ceil(retention / chunk) + 1 chunks per resolution.
 */
export interface Resolution {
  name: 'fine' | 'coarse';
  /** Short tag used in keys. */
  tag: 'm' | 'h';
  bucketMs: number;
  retentionMs: number;
  /** Buckets per chunk key. */
  chunkBuckets: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const FINE: Resolution = { name: 'fine', tag: 'm', bucketMs: MINUTE, retentionMs: 48 * HOUR, chunkBuckets: 120 };
export const COARSE: Resolution = { name: 'coarse', tag: 'h', bucketMs: HOUR, retentionMs: 35 * DAY, chunkBuckets: 24 };
export const RESOLUTIONS = [FINE, COARSE] as const;

export function bucketIndex(res: Resolution, timeMs: number): number {
  return Math.floor(timeMs / res.bucketMs);
}

export function chunkIndex(res: Resolution, bucket: number): number {
  return Math.floor(bucket / res.chunkBuckets);
}

/** When a chunk's key may go: its last bucket's end plus the retention. */
export function chunkExpireAt(res: Resolution, chunk: number): number {
  return (chunk + 1) * res.chunkBuckets * res.bucketMs + res.retentionMs;
}
