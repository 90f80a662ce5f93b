/**
 * From the Redis windows to model inputs: the last 24 hours (or up to the five-minute windows' 48) of a series' 5-minute buckets,
 * read for many series in one pipelined round trip, become the forecaster's 288 five-minute
 * values (each bucket's mean: its sum over its count). A 5-minute step without any event repeats the previous step (forward fill, as the
 * training data's gaps were filled); steps before the series' first event take its first
 * value. A series with no event in the 24 hours has no history. Beside it, the coarse context:
 * the 168 complete hourly buckets before the current hour (their means; NaN for an hour
 * without events), and the anomaly detector's long range (the min and max of the ANOMALY_LONG_HOURS
 * hours before the newest step's hour), read in the same round trip from one run of hour buckets.
 *
 * With a HistoryCache (the recommendation loop's), what was read for a series' last scored step
 * is kept in memory, and its next step reads only the buckets that can have changed since (the
 * newest steps; history-cache.ts says which): a few fields of one or two chunks instead of ~14
 * whole chunk hashes. The result is the same as a full read.
 */
import type { PartitionRef, WindowStore } from '../windows/window-store.js';
import { ANOMALY_LONG_HOURS, type LongRange } from '../scoring/anomaly-detector.js';
import { COARSE_HOURS, DAY } from '../scoring/features.js';
import type { ForecastInput } from '../scoring/forecaster.js';
import type { HourBuckets } from '../windows/window-query.js';
import type { BucketTotals } from '../windows/bucket-codec.js';
import { HistoryCache, type KeptHistory } from './history-cache.js';

const STEP_MS = 300_000;
const HOUR_MS = 3_600_000;

export interface SeriesRef {
  ref: PartitionRef;
  seriesId: string;
  /** per-series end (overrides the call's endMs) */
  endMs?: number;
}

/** A history and how many of its newest steps follow the series' first event (the rest repeat its first value). */
export interface WindowHistory extends ForecastInput {
  history: Float64Array;
  observed: number;
  /** The hour buckets' range before the newest step's hour (NaN: no bucket), for the anomaly detector. */
  long: LongRange;
  /** The hour buckets read (the hours before the one the step's end falls in): the hourly rules reuse them (window-query.ts hourlyMeans). */
  hours: HourBuckets;
}

/** Hours read: enough for the coarse context and the long range, one more for when the newest step ends on the hour. */
const HOURS_READ = Math.max(COARSE_HOURS, ANOMALY_LONG_HOURS) + 1;

/**
 * `endMs`: the end of the last complete 5-minute step to forecast from (a multiple of 5 minutes).
 * `steps`: how many 5-minute steps to return (a day by default; at most the five-minute windows' 48 hours).
 * `cache`: keeps what was read for each series, so its next step reads only what can have changed.
 */
export async function historiesFromWindows(
  store: WindowStore,
  series: SeriesRef[],
  endMs: number,
  steps = DAY,
  cache?: HistoryCache,
): Promise<(WindowHistory | undefined)[]> {
  // a series with several steps in one call (a replayed batch): each read whole, the newest kept
  const keys = cache ? series.map(keyOf) : [];
  const times = new Map<string, number>();
  for (const k of keys) times.set(k, (times.get(k) ?? 0) + 1);
  // per series: which of its newest buckets to read (all of them without a kept history)
  const plans = series.map((s, i) => {
    const aligned = Math.floor((s.endMs ?? endMs) / STEP_MS) * STEP_MS;
    const hoursEnd = Math.floor(aligned / HOUR_MS) * HOUR_MS;
    const kept = cache && times.get(keys[i]) === 1 ? cache.get(s.ref, s.seriesId) : undefined;
    const since = kept && cache!.changedSince(kept, steps, aligned, hoursEnd);
    return {
      aligned,
      hoursEnd,
      kept: since ? kept : undefined,
      five: since ? Math.min(steps, (aligned - since.fiveFromMs) / STEP_MS) : steps,
      hours: since ? Math.min(HOURS_READ, Math.max(0, (hoursEnd - since.hoursFromMs) / HOUR_MS)) : HOURS_READ,
    };
  });
  const requests = plans.flatMap((p, i) => [
    { ref: series[i].ref, seriesId: series[i].seriesId, resolution: 'five' as const, n: p.five, endMs: p.aligned - 1 },
    // the hours before the one the step's end falls in (features.ts coarseFirstHour)
    ...(p.hours > 0 ? [{ ref: series[i].ref, seriesId: series[i].seriesId, resolution: 'coarse' as const, n: p.hours, endMs: p.hoursEnd - 1 }] : []),
  ]);
  const buckets = await store.lastTotals(requests);
  let k = 0;
  // the call's histories side by side in one array (one allocation per call, not one per series)
  const arena = new Float64Array(steps * series.length);
  return plans.map((p, i) => {
    const kept = p.kept ? HistoryCache.shifted(p.kept, p.aligned, p.hoursEnd) : emptyKept(steps, p.aligned, p.hoursEnd);
    putFive(kept, buckets[k++]);
    if (p.hours > 0) putHours(kept, buckets[k++]);
    const now = cache?.get(series[i].ref, series[i].seriesId);
    if (cache && (now === undefined || now === kept || now.endMs <= kept.endMs)) cache.set(series[i].ref, series[i].seriesId, kept);
    return historyOf(kept, arena.subarray(i * steps, (i + 1) * steps));
  });
}

const keyOf = (s: SeriesRef): string => `${s.ref.topic}\n${s.ref.partition}\n${s.seriesId}`;

function emptyKept(steps: number, endMs: number, hoursEndMs: number): KeptHistory {
  const nan = (n: number): Float64Array => new Float64Array(n).fill(NaN);
  return { endMs, five: nan(steps), hoursEndMs, hourMean: nan(HOURS_READ), hourMin: nan(HOURS_READ), hourMax: nan(HOURS_READ) };
}

const meanOf = (b: BucketTotals | null): number => (b && b.count > 0 ? b.sum / b.count : NaN);

/** The newest five-minute buckets read: their means in place (NaN: no event). */
function putFive(kept: KeptHistory, read: (BucketTotals | null)[]): void {
  const at = kept.five.length - read.length;
  for (let j = 0; j < read.length; j++) kept.five[at + j] = meanOf(read[j]);
}

/** The newest hour buckets read: their means, minima and maxima in place (NaN: no event). */
function putHours(kept: KeptHistory, read: (BucketTotals | null)[]): void {
  const at = HOURS_READ - read.length;
  for (let j = 0; j < read.length; j++) {
    const b = read[j];
    const filled = b !== null && b.count > 0;
    kept.hourMean[at + j] = meanOf(b);
    kept.hourMin[at + j] = filled ? b.min : NaN;
    kept.hourMax[at + j] = filled ? b.max : NaN;
  }
}

/**
 * The model inputs from a series' buckets, its history written into `history` (undefined: no
 * event in the steps asked for). The coarse context and the hours are views of the kept
 * arrays: valid until the series' next step is read (the caller uses them within its batch).
 */
function historyOf(kept: KeptHistory, history: Float64Array): WindowHistory | undefined {
  const steps = kept.five.length;
  let first = -1;
  for (let k = 0; k < steps; k++) {
    const m = kept.five[k];
    if (!Number.isNaN(m)) {
      history[k] = m;
      if (first < 0) {
        first = k;
        history.fill(m, 0, k); // the steps before the first event take its value
      }
    } else if (first >= 0) history[k] = history[k - 1]; // a step without events repeats the previous one
  }
  if (first < 0) return undefined;
  const coarse = kept.hourMean.subarray(HOURS_READ - COARSE_HOURS);
  // the newest step [aligned − 5 min, aligned) lies in the last hour read when aligned is on the hour: that hour is not "before"
  const longEnd = kept.endMs % HOUR_MS === 0 ? HOURS_READ - 1 : HOURS_READ;
  const long = { hi: NaN, lo: NaN };
  for (let h = longEnd - ANOMALY_LONG_HOURS; h < longEnd; h++) {
    if (Number.isNaN(kept.hourMean[h])) continue; // no event in that hour
    const [max, min] = [kept.hourMax[h], kept.hourMin[h]];
    if (!(max <= long.hi)) long.hi = max;
    if (!Number.isNaN(min) && !(min >= long.lo)) long.lo = min;
  }
  // the newest step is [aligned − 5 min, aligned): its time is its start, as in training
  return {
    history,
    timeS: (kept.endMs - STEP_MS) / 1000,
    coarse,
    observed: steps - first,
    long,
    hours: { endMs: kept.hoursEndMs, means: kept.hourMean },
  };
}
