/**
 * Judging a capacity plan on a replayed series (the goal of issue 11, per trace): over the
 * scored rows (capacity in force = decided the row before),
 * - the share of under-provisioned rows (demand above the capacity in force);
 * - capacity-hours against the VPA-style baseline scaled in hindsight to the same
 *   under-provisioned share: the smallest multiple of it that is under-provisioned no more
 *   often than the plan is, and at least 1% of the rows (an unscaled VPA that misses 4% of
 *   intervals is neither a fair win nor a fair loss);
 * - the share of the attainable saving achieved: (static peak − plan) / (static peak −
 *   oracle), the oracle provisioning exactly the next actual value, static peak the largest
 *   demand of the scored rows all the time;
 * - churn: the changes published per day (each one a GitOps commit), over the scored rows.
 */
import type { CapacityStep } from './capacity-plan.js';
import { vpaRecommendation } from './vpa-baseline.js';

export interface PlanSummary {
  rows: number;
  under_provisioned_share: number;
  mean_slack: number;
  capacity_hours: number;
  static_peak_capacity_hours: number;
  oracle_capacity_hours: number;
  vpa_capacity_hours: number;
  vpa_under_provisioned_share: number;
  /** the multiple of the VPA-style baseline that misses no more often than the plan (or 1%) */
  vpa_scale: number;
  scaled_vpa_capacity_hours: number;
  saving_vs_static_peak: number;
  saving_vs_scaled_vpa: number;
  /** (static peak − plan) / (static peak − oracle) */
  attainable_saving_share: number;
  /** capacity in force over the largest demand seen up to then (at most) */
  max_capacity_over_peak: number;
  /** changes published per day over the scored rows */
  changes_per_day: number;
}

/** The smallest m with at most `allowed` rows where demand > m × baseline. */
export function scaleToMisses(demand: number[], baseline: number[], allowed: number): number {
  const ratios = demand.map((d, i) => (baseline[i] > 0 ? d / baseline[i] : d > 0 ? Infinity : 0)).sort((a, b) => b - a);
  return ratios.length === 0 ? 1 : Math.max(0, ratios[Math.min(ratios.length - 1, Math.max(0, allowed))]);
}

/** Scores rows fromRow … toRow − 1 (the demand of each against the capacity decided the row before). */
export function summarisePlan(
  values: ArrayLike<number>,
  plan: (CapacityStep | undefined)[],
  stepMs: number,
  fromRow: number,
  toRow = values.length,
): PlanSummary {
  const hours = stepMs / 3_600_000;
  let under = 0;
  let slack = 0;
  let capHours = 0;
  let vpaHours = 0;
  let vpaUnder = 0;
  let oracleHours = 0;
  let peak = 0;
  let seenPeak = 0;
  let overPeak = 0;
  let changes = 0;
  const demands: number[] = [];
  const vpas: number[] = [];
  for (let t = 0; t < values.length; t++) {
    seenPeak = Math.max(seenPeak, values[t]);
    const inForce = plan[t];
    if (t + 1 < fromRow || t + 1 >= Math.min(toRow, values.length) || !inForce) continue;
    if (inForce.published) changes++;
    const demand = values[t + 1];
    if (demand > inForce.capacity) under++;
    slack += demand > 0 ? inForce.capacity / demand - 1 : 0;
    capHours += inForce.capacity * hours;
    oracleHours += demand * hours;
    if (seenPeak > 0) overPeak = Math.max(overPeak, inForce.capacity / seenPeak);
    const vpa = vpaRecommendation(values, t);
    vpaHours += vpa * hours;
    if (demand > vpa) vpaUnder++;
    demands.push(demand);
    vpas.push(vpa);
    peak = Math.max(peak, demand);
  }
  const rows = demands.length;
  const share = under / Math.max(1, rows);
  const scale = scaleToMisses(demands, vpas, Math.floor(Math.max(share, 0.01) * rows));
  const staticHours = peak * hours * rows;
  const r = (x: number): number => +x.toFixed(4);
  return {
    rows,
    under_provisioned_share: r(share),
    mean_slack: r(slack / Math.max(1, rows)),
    capacity_hours: r(capHours),
    static_peak_capacity_hours: r(staticHours),
    oracle_capacity_hours: r(oracleHours),
    vpa_capacity_hours: r(vpaHours),
    vpa_under_provisioned_share: r(vpaUnder / Math.max(1, rows)),
    vpa_scale: r(scale),
    scaled_vpa_capacity_hours: r(scale * vpaHours),
    saving_vs_static_peak: r(1 - capHours / staticHours),
    saving_vs_scaled_vpa: r(1 - capHours / (scale * vpaHours)),
    attainable_saving_share: r((staticHours - capHours) / Math.max(1e-12, staticHours - oracleHours)),
    max_capacity_over_peak: r(overPeak),
    changes_per_day: r(changes / Math.max(1e-12, (rows * stepMs) / 86_400_000)),
  };
}
