/**
 * Forecaster features, the TypeScript twin of training/features.py: the same vector from the
 * same 24 hours of 5-minute history and 7 days of hourly context (test/unit/scoring parity
 * test, on golden vectors written by the training code; tolerance 1e-9 relative).
 *
 * `history` holds the last DAY values, oldest first, ending with the value at step t;
 * `timeS` is the unix time of step t in seconds (its start). `coarse` is the coarse context:
 * the means of the COARSE_HOURS complete clock hours before the hour that step t's end falls
 * in, oldest first, NaN where an hour had no data (absent: none known); coarseFirstHour() says which hours.
 */
export const DAY = 288;
export const HISTORY = DAY;
export const COARSE_HOURS = 168;
const P90_INDEX = 151;
/** the weekly ratios to the 24-hour scale are capped (a busy week before an idle day), as the training target is */
const WEEKLY_CAP = 50;
const LAST_HOUR = 12;
export const N_FINE = 24;
export const N_HOURS = 24;
export const N_WEEKLY = 7;
export const N_FEATURES = N_FINE + 2 * N_HOURS + 1 + 4 + N_WEEKLY;

const HOUR_S = 3600;

/** The first clock hour (unix hours) of the coarse context of the step starting at `timeS`; it spans COARSE_HOURS hours. */
export function coarseFirstHour(timeS: number, stepS = 300): number {
  return Math.floor((timeS + stepS) / HOUR_S) - COARSE_HOURS;
}

export function forecastFeatures(
  history: ArrayLike<number>,
  timeS: number,
  horizon: number,
  out: Float32Array | Float64Array = new Float64Array(N_FEATURES),
  coarse?: ArrayLike<number>,
): { features: Float32Array | Float64Array; scale: number } {
  if (history.length !== DAY) throw new Error(`forecast features need exactly ${DAY} steps of history; got ${history.length}`);
  if (coarse && coarse.length !== COARSE_HOURS) throw new Error(`forecast features need ${COARSE_HOURS} hours of coarse context; got ${coarse.length}`);
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < DAY; i++) {
    sum += history[i];
    if (history[i] > max) max = history[i];
  }
  // the last hour's peak (the naive-peak forecast: the model predicts a ratio to it), kept away from 0 after an idle hour
  let lastHour = -Infinity;
  for (let i = DAY - LAST_HOUR; i < DAY; i++) if (history[i] > lastHour) lastHour = history[i];
  const scale = Math.max(lastHour, 0.01 * max) + 1e-9;
  let k = 0;
  for (let i = DAY - N_FINE; i < DAY; i++) out[k++] = history[i] / scale;
  const per = DAY / N_HOURS;
  // the hours' means, then their maxima
  for (let h = 0; h < N_HOURS; h++) {
    let s = 0;
    let m = -Infinity;
    for (let i = h * per; i < (h + 1) * per; i++) {
      s += history[i];
      if (history[i] > m) m = history[i];
    }
    out[k + h] = s / per / scale;
    out[k + N_HOURS + h] = m / scale;
  }
  k += 2 * N_HOURS;
  // values[t+1-DAY .. t+H-DAY]: the first `horizon` values of the 24-hour history
  let dayAgo = -Infinity;
  for (let i = 0; i < horizon; i++) if (history[i] > dayAgo) dayAgo = history[i];
  out[k++] = dayAgo / scale;
  const tod = (((timeS % 86400) + 86400) % 86400) / 86400;
  const dow = ((((Math.floor(timeS / 86400) + 3) % 7) + 7) % 7) / 7;
  out[k++] = Math.sin(2 * Math.PI * tod);
  out[k++] = Math.cos(2 * Math.PI * tod);
  out[k++] = Math.sin(2 * Math.PI * dow);
  out[k++] = Math.cos(2 * Math.PI * dow);
  weeklyFeatures(coarse, sum / DAY, scale, out, k);
  return { features: out, scale };
}

/** weeklyFeatures' working arrays, reused by every call (it is synchronous): no allocation per series. */
const coarseFilled = new Float64Array(COARSE_HOURS);
const coarseSorted = new Float64Array(COARSE_HOURS);

/** The 7 weekly features (training/features.py weekly_features) into out[k..k+6]. */
function weeklyFeatures(raw: ArrayLike<number> | undefined, dayMean: number, scale: number, out: Float32Array | Float64Array, k: number): void {
  const c = coarseFilled;
  let known = 0;
  let first = -1;
  for (let i = 0; i < COARSE_HOURS; i++) {
    const x = raw?.[i];
    if (x !== undefined && !Number.isNaN(x)) {
      known++;
      if (first < 0) first = i;
    }
  }
  if (first < 0) c.fill(dayMean);
  else {
    let last = raw![first];
    for (let i = 0; i < COARSE_HOURS; i++) {
      const x = raw![i];
      if (!Number.isNaN(x)) last = x;
      c[i] = last;
    }
  }
  let same = 0;
  let sameMax = -Infinity;
  for (let d = 0; d < 7; d++) {
    const v = Math.max(c[24 * d], c[24 * d + 1]);
    same += v;
    if (v > sameMax) sameMax = v;
  }
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < COARSE_HOURS; i++) {
    sum += c[i];
    if (c[i] > max) max = c[i];
  }
  coarseSorted.set(c);
  coarseSorted.sort();
  out[k] = Math.min(Math.max(c[0], c[1]) / scale, WEEKLY_CAP);
  out[k + 1] = Math.min(same / 7 / scale, WEEKLY_CAP);
  out[k + 2] = Math.min(sameMax / scale, WEEKLY_CAP);
  out[k + 3] = Math.min(sum / COARSE_HOURS / scale, WEEKLY_CAP);
  out[k + 4] = Math.min(max / scale, WEEKLY_CAP);
  out[k + 5] = Math.min(coarseSorted[P90_INDEX] / scale, WEEKLY_CAP);
  out[k + 6] = known / COARSE_HOURS;
}

/**
 * The clock-hour means of a regular series (what the coarse windows hold), as
 * training/features.py HourlyMeans: `coarseAt(t)` is step t's coarse context.
 */
export class HourlyMeans {
  private readonly first: number;
  private readonly means: Float64Array;

  constructor(
    values: ArrayLike<number>,
    private readonly startS: number,
    private readonly stepS = 300,
  ) {
    this.first = Math.floor(startS / HOUR_S);
    const n = values.length ? Math.floor((startS + stepS * (values.length - 1)) / HOUR_S) - this.first + 1 : 0;
    const sums = new Float64Array(n);
    const counts = new Uint32Array(n);
    for (let t = 0; t < values.length; t++) {
      const h = Math.floor((startS + stepS * t) / HOUR_S) - this.first;
      sums[h] += values[t];
      counts[h]++;
    }
    this.means = sums.map((s, i) => (counts[i] > 0 ? s / counts[i] : NaN));
  }

  coarseAt(t: number): Float64Array {
    const out = new Float64Array(COARSE_HOURS).fill(NaN);
    const from = coarseFirstHour(this.startS + this.stepS * t, this.stepS) - this.first;
    for (let k = 0; k < COARSE_HOURS; k++) {
      const i = from + k;
      if (i >= 0 && i < this.means.length) out[k] = this.means[i];
    }
    return out;
  }
}
