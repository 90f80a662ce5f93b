/**
 * The four window resolutions and how their buckets are grouped into Redis keys ("chunks").
 * A chunk is one hash per series (field: the bucket's offset in its chunk); each chunk key
 * expires when its newest bucket leaves the retention, so memory per series is bounded by
 * design: at most ceil(retention / chunk) + 1 chunks per resolution.
 *
 *   fine    1 minute,   2 h,     with sketch   the recent minutes (alerts, the demo's detail)
 *   five    5 minutes,  48 h,    no sketch     5-minute means (and peaks): the forecaster's 288 steps, the anomaly
 *                                              detector's 576, outcomes' before/after windows, export-history, report
 *   coarse  1 hour,     8 days,  with sketch   percentile rules over the last 7 days, hourly means (idle, spot),
 *                                              the forecaster's weekly context (168 hours)
 *   quarter 6 hours,    35 days, with sketch   percentile rules over longer windows (window-query.ts rangeSummary:
 *                                              hours for the last 7 days, 6-hour buckets before them)
 *
 * Every event lands in all four (one script call). The same sketch at every resolution, so a
 * percentile over 35 days keeps the sketch's stated relative error; what the 6-hour buckets
 * lose is only where a window older than 7 days starts (at a 6-hour boundary).
 * Chunks stay under Redis's hash-max-listpack-entries (128 by default), so each chunk is a
 * listpack as long as its packed buckets stay under hash-max-listpack-value (64 bytes by
 * default; bucket-codec.ts gives the sizes). README "Windows and costs in Redis" has the figures.
 */
export interface Resolution {
  name: 'fine' | 'five' | 'coarse' | 'quarter';
  /** Short tag used in keys. */
  tag: 'm' | 'f' | 'h' | 'q';
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
export const COARSE: Resolution = { name: 'coarse', tag: 'h', bucketMs: HOUR, retentionMs: 8 * DAY, chunkBuckets: 48, sketch: true };
export const QUARTER: Resolution = { name: 'quarter', tag: 'q', bucketMs: 6 * HOUR, retentionMs: 35 * DAY, chunkBuckets: 28, sketch: true };
export const RESOLUTIONS = [FINE, FIVE, COARSE, QUARTER] as const;
/** The longest retention: how far back the windows answer at all. */
export const LONGEST_RETENTION_MS = QUARTER.retentionMs;
/** How far back from a range's end the hour buckets are read (their retention less a day, so a
 * range ending a little behind the newest event still finds them). */
export const HOURS_READ_MS = COARSE.retentionMs - DAY;

export function resolutionNamed(name: ResolutionName): Resolution {
  return name === 'fine' ? FINE : name === 'five' ? FIVE : name === 'coarse' ? COARSE : QUARTER;
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
