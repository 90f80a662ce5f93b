/**
 * Online forecast quality on /metrics, per workload and model version (outcomes/quality.ts),
 * as the recommendation loop last reported it:
 *
 *   foresight_forecast_pinball_loss      rolling pinball loss at the policy quantile
 *   foresight_forecast_coverage          rolling share of forecasts at or above the realised peak
 *   foresight_forecast_coverage_target   the policy quantile
 *   foresight_underprovisioned_share     rolling share of closed steps above the capacity in force
 *   foresight_underprovisioned_target    the policy's SLO risk
 *
 * A step only updates one map entry; the gauges read the map when the metrics are collected
 * (recording five synchronous gauges per scored series cost ~7 µs of CPU each step, ~2% of a
 * burst's). A figure that cannot be computed yet (null) keeps the last value reported.
 */
import type { Meter } from '@opentelemetry/api';
import type { QualityReport } from './tracker.js';

interface Latest {
  labels: { namespace: string; workload: string; model_version: string };
  pinball?: number;
  coverage?: number;
  coverageTarget: number;
  under?: number;
  underTarget: number;
}

/** Registers the gauges; returns the function that records a workload's step into them. */
export function qualityGauges(meter: Meter): (q: QualityReport) => void {
  const latest = new Map<string, Latest>();
  const gauge = (name: string, description: string, value: (l: Latest) => number | undefined): void => {
    meter.createObservableGauge(name, { description }).addCallback((o) => {
      for (const l of latest.values()) {
        const v = value(l);
        if (v !== undefined) o.observe(v, l.labels);
      }
    });
  };
  gauge(
    'foresight_forecast_pinball_loss',
    "Rolling pinball loss of the forecaster's forecast at the policy quantile, per workload (FORESIGHT_QUALITY_WINDOW_MS)",
    (l) => l.pinball,
  );
  gauge('foresight_forecast_coverage', 'Rolling share of forecasts at or above the realised peak, per workload', (l) => l.coverage);
  gauge('foresight_forecast_coverage_target', 'The coverage the policy asks for: its quantile, per workload', (l) => l.coverageTarget);
  gauge('foresight_underprovisioned_share', 'Rolling share of closed steps whose demand exceeded the capacity in force, per workload', (l) => l.under);
  gauge('foresight_underprovisioned_target', "The policy's SLO risk, per workload", (l) => l.underTarget);
  return (q) => {
    const key = `${q.namespace}\u0000${q.workload}\u0000${q.modelVersion}`;
    let l = latest.get(key);
    if (!l) {
      l = { labels: { namespace: q.namespace, workload: q.workload, model_version: q.modelVersion }, coverageTarget: q.quantile, underTarget: q.sloRisk };
      latest.set(key, l);
    }
    l.pinball = q.figures.pinballLoss ?? l.pinball;
    l.coverage = q.figures.coverage ?? l.coverage;
    l.under = q.figures.underProvisionedShare ?? l.under;
    l.coverageTarget = q.quantile;
    l.underTarget = q.sloRisk;
  };
}
