/**
 * The three window resolutions and how their buckets are grouped into Redis keys ("chunks").
 * A chunk is one hash per series (field: the bucket's offset in its chunk); each chunk key
 * expires when its newest bucket leaves the retention, so memory per series is bounded by
 * design: at most ceil(retention / chunk) + 1 chunks per resolution.
 *
 *   fine    1 minute,   2 h,     with sketch   the recent minutes (alerts, the demo's detail)
 *   five    5 minutes,  48 h,    no sketch     5-minute means (and peaks): the forecaster's 288 steps, the anomaly
 *                                              detector's 576, outcomes' before/after windows, export-history, report
 *   coarse  1 hour,     35 days, with sketch   percentile rules, hourly means, weekly context
 *
 * Chunks stay under Redis's hash-max-listpack-entries (128 by default), so each chunk is a
 * listpack as long as its packed buckets stay under hash-max-listpack-value (64 bytes by
 * default; bucket-codec.ts gives the sizes). README "Redis memory" has the figures.
 */
export interface Resolution {
  name: 'fine' | 'five' | 'coarse';
  /** Short tag used in keys. */
  tag: 'm' | 'f' | 'h';
  bucketMs: number;
  retentionMs: number;
  /** Buckets per chunk key. */
  chunkBuckets: number;
  /** Whether buckets keep the quantile sketch (bins); without it only count, zeros, sum, min and max. */
  sketch: boolean;
}

export type ResolutionName = Resolution['name'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const FINE: Resolution = { name: 'fine', tag: 'm', bucketMs: MINUTE, retentionMs: 2 * HOUR, chunkBuckets: 30, sketch: true };
export const FIVE: Resolution = { name: 'five', tag: 'f', bucketMs: 5 * MINUTE, retentionMs: 48 * HOUR, chunkBuckets: 72, sketch: false };
export const COARSE: Resolution = { name: 'coarse', tag: 'h', bucketMs: HOUR, retentionMs: 35 * DAY, chunkBuckets: 120, sketch: true };
export const RESOLUTIONS = [FINE, FIVE, COARSE] as const;

export function resolutionNamed(name: ResolutionName): Resolution {
  return name === 'fine' ? FINE : name === 'five' ? FIVE : COARSE;
}

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
