/**
 * One series as the report pages show it: its demand, the forecaster's band replayed causally
 * over it (the forecast at step t uses steps ≤ t only, scoring/backtest.ts), the capacity the
 * policy would have held (policy/capacity-plan.ts, as the live loop decides), the VPA-style
 * baseline scaled to the same under-provisioned share, the forecast's accuracy, and the points
 * the anomaly detector scores at or above the policy's threshold. Every figure is computed here from the
 * values; nothing is stored or assumed.
 */
import type { KnownEventRaise } from '../policy/decide-replicas.js';
import { pinball } from '../outcomes/figures.js';
import { summarisePlan, type PlanSummary } from '../policy/backtest-summary.js';
import { planCapacity } from '../policy/capacity-plan.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { vpaRecommendation } from '../policy/vpa-baseline.js';
import { anomalyScores } from '../scoring/anomaly-detector.js';
import { backtest, type BacktestRow } from '../scoring/backtest.js';
import type { Forecaster } from '../scoring/forecaster.js';

export interface SeriesPanel {
  startMs: number;
  stepMs: number;
  demand: number[];
  /** the recalibrated forecast of the peak over the horizon, made at each step (null: none) */
  q50: (number | null)[];
  q90: (number | null)[];
  q99: (number | null)[];
  /** capacity in force from the step on (the plan's decision at the step before) */
  capacity: (number | null)[];
  /** the VPA-style baseline × the scale that misses as often as the plan */
  scaledVpa: (number | null)[];
  summary: PlanSummary;
  accuracy: { quantile: number; rows: number; coverage: number | null; pinballLoss: number | null };
  anomalies: { timeMs: number; value: number; score: number }[];
  anomalyThreshold: number | null;
  modelVersion: string;
}

export async function analyseSeries(
  values: Float64Array,
  startMs: number,
  stepMs: number,
  forecaster: Forecaster,
  policy: ResolvedPolicy,
  opts: {
    /**
     * mark where serving would alert: points the anomaly detector (the one serving uses) scores at
     * or above `threshold`, quiet for `suppressMinutes` after each (anomaly-alerts.ts); undefined: none
     */
    anomaly?: { threshold: number; suppressMinutes: number };
    /** summarise and score only from this row on (the held-out tail); 0: every row */
    fromRow?: number;
    /** the backtest of these values, when the caller has it already (with known events' raises: backtest --events) */
    rows?: (BacktestRow & { event?: KnownEventRaise })[];
  } = {},
): Promise<SeriesPanel> {
  const { anomaly, fromRow = 0 } = opts;
  const rows = opts.rows ?? (await backtest(values, startMs, stepMs, forecaster));
  const plan = planCapacity(rows, policy, { stepMs, horizonSteps: forecaster.horizonSteps, ...forecaster.online });
  const summary = summarisePlan(values, plan, stepMs, fromRow);
  const n = values.length;
  const capacity = Array.from({ length: n }, (_, t) => (t > 0 ? (plan[t - 1]?.capacity ?? null) : null));
  const scaledVpa = Array.from({ length: n }, (_, t) => (t > 0 ? summary.vpa_scale * vpaRecommendation(values, t - 1) : null));
  const q = (k: 'q50' | 'q90' | 'q99'): (number | null)[] => plan.map((p) => p?.forecast[k] ?? null);
  let covered = 0;
  let loss = 0;
  let scored = 0;
  rows.forEach((r, t) => {
    const q90 = plan[t]?.forecast.q90;
    if (t < fromRow || r.horizonPeak === undefined || q90 === undefined) return;
    scored++;
    if (r.horizonPeak <= q90) covered++;
    loss += pinball(0.9, r.horizonPeak, q90);
  });
  const anomalies: SeriesPanel['anomalies'] = [];
  if (anomaly) {
    let quietUntil = -Infinity;
    const timesS = Array.from(values, (_, t) => (startMs + t * stepMs) / 1000); // for the detector's long memory, as serving reads it
    anomalyScores(values, Math.round(86_400_000 / stepMs), timesS).forEach((s, t) => {
      const timeMs = startMs + t * stepMs;
      if (s < anomaly.threshold || timeMs < quietUntil) return;
      anomalies.push({ timeMs, value: values[t], score: s });
      quietUntil = timeMs + anomaly.suppressMinutes * 60_000;
    });
  }
  return {
    startMs,
    stepMs,
    demand: Array.from(values),
    q50: q('q50'),
    q90: q('q90'),
    q99: q('q99'),
    capacity,
    scaledVpa,
    summary,
    accuracy: { quantile: 0.9, rows: scored, coverage: scored ? covered / scored : null, pinballLoss: scored ? loss / scored : null },
    anomalies,
    anomalyThreshold: anomaly ? anomaly.threshold : null,
    modelVersion: forecaster.info.version,
  };
}
