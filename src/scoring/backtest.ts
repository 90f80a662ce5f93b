/**
 * Causal replay of one series through the forecaster, as the live loop sees it: the forecast
 * at row t uses only rows ≤ t — the 24 hours up to row t, the steps before the first row
 * taking the first row's value (as recommend/window-history.ts fills a new series), and the hourly means
 * of the 7 days before row t's hour (as the coarse windows hold them) — so rows from the
 * first one on are decided, as live. `horizon_peak` is the real maximum of rows t+1 … t+H,
 * empty where the file ends first. Row t is the step that closes at `stepEndMs` =
 * its time + one step, as the live loop scores it.
 */
import { ForesightError } from '../util/errors.js';
import { HISTORY, HourlyMeans } from './features.js';
import type { Forecast, Forecaster } from './forecaster.js';
import { emptyRecalibration, recalibrate, type ExpertMix } from './recalibration.js';

export interface BacktestRow {
  timeMs: number;
  stepEndMs: number;
  actual: number;
  horizonPeak: number | undefined;
  /** the forecaster's history for this row */
  history: ArrayLike<number>;
  /** the forecaster's raw output */
  forecast: Forecast;
}

/** The 24 hours ending with row t; before the first row, the first row's value. */
export function historyAt(values: Float64Array, t: number): ArrayLike<number> {
  if (t + 1 >= HISTORY) return values.subarray(t + 1 - HISTORY, t + 1);
  const h = new Float64Array(HISTORY).fill(values[0]);
  h.set(values.subarray(0, t + 1), HISTORY - t - 1);
  return h;
}

export async function backtest(
  values: Float64Array,
  startMs: number,
  stepMs: number,
  forecaster: Forecaster,
  onProgress?: (done: number, total: number) => void,
): Promise<BacktestRow[]> {
  if (stepMs !== forecaster.stepSeconds * 1000) {
    throw new ForesightError(
      'INPUT_INVALID',
      `the model ${forecaster.info.version} is trained on ${forecaster.stepSeconds}-second steps; --step-seconds ${stepMs / 1000} does not match`,
    );
  }
  const H = forecaster.horizonSteps;
  const rows: BacktestRow[] = [];
  const hourly = new HourlyMeans(values, startMs / 1000, stepMs / 1000);
  const BATCH = 1024;
  for (let t0 = 0; t0 < values.length; t0 += BATCH) {
    const ts: number[] = [];
    for (let t = t0; t < Math.min(values.length, t0 + BATCH); t++) ts.push(t);
    const inputs = ts.map((t) => ({ history: historyAt(values, t), timeS: Math.floor((startMs + t * stepMs) / 1000), coarse: hourly.coarseAt(t) }));
    const out = await forecaster.forecast(inputs);
    ts.forEach((t, i) => {
      let peak: number | undefined;
      if (t + H < values.length) {
        peak = -Infinity;
        for (let k = t + 1; k <= t + H; k++) peak = Math.max(peak, values[k]);
      }
      rows.push({
        timeMs: startMs + t * stepMs,
        stepEndMs: startMs + (t + 1) * stepMs,
        actual: values[t],
        horizonPeak: peak,
        history: inputs[i].history,
        forecast: out[i],
      });
    });
    onProgress?.(Math.min(values.length, t0 + BATCH), values.length);
  }
  return rows;
}

/** The rows' forecasts after the per-series online mix and recalibration (what the decision engine uses). */
export function recalibrated(rows: BacktestRow[], stepMs: number, horizon: number, gamma: number, mix?: ExpertMix | null): Forecast[] {
  let state = emptyRecalibration();
  return rows.map((r) => {
    const next = recalibrate(state, r.forecast, r.history, r.stepEndMs, stepMs, horizon, gamma, mix);
    state = next.state;
    return next.forecast;
  });
}

/** What the policy decided at a row (backtest --policy): capacity, and the replicas and whether a change was published when the policy sizes replicas. */
export interface RowDecision {
  capacity: number;
  replicas?: number;
  maxReplicas?: number;
  published: boolean;
}

/**
 * The backtest CSV (recalibrated forecasts); with decisions, a recommended_capacity column
 * (the capacity decided at that row), and for a policy that sizes replicas min_replicas,
 * max_replicas and published (1 where a recommendation would be published).
 */
export function backtestCsv(rows: BacktestRow[], forecasts: Forecast[], isoTime: boolean, decisions?: (RowDecision | undefined)[]): string {
  const f = (x: number | undefined): string => (x === undefined ? '' : String(+x.toPrecision(8)));
  const sized = decisions?.some((d) => d?.replicas !== undefined) ?? false;
  const head = decisions ? `,recommended_capacity${sized ? ',min_replicas,max_replicas,published' : ''}` : '';
  const lines = [`timestamp,actual,horizon_peak,q50,q90,q99${head}`];
  rows.forEach((r, i) => {
    const ts = isoTime ? new Date(r.timeMs).toISOString() : String(r.timeMs / 1000);
    const q = forecasts[i];
    const d = decisions?.[i];
    const tail = decisions ? `,${f(d?.capacity)}${sized ? `,${d?.replicas ?? ''},${d?.maxReplicas ?? ''},${d?.published ? 1 : ''}` : ''}` : '';
    lines.push(`${ts},${f(r.actual)},${f(r.horizonPeak)},${f(q?.q50)},${f(q?.q90)},${f(q?.q99)}${tail}`);
  });
  return lines.join('\n') + '\n';
}
