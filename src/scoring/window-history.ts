/**
 * From the Redis windows to model inputs: the last 24 hours of a series' 5-minute buckets,
 * read for many series in one pipelined round trip, become the forecaster's 288 five-minute
 * values (each bucket's mean: its sum over its count). A 5-minute step without any event repeats the previous step (forward fill, as the
 * training data's gaps were filled); steps before the series' first event take its first
 * value. A series with no event in the 24 hours has no history.
 */
import type { PartitionRef, WindowStore } from '../windows/window-store.js';
import { DAY } from './features.js';
import type { ForecastInput } from './forecaster.js';

const STEP_MS = 300_000;

export interface SeriesRef {
  ref: PartitionRef;
  seriesId: string;
  /** per-series end (overrides the call's endMs) */
  endMs?: number;
}

/** `endMs`: the end of the last complete 5-minute step to forecast from (a multiple of 5 minutes). */
export async function historiesFromWindows(store: WindowStore, series: SeriesRef[], endMs: number): Promise<(ForecastInput | undefined)[]> {
  const alignedOf = (s: SeriesRef): number => Math.floor((s.endMs ?? endMs) / STEP_MS) * STEP_MS;
  const buckets = await store.lastTotals(
    series.map((s) => ({ ref: s.ref, seriesId: s.seriesId, resolution: 'five' as const, n: DAY, endMs: alignedOf(s) - 1 })),
  );
  return buckets.map((bs, i) => {
    const aligned = alignedOf(series[i]);
    const steps = new Array<number | undefined>(DAY);
    let any = false;
    for (let k = 0; k < DAY; k++) {
      const b = bs[k];
      if (b && b.count > 0) {
        steps[k] = b.sum / b.count;
        any = true;
      }
    }
    if (!any) return undefined;
    const history = new Float64Array(DAY);
    let last = steps.find((v) => v !== undefined)!;
    for (let k = 0; k < DAY; k++) {
      if (steps[k] !== undefined) last = steps[k]!;
      history[k] = last;
    }
    // the newest step is [aligned − 5 min, aligned): its time is its start, as in training
    return { history, timeS: (aligned - STEP_MS) / 1000 };
  });
}
