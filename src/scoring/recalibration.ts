/**
 * The forecaster's online per-series recalibration (training/train.py adaptive_quantiles;
 * adaptive conformal inference, Gibbs & Candès 2021), one step at a time so the live loop and
 * the backtest run the same code: the forecast made H steps ago is checked against the peak
 * of the H steps since (known by now, from the history), and each quantile's log multiplier
 * moves by γ · (miss − (1 − τ)). The state is what one series carries between steps: the
 * three log multipliers and the last H recalibrated forecasts awaiting their check.
 */
import type { Forecast } from './forecaster.js';

const TAUS = [0.5, 0.9, 0.99] as const;

export interface RecalibrationState {
  logMult: [number, number, number];
  /** forecasts made at step ends `atMs` (recalibrated), not yet checked */
  pending: { atMs: number; q: [number, number, number] }[];
}

export const emptyRecalibration = (): RecalibrationState => ({ logMult: [0, 0, 0], pending: [] });

/**
 * `history` ends with the step that ends at `stepEndMs` (its value is that step's demand).
 * A pending forecast is checked once its horizon has passed; one whose horizon has left the
 * history (a gap of a day) is dropped unchecked.
 */
export function recalibrate(
  state: RecalibrationState,
  raw: Forecast,
  history: ArrayLike<number>,
  stepEndMs: number,
  stepMs: number,
  horizon: number,
  gamma: number,
): { forecast: Forecast; state: RecalibrationState } {
  if (gamma === 0) return { forecast: raw, state };
  const logMult: [number, number, number] = [...state.logMult];
  const pending: RecalibrationState['pending'] = [];
  for (const p of state.pending) {
    const due = p.atMs + horizon * stepMs;
    if (due > stepEndMs) {
      pending.push(p);
      continue;
    }
    const peak = realisedPeak(history, stepEndMs, p.atMs, stepMs, horizon);
    if (peak === undefined) continue;
    for (let q = 0; q < 3; q++) logMult[q] += gamma * ((peak > p.q[q] ? 1 : 0) - (1 - TAUS[q]));
  }
  const q: [number, number, number] = [raw.q50 * Math.exp(logMult[0]), raw.q90 * Math.exp(logMult[1]), raw.q99 * Math.exp(logMult[2])];
  pending.push({ atMs: stepEndMs, q });
  return { forecast: { q50: q[0], q90: q[1], q99: q[2] }, state: { logMult, pending } };
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
