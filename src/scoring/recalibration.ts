/**
 * What serving does with the forecaster's output, per series and one step at a time, so the live
 * loop and the backtest run the same code (training/train.py online_quantiles, parity-tested):
 *
 * 1. the expert mix (when the model's `expert_mix` is set): the model's quantiles, the naive
 *    peak (the last hour's maximum) and seasonal naive (the peak of the same horizon one day
 *    earlier) are weighed per quantile by their trailing pinball losses: each forecast is checked
 *    once its horizon has passed, its loss added to a sum that decays by `decay` per check, and
 *    the weights are softmax(−rate · L_e / mean L), scale-free (exponential weights). A series
 *    whose last hour's peak forecasts well (a spiky VM with long flat stretches) leans on it, a
 *    daily-periodic one on the day before, the others on the model; the mix is made non-crossing.
 * 2. the recalibration (adaptive conformal inference, Gibbs & Candès 2021): the served forecast
 *    made H steps ago is checked against the peak of the H steps since, and each quantile's log
 *    multiplier moves by γ · (miss − (1 − τ)); served = mix × exp(log multiplier).
 *
 * The state is what one series carries between steps (Redis, JSON): the log multipliers, the
 * experts' trailing losses, and the last H forecasts awaiting their check. A state saved before
 * the mix existed has no losses: they start at 0 (equal weights).
 */
import type { Forecast } from './forecaster.js';

const TAUS = [0.5, 0.9, 0.99] as const;
type Q3 = [number, number, number];

/** The expert mix's parameters (the model's `expert_mix`, chosen on the validation parts by training/train.py). */
export interface ExpertMix {
  decay: number;
  rate: number;
}

export interface RecalibrationState {
  logMult: Q3;
  /** per expert (model, naive peak, seasonal naive), the decayed sum of its pinball losses per quantile */
  losses?: Q3[];
  /** forecasts made at step ends `atMs` (served; with the mix the experts': the model's q50, q90, q99, naive peak, seasonal naive), not yet checked */
  pending: { atMs: number; q: Q3; experts?: number[] }[];
}

export const emptyRecalibration = (): RecalibrationState => ({ logMult: [0, 0, 0], pending: [] });

const pinball = (y: number, q: number, tau: number): number => Math.max(tau * (y - q), (tau - 1) * (y - q));

/** The experts' forecasts, each as three quantiles, from what a pending forecast keeps: the model's three, naive peak, seasonal naive. */
const expertQuantiles = (e: number[]): Q3[] => [
  [e[0], e[1], e[2]],
  [e[3], e[3], e[3]],
  [e[4], e[4], e[4]],
];

/** The naive-peak and seasonal-naive forecasts from the history (oldest first, ending with the closed step). */
function baselineExperts(history: ArrayLike<number>, horizon: number, day: number): [number, number] {
  const n = history.length;
  let naive = -Infinity;
  for (let i = Math.max(0, n - horizon); i < n; i++) naive = Math.max(naive, history[i]);
  let seasonal = -Infinity;
  const lo = Math.max(0, n - day);
  for (let i = lo; i < Math.min(n, lo + horizon); i++) seasonal = Math.max(seasonal, history[i]);
  return [naive, seasonal];
}

/** Exponential weights over the experts' trailing losses, per quantile; the mixed forecast made non-crossing. */
function mixExperts(experts: Q3[], losses: Q3[], rate: number): Q3 {
  const out: Q3 = [0, 0, 0];
  for (let q = 0; q < 3; q++) {
    let mean = 0;
    for (const l of losses) mean += l[q] / losses.length;
    const z = losses.map((l) => (-rate * l[q]) / (mean + 1e-12));
    const top = Math.max(...z);
    let wsum = 0;
    let acc = 0;
    z.forEach((zi, e) => {
      const w = Math.exp(zi - top);
      wsum += w;
      acc += w * experts[e][q];
    });
    out[q] = acc / wsum;
  }
  out[1] = Math.max(out[0], out[1]);
  out[2] = Math.max(out[1], out[2]);
  return out;
}

/**
 * `history` ends with the step that ends at `stepEndMs` (its value is that step's demand; one
 * day of steps for the seasonal expert). A pending forecast is checked once its horizon has
 * passed; one whose horizon has left the history (a gap of a day) is dropped unchecked.
 * Without `mix` (or gamma 0 and no mix) the model's forecast alone is recalibrated.
 */
export function recalibrate(
  state: RecalibrationState,
  raw: Forecast,
  history: ArrayLike<number>,
  stepEndMs: number,
  stepMs: number,
  horizon: number,
  gamma: number,
  mix?: ExpertMix | null,
  day = 288,
): { forecast: Forecast; state: RecalibrationState } {
  if (gamma === 0 && !mix) return { forecast: raw, state };
  const logMult: Q3 = [...state.logMult];
  const losses: Q3[] | undefined = mix ? (state.losses?.map((l) => [...l] as Q3) ?? [0, 1, 2].map((): Q3 => [0, 0, 0])) : undefined;
  const pending: RecalibrationState['pending'] = [];
  for (const p of state.pending) {
    const due = p.atMs + horizon * stepMs;
    if (due > stepEndMs) {
      pending.push(p);
      continue;
    }
    const peak = realisedPeak(history, stepEndMs, p.atMs, stepMs, horizon);
    if (peak === undefined) continue;
    if (losses && p.experts) {
      expertQuantiles(p.experts).forEach((e, i) => {
        for (let q = 0; q < 3; q++) losses[i][q] = mix!.decay * losses[i][q] + pinball(peak, e[q], TAUS[q]);
      });
    }
    for (let q = 0; q < 3; q++) logMult[q] += gamma * ((peak > p.q[q] ? 1 : 0) - (1 - TAUS[q]));
  }
  const model: Q3 = [raw.q50, raw.q90, raw.q99];
  const experts = losses ? [...model, ...baselineExperts(history, horizon, day)] : undefined;
  const mixed = experts ? mixExperts(expertQuantiles(experts), losses!, mix!.rate) : model;
  const q: Q3 = [mixed[0] * Math.exp(logMult[0]), mixed[1] * Math.exp(logMult[1]), mixed[2] * Math.exp(logMult[2])];
  pending.push(experts ? { atMs: stepEndMs, q, experts } : { atMs: stepEndMs, q });
  return { forecast: { q50: q[0], q90: q[1], q99: q[2] }, state: losses ? { logMult, losses, pending } : { logMult, pending } };
}

/**
 * The realised peak over the horizon of a forecast made at the step end `atMs`: the largest
 * demand of the steps ending at atMs + stepMs … atMs + horizon × stepMs, found in `history`
 * (which ends with the step ending at `stepEndMs`). Undefined when the horizon has not passed
 * yet or has left the history.
 */
export function realisedPeak(history: ArrayLike<number>, stepEndMs: number, atMs: number, stepMs: number, horizon: number): number | undefined {
  const due = atMs + horizon * stepMs;
  if (due > stepEndMs) return undefined;
  const n = history.length;
  // the steps ending at atMs + stepMs … due, found by their distance from the newest
  const newestBack = Math.round((stepEndMs - due) / stepMs);
  if (n - 1 - newestBack - (horizon - 1) < 0) return undefined;
  let peak = -Infinity;
  for (let k = 0; k < horizon; k++) peak = Math.max(peak, history[n - 1 - newestBack - k]);
  return peak;
}
