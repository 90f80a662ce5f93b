/**
 * Judging a capacity plan on a replayed series: the share of steps whose demand exceeded
 * the capacity in force (decided the step before), the mean slack (capacity over demand),
 * and capacity-hours against static peak provisioning (the peak of the scored rows, all the
 * time) and against the VPA-style baseline recomputed every step.
 */
import type { CapacityStep } from './capacity-plan.js';
import { vpaRecommendation } from './vpa-baseline.js';

export interface PlanSummary {
  rows: number;
  under_provisioned_share: number;
  mean_slack: number;
  capacity_hours: number;
  static_peak_capacity_hours: number;
  vpa_capacity_hours: number;
  vpa_under_provisioned_share: number;
  saving_vs_static_peak: number;
  saving_vs_vpa: number;
}

export function summarisePlan(values: ArrayLike<number>, plan: (CapacityStep | undefined)[], stepMs: number, fromRow: number): PlanSummary {
  const hours = stepMs / 3_600_000;
  let rows = 0;
  let under = 0;
  let slack = 0;
  let capHours = 0;
  let vpaHours = 0;
  let vpaUnder = 0;
  let peak = 0;
  for (let t = Math.max(1, fromRow); t < values.length; t++) {
    const inForce = plan[t - 1];
    if (!inForce) continue;
    const demand = values[t];
    rows++;
    if (demand > inForce.capacity) under++;
    slack += demand > 0 ? inForce.capacity / demand - 1 : 0;
    capHours += inForce.capacity * hours;
    const vpa = vpaRecommendation(values, t - 1);
    vpaHours += vpa * hours;
    if (demand > vpa) vpaUnder++;
    peak = Math.max(peak, demand);
  }
  const staticHours = peak * hours * rows;
  const r = (x: number): number => +x.toFixed(4);
  return {
    rows,
    under_provisioned_share: r(under / Math.max(1, rows)),
    mean_slack: r(slack / Math.max(1, rows)),
    capacity_hours: r(capHours),
    static_peak_capacity_hours: r(staticHours),
    vpa_capacity_hours: r(vpaHours),
    vpa_under_provisioned_share: r(vpaUnder / Math.max(1, rows)),
    saving_vs_static_peak: r(1 - capHours / staticHours),
    saving_vs_vpa: r(1 - capHours / vpaHours),
  };
}
