/** Plan rows for unit tests: forecasts and the demand they were made from, one 5-minute step each. */
import type { PlanRow } from '../../../src/policy/capacity-plan.js';

export const STEP = 300_000;
export const MODEL = { stepMs: STEP, horizonSteps: 12, gamma: 0 };

export function planRows(demand: ArrayLike<number>, forecasts: { q50?: number; q90?: number; q99?: number }[]): PlanRow[] {
  return forecasts.map((f, t) => ({
    stepEndMs: (t + 1) * STEP,
    history: Array.from(demand).slice(Math.max(0, t - 287), t + 1),
    forecast: { q50: f.q50 ?? 0, q90: f.q90 ?? 0, q99: f.q99 ?? 0 },
  }));
}
