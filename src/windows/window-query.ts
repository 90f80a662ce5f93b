/** Questions answered from the windows: a series' summary and quantiles over a time range. */
import { ForesightError } from '../util/errors.js';
import { bucketIndex, resolutionNamed, type ResolutionName } from './resolutions.js';
import { emptySummary, mergeInto, quantile, type Summary } from './sketch.js';
import type { PartitionRef, WindowStore } from './window-store.js';

export interface RangeStats {
  count: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  buckets: number;
}

/** Merges the buckets of [fromMs, toMs] at one resolution with a sketch ('fine' or 'coarse') into one summary. */
export async function rangeSummary(
  store: WindowStore,
  ref: PartitionRef,
  seriesId: string,
  resolution: ResolutionName,
  fromMs: number,
  toMs: number,
): Promise<{ summary: Summary; buckets: number }> {
  const res = resolutionNamed(resolution);
  if (!res.sketch) throw new ForesightError('INPUT_INVALID', `the ${resolution} windows keep no sketch: ask 'fine' or 'coarse' for a range's quantiles`);
  const n = bucketIndex(res, toMs) - bucketIndex(res, fromMs) + 1;
  const [buckets] = await store.lastBuckets([{ ref, seriesId, resolution, n, endMs: toMs }]);
  const total = emptySummary();
  let filled = 0;
  for (const b of buckets) {
    if (b) {
      mergeInto(total, b);
      filled++;
    }
  }
  return { summary: total, buckets: filled };
}

export function statsOf(s: Summary, buckets: number): RangeStats {
  return {
    count: s.count,
    mean: s.count ? s.sum / s.count : NaN,
    min: s.min,
    max: s.max,
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p95: quantile(s, 0.95),
    p99: quantile(s, 0.99),
    buckets,
  };
}
