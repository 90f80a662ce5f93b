/**
 * A capacity plan for a replayed series (the backtest's side of the decision engine): every
 * row goes through decide-replicas.ts decideStep exactly as the live loop runs it on each
 * closed step, with the state kept in memory. The level published at row t is in force for
 * row t + 1 (assumed applied at once, as the manifest would be after the commit).
 */
import type { Forecast } from '../scoring/forecaster.js';
import { decideStep, initialState, type Decision, type KnownEventRaise, type ModelShape } from './decide-replicas.js';
import type { ResolvedPolicy } from './policy-schema.js';

export interface CapacityStep {
  /** usable capacity in force from the next row, in the demand's unit */
  capacity: number;
  /** minReplicas and maxReplicas in force from the next row, when the policy sizes in replicas */
  replicas?: number;
  maxReplicas?: number;
  /** the recalibrated forecast the decision used */
  forecast: Forecast;
  rules: string[];
  /** a change was published at this row */
  published: boolean;
}

export interface PlanRow {
  stepEndMs: number;
  history: ArrayLike<number>;
  forecast: Forecast;
  /** known future events raising this step (backtest --events), as the live loop applies them */
  event?: KnownEventRaise;
}

export function planCapacity(rows: (PlanRow | undefined)[], policy: ResolvedPolicy, model: ModelShape): (CapacityStep | undefined)[] {
  let state = initialState();
  const sized = policy.replicas.perReplicaCapacity !== undefined;
  return rows.map((row) => {
    if (!row) return undefined;
    const next = decideStep(state, row, policy, model);
    state = next.state;
    const d: Decision = next.decision;
    const level = d.publish ? d.proposed.level : (d.current?.level ?? d.proposed.level);
    const maxReplicas = d.publish ? d.proposed.maxReplicas : (d.current?.maxReplicas ?? d.proposed.maxReplicas);
    return {
      capacity: d.capacity,
      replicas: sized ? level : undefined,
      maxReplicas: sized ? maxReplicas : undefined,
      forecast: d.forecast,
      rules: d.rules,
      published: d.publish,
    };
  });
}
