/**
 * From the Redis windows to model inputs: the last 24 hours (or up to the five-minute windows' 48) of a series' 5-minute buckets,
 * read for many series in one pipelined round trip, become the forecaster's 288 five-minute
 * values (each bucket's mean: its sum over its count). A 5-minute step without any event repeats the previous step (forward fill, as the
 * training data's gaps were filled); steps before the series' first event take its first
 * value. A series with no event in the 24 hours has no history. Beside it, the coarse context:
 * the 168 complete hourly buckets before the current hour (their means; NaN for an hour
 * without events), and the anomaly detector's long range (the min and max of the ANOMALY_LONG_HOURS
 * hours before the newest step's hour), read in the same round trip from one run of hour buckets.
 */
import type { PartitionRef, WindowStore } from '../windows/window-store.js';
import { ANOMALY_LONG_HOURS, type LongRange } from '../scoring/anomaly-detector.js';
import { COARSE_HOURS, DAY } from '../scoring/features.js';
import type { ForecastInput } from '../scoring/forecaster.js';
import type { HourBuckets } from '../windows/window-query.js';

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
 */
export async function historiesFromWindows(store: WindowStore, series: SeriesRef[], endMs: number, steps = DAY): Promise<(WindowHistory | undefined)[]> {
  const alignedOf = (s: SeriesRef): number => Math.floor((s.endMs ?? endMs) / STEP_MS) * STEP_MS;
  const buckets = await store.lastTotals(
    series.flatMap((s) => [
      { ref: s.ref, seriesId: s.seriesId, resolution: 'five' as const, n: steps, endMs: alignedOf(s) - 1 },
      // the hours before the one the step's end falls in (features.ts coarseFirstHour)
      { ref: s.ref, seriesId: s.seriesId, resolution: 'coarse' as const, n: HOURS_READ, endMs: Math.floor(alignedOf(s) / HOUR_MS) * HOUR_MS - 1 },
    ]),
  );
  return series.map((_, i) => {
    const bs = buckets[2 * i];
    const hours = buckets[2 * i + 1];
    const coarse = Float64Array.from(hours.slice(-COARSE_HOURS), (b) => (b && b.count > 0 ? b.sum / b.count : NaN));
    const aligned = alignedOf(series[i]);
    // the newest step [aligned − 5 min, aligned) lies in the last hour read when aligned is on the hour: that hour is not "before"
    const longEnd = aligned % HOUR_MS === 0 ? HOURS_READ - 1 : HOURS_READ;
    const long = { hi: NaN, lo: NaN };
    for (const b of hours.slice(longEnd - ANOMALY_LONG_HOURS, longEnd)) {
      if (!b || b.count === 0) continue;
      if (!(b.max <= long.hi)) long.hi = b.max;
      if (!Number.isNaN(b.min) && !(b.min >= long.lo)) long.lo = b.min;
    }
    const history = new Float64Array(steps);
    let first = -1;
    for (let k = 0; k < steps; k++) {
      const b = bs[k];
      if (b && b.count > 0) {
        history[k] = b.sum / b.count;
        if (first < 0) {
          first = k;
          history.fill(history[k], 0, k); // the steps before the first event take its value
        }
      } else if (first >= 0) history[k] = history[k - 1]; // a step without events repeats the previous one
    }
    if (first < 0) return undefined;
    // the newest step is [aligned − 5 min, aligned): its time is its start, as in training
    const hoursEnd = Math.floor(aligned / HOUR_MS) * HOUR_MS;
    return { history, timeS: (aligned - STEP_MS) / 1000, coarse, observed: steps - first, long, hours: { endMs: hoursEnd, buckets: hours } };
  });
}
