/**
 * The anomaly detector (anomaly-4.0.0), the TypeScript twin of training/detector.py (its
 * docstring explains the algorithm; test/unit/scoring/anomaly.test.ts keeps the two equal on
 * the golden file that training/nab_eval.py writes). A deterministic streaming algorithm
 * without trained weights: the score of a series' newest point is a function of its last
 * ANOMALY_WINDOW steps alone (two days of 5-minute steps), which the Redis windows hold, so
 * serving needs no other state and a replay scores the same.
 *
 * - novelty at 1, 6 and 24 steps: the mean of the newest k points beyond the range of the
 *   window's earlier points, in their standard deviations, × k^¼; for the single point, the range also spans the
 *   ANOMALY_LONG_HOURS (7 days) whole clock hours before the newest point's hour (their hour buckets' min and max: the
 *   long memory, so a spike as high as one seen within the week is not novel);
 * - change of the daily shape at 6 and 24 steps: the same z on day-over-day differences, × 0.1;
 * - prediction-error surprise: the error |x − mean of the 6 points before| of the newest 24 points against
 *   the 400 errors before them, as a one-sided z, × 0.85 (a series that turns noisier or changes pattern in range);
 * - scales floored at 1e-3 × |mean level| + 1e-9; nothing scores during the first day;
 * - score = raw / (raw + 5), in [0, 1).
 */
export const ANOMALY_VERSION = 'anomaly-4.0.0';
/** The serving threshold (the policy default), the one scored on NAB by training/nab_eval.py. */
export const ANOMALY_THRESHOLD = 0.225;
/** Steps the detector reads: the newest point and the ones before it. */
export const ANOMALY_WINDOW = 576;
/** Whole clock hours before the newest point's hour whose min and max widen the single point's range (the long memory). */
export const ANOMALY_LONG_HOURS = 168;
const HOUR_S = 3600;

/** The range of the values in the ANOMALY_LONG_HOURS hours before the newest point's hour; NaN where unknown. */
export interface LongRange {
  hi: number;
  lo: number;
}
const SCALES = [1, 6, 24];
const SEASONAL_SCALES = [6, 24];
const SEASONAL_WEIGHT = 0.1;
const PRED_STEPS = 6;
const SURPRISE_RECENT = 24;
const SURPRISE_REF = 400;
const SURPRISE_WEIGHT = 0.85;
const MIN_REF = 48;
const Z_HALF = 5;
const LEVEL_FLOOR = 1e-3;
const TINY = 1e-9;

function mean(a: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  return s / (to - from);
}

/** Population standard deviation of a[from, to), around `m`. */
function std(a: ArrayLike<number>, from: number, to: number, m: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (a[i] - m) ** 2;
  return Math.sqrt(s / (to - from));
}

/**
 * The score of the newest point of `history` (oldest first; only the series' own points, none
 * before its first; the last ANOMALY_WINDOW are used). `stepsPerDay`: 288 for 5-minute steps,
 * 24 for hourly ones. `long`: the long range (without it, the window's range alone).
 */
export function anomalyScore(history: ArrayLike<number>, stepsPerDay = 288, long?: LongRange): number {
  const all = history.length;
  const off = Math.max(0, all - ANOMALY_WINDOW);
  const w = off === 0 ? history : Array.prototype.slice.call(history, off);
  const n = w.length;
  const P = stepsPerDay;
  if (n - 1 < P) return 0; // warm-up: one day
  const floor = LEVEL_FLOOR * Math.abs(mean(w, 0, n - 1)) + TINY;
  let raw = 0;
  for (const k of SCALES) {
    const refN = n - k;
    if (refN < MIN_REF) continue;
    let hi = -Infinity;
    let lo = Infinity;
    for (let i = 0; i < refN; i++) {
      if (w[i] > hi) hi = w[i];
      if (w[i] < lo) lo = w[i];
    }
    if (k === 1 && long) {
      if (long.hi > hi) hi = long.hi; // NaN compares false: no widening
      if (long.lo < lo) lo = long.lo;
    }
    const m = mean(w, 0, refN);
    const recent = mean(w, refN, n);
    const beyond = Math.max(0, recent - hi, lo - recent);
    raw = Math.max(raw, (beyond / Math.max(std(w, 0, refN, m), floor)) * k ** 0.25);
  }
  if (n > P) {
    const dn = n - P;
    const d = scratch(0, dn); // d[j] = w[j + P] − w[j]
    for (let j = 0; j < dn; j++) d[j] = w[j + P] - w[j];
    for (const k of SEASONAL_SCALES) {
      const refN = dn - k;
      if (refN < MIN_REF) continue;
      const mu = mean(d, 0, refN);
      const recent = mean(d, refN, dn);
      raw = Math.max(raw, (Math.abs(recent - mu) / Math.max(std(d, 0, refN, mu), floor)) * k ** 0.25 * SEASONAL_WEIGHT);
    }
  }
  raw = Math.max(raw, surprise(w, floor));
  return raw / (raw + Z_HALF);
}

/** Working arrays of anomalyScore and surprise (synchronous: reused by every call, no allocation per series), grown as needed. */
const scratchArrays = [new Float64Array(0), new Float64Array(0)];

/** The first `n` values of working array `i` (their contents are the last call's: write before reading). */
function scratch(i: number, n: number): Float64Array {
  if (scratchArrays[i].length < n) scratchArrays[i] = new Float64Array(Math.max(n, 2 * scratchArrays[i].length));
  return scratchArrays[i].subarray(0, n);
}

/** Prediction-error surprise of the newest point of w (see training/detector.py): 0 without MIN_REF reference errors. */
function surprise(w: ArrayLike<number>, floor: number): number {
  const n = w.length;
  const k = SURPRISE_RECENT;
  const refN = Math.min(n - k, SURPRISE_REF);
  if (refN < MIN_REF) return 0;
  const from = n - k - refN; // the first error used
  const err = scratch(1, n - from).fill(0); // err[j] = e_{from + j}; 0 until PRED_STEPS points precede
  for (let i = Math.max(from, PRED_STEPS); i < n; i++) {
    let sum = 0; // the mean of the PRED_STEPS points before i, summed inline (the hot path: ~430 points per call)
    for (let j = i - PRED_STEPS; j < i; j++) sum += w[j];
    err[i - from] = Math.abs(w[i] - sum / PRED_STEPS);
  }
  const mu = mean(err, 0, refN);
  const z = Math.max(0, mean(err, refN, refN + k) - mu) / Math.max(std(err, 0, refN, mu), floor);
  return z * SURPRISE_WEIGHT;
}

/** The long range of every point (times in seconds): the min and max of the values in the ANOMALY_LONG_HOURS clock hours before its hour. */
export function longRanges(values: ArrayLike<number>, timesS: ArrayLike<number>): LongRange[] {
  const hourOf = (i: number): number => Math.floor(timesS[i] / HOUR_S);
  const h0 = values.length > 0 ? hourOf(0) : 0;
  const hourHi = new Map<number, number>();
  const hourLo = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const h = hourOf(i) - h0;
    hourHi.set(h, Math.max(hourHi.get(h) ?? -Infinity, values[i]));
    hourLo.set(h, Math.min(hourLo.get(h) ?? Infinity, values[i]));
  }
  const out: LongRange[] = [];
  for (let i = 0; i < values.length; i++) {
    const h = hourOf(i) - h0;
    let hi = NaN;
    let lo = NaN;
    for (let j = Math.max(0, h - ANOMALY_LONG_HOURS); j < h; j++) {
      const a = hourHi.get(j);
      const b = hourLo.get(j);
      if (a !== undefined && !(a <= hi)) hi = a;
      if (b !== undefined && !(b >= lo)) lo = b;
    }
    out.push({ hi, lo });
  }
  return out;
}

/** The score of every point of one series, causally (the CLI's and the tests' form); with the points' times (seconds), the long memory too. */
export function anomalyScores(values: ArrayLike<number>, stepsPerDay = 288, timesS?: ArrayLike<number>): Float64Array {
  const long = timesS ? longRanges(values, timesS) : undefined;
  const out = new Float64Array(values.length);
  for (let t = 0; t < values.length; t++) {
    const from = Math.max(0, t + 1 - ANOMALY_WINDOW);
    out[t] = anomalyScore(Array.prototype.slice.call(values, from, t + 1) as number[], stepsPerDay, long?.[t]);
  }
  return out;
}
