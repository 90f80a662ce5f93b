/**
 * Causal replay of one series through the forecaster: the forecast at row t uses only rows
 * ≤ t (its 24-hour history window); `horizon_peak` is the real maximum of rows t+1 … t+H,
 * empty where the file ends first. The first 287 rows are the warm-up (no forecast).
 *
 * The quantiles then go through the online per-series recalibration the model was evaluated
 * with (training/train.py adaptive_quantiles; adaptive conformal inference, Gibbs & Candès
 * 2021): at row t the forecast made at t − H is checked against the peak of rows
 * t − H + 1 … t, known by then, and each quantile's log multiplier moves by
 * γ · (miss − (1 − τ)). Still causal.
 */
const TAUS = [0.5, 0.9, 0.99] as const;
const KEYS = ['q50', 'q90', 'q99'] as const;

export function adaptQuantiles(rows: BacktestRow[], values: ArrayLike<number>, first: number, horizon: number, gamma: number): void {
  if (gamma === 0) return;
  const logMult = [0, 0, 0];
  const adjusted: number[][] = [];
  for (let t = first; t < rows.length; t++) {
    const k = t - first;
    if (k >= horizon) {
      const tj = t - horizon;
      let peak = -Infinity;
      for (let i = tj + 1; i <= tj + horizon; i++) peak = Math.max(peak, values[i]);
      for (let q = 0; q < 3; q++) logMult[q] += gamma * ((peak > adjusted[k - horizon][q] ? 1 : 0) - (1 - TAUS[q]));
    }
    const r = rows[t];
    const adj = KEYS.map((key, q) => r[key]! * Math.exp(logMult[q]));
    adjusted.push(adj);
    r.q50 = adj[0];
    r.q90 = adj[1];
    r.q99 = adj[2];
  }
}
import { ForesightError } from '../util/errors.js';
import type { Forecaster } from './forecaster.js';

export interface BacktestRow {
  timeMs: number;
  actual: number;
  horizonPeak: number | undefined;
  q50?: number;
  q90?: number;
  q99?: number;
}

export async function backtest(values: Float64Array, startMs: number, stepMs: number, forecaster: Forecaster, onProgress?: (done: number, total: number) => void): Promise<BacktestRow[]> {
  if (stepMs !== forecaster.stepSeconds * 1000) {
    throw new ForesightError('INPUT_INVALID', `the model ${forecaster.info.version} is trained on ${forecaster.stepSeconds}-second steps; --step-seconds ${stepMs / 1000} does not match`);
  }
  const H = forecaster.horizonSteps;
  const warm = forecaster.historySteps - 1;
  const rows: BacktestRow[] = [];
  for (let t = 0; t < values.length; t++) {
    let peak: number | undefined;
    if (t + H < values.length) {
      peak = -Infinity;
      for (let k = t + 1; k <= t + H; k++) peak = Math.max(peak, values[k]);
    }
    rows.push({ timeMs: startMs + t * stepMs, actual: values[t], horizonPeak: peak });
  }
  const BATCH = 1024;
  for (let t0 = warm; t0 < values.length; t0 += BATCH) {
    const ts: number[] = [];
    for (let t = t0; t < Math.min(values.length, t0 + BATCH); t++) ts.push(t);
    const out = await forecaster.forecast(ts.map((t) => ({ history: values.subarray(t - warm, t + 1), timeS: Math.floor((startMs + t * stepMs) / 1000) })));
    ts.forEach((t, i) => Object.assign(rows[t], out[i]));
    onProgress?.(Math.min(values.length, t0 + BATCH) - warm, values.length - warm);
  }
  adaptQuantiles(rows, values, warm, H, forecaster.info.aci_gamma ?? 0);
  return rows;
}

/** The backtest CSV; with `capacity`, a recommended_capacity column (the capacity decided at that row). */
export function backtestCsv(rows: BacktestRow[], isoTime: boolean, capacity?: (number | undefined)[]): string {
  const f = (x: number | undefined): string => (x === undefined ? '' : String(+x.toPrecision(8)));
  const lines = [`timestamp,actual,horizon_peak,q50,q90,q99${capacity ? ',recommended_capacity' : ''}`];
  rows.forEach((r, i) => {
    const ts = isoTime ? new Date(r.timeMs).toISOString() : String(r.timeMs / 1000);
    lines.push(`${ts},${f(r.actual)},${f(r.horizonPeak)},${f(r.q50)},${f(r.q90)},${f(r.q99)}${capacity ? `,${f(capacity[i])}` : ''}`);
  });
  return lines.join('\n') + '\n';
}
