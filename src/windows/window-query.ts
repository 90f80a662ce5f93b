/** Questions answered from the windows: a series' summary and quantiles over a time range. */
import { ForesightError } from '../util/errors.js';
import { bucketIndex, COARSE, HOURS_READ_MS, QUARTER, resolutionNamed, type ResolutionName } from './resolutions.js';
import { emptySummary, mergeInto, quantile, type Summary } from './sketch.js';
import type { PartitionRef, WindowStore } from './window-store.js';

/** A series' hour buckets read already (the scoring's history read): the means of the hours before `endMs`, oldest first (NaN: no event). */
export interface HourBuckets {
  endMs: number;
  means: Float64Array;
}

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

type Range = { summary: Summary; buckets: number };

/**
 * Merges the buckets of [fromMs, toMs] at one resolution with a sketch into one summary.
 * 'coarse' over a range longer than the hour buckets are read for (HOURS_READ_MS, 7 days):
 * hours for its last part, from a 6-hour boundary, and the 6-hour ('quarter') buckets before
 * it, from the one `fromMs` falls in (so such a range may start up to 6 hours early). The sketch
 * is the same at both, so the quantiles keep its stated error. `buckets` counts filled buckets in
 * units of the asked resolution (a filled 6-hour bucket counts as 6 hours).
 */
export async function rangeSummary(
  store: WindowStore,
  ref: PartitionRef,
  seriesId: string,
  resolution: ResolutionName,
  fromMs: number,
  toMs: number,
): Promise<Range> {
  if (resolution !== 'coarse' || fromMs >= toMs - HOURS_READ_MS) return oneResolution(store, ref, seriesId, resolution, fromMs, toMs);
  const split = Math.ceil((toMs - HOURS_READ_MS) / QUARTER.bucketMs) * QUARTER.bucketMs;
  const hours = await oneResolution(store, ref, seriesId, 'coarse', split, toMs);
  const older = await oneResolution(store, ref, seriesId, 'quarter', fromMs, split - 1);
  mergeInto(hours.summary, older.summary);
  return { summary: hours.summary, buckets: hours.buckets + (older.buckets * QUARTER.bucketMs) / COARSE.bucketMs };
}

/** rangeSummary at one resolution. */
async function oneResolution(store: WindowStore, ref: PartitionRef, id: string, name: ResolutionName, from: number, to: number): Promise<Range> {
  const res = resolutionNamed(name);
  if (!res.sketch) throw new ForesightError('INPUT_INVALID', `the ${name} windows keep no sketch: ask 'fine', 'coarse' or 'quarter' for a range's quantiles`);
  const n = bucketIndex(res, to) - bucketIndex(res, from) + 1;
  const [buckets] = await store.lastBuckets([{ ref, seriesId: id, resolution: name, n, endMs: to }]);
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

/**
 * A series' hourly means over the `hours` hours before `endMs` (an hour boundary), oldest first;
 * hours without samples are left out. Hours older than the hour buckets are read for
 * (HOURS_READ_MS, 7 days) come from the 6-hour buckets: each filled one stands for its hours
 * with its highest sample, an upper bound of each of their means, so a rule that asks "every
 * hour below x" (the idle rule) holds on them only where it surely holds.
 */
export async function hourlyMeans(
  store: WindowStore,
  ref: PartitionRef,
  seriesId: string,
  endMs: number,
  hours: number,
  read?: HourBuckets,
): Promise<number[]> {
  // the hours asked for were read already (all within the hour buckets' range): no second read
  if (read && read.endMs === endMs && hours <= read.means.length && hours * COARSE.bucketMs <= HOURS_READ_MS)
    return Array.from(read.means.subarray(-hours)).filter((m) => !Number.isNaN(m));
  const fromMs = endMs - hours * COARSE.bucketMs;
  const split = fromMs >= endMs - HOURS_READ_MS ? fromMs : Math.ceil((endMs - HOURS_READ_MS) / QUARTER.bucketMs) * QUARTER.bucketMs;
  const recent = Math.round((endMs - split) / COARSE.bucketMs);
  const quarters = Math.ceil((split - fromMs) / QUARTER.bucketMs);
  const [hourly] = await store.lastTotals([{ ref, seriesId, resolution: 'coarse', n: recent, endMs: endMs - 1 }]);
  const out: number[] = [];
  if (quarters > 0) {
    const [older] = await store.lastBuckets([{ ref, seriesId, resolution: 'quarter', n: quarters, endMs: split - 1 }]);
    older.forEach((b, i) => {
      const startMs = split - (quarters - i) * QUARTER.bucketMs;
      const within = (QUARTER.bucketMs - Math.max(0, fromMs - startMs)) / COARSE.bucketMs;
      if (b && b.count > 0) for (let h = 0; h < within; h++) out.push(b.max);
    });
  }
  for (const b of hourly) if (b && b.count > 0) out.push(b.sum / b.count);
  return out;
}
