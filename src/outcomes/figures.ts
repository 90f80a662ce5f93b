/**
 * The figures of a change's outcome, pure (the tracker reads the windows and prices; this file
 * computes): per window the under-provisioned share, mean slack, capacity-hours and cost of a
 * capacity in force against the demand of 5-minute steps; the forecast's pinball loss; the verdict; and how
 * much a regressed change's calibration is tightened.
 */
import type { OutcomeVerdict, OutcomeWindow } from './outcome.js';

const HOUR_MS = 3_600_000;
/** The interval the windows are judged in: the scoring step (the decision engine and the forecaster use it too). */
export const STEP_MS = 300_000;

/** What the capacity of a window costs: the cost of `replicaHours`, or null when a price is unknown. */
export type CostOf = (replicaHours: number) => number | null;

/**
 * One window's figures. `demand` holds the window's 5-minute steps in order (mean demand of the
 * step, null without data); the capacity in force is `replicas` × `perReplica` (the usable
 * capacity of one replica, in the demand's unit) for the whole window.
 */
export function windowFigures(demand: (number | null)[], startMs: number, endMs: number, replicas: number, perReplica: number, costOf: CostOf): OutcomeWindow {
  const seen = demand.filter((d): d is number => d !== null && Number.isFinite(d));
  const capacity = replicas * perReplica;
  if (seen.length === 0) return { startMs, endMs, intervals: 0, underProvisionedShare: null, meanSlack: null, capacityHours: null, cost: null };
  const under = seen.filter((d) => d > capacity).length;
  const capacityHours = (replicas * (endMs - startMs)) / HOUR_MS;
  return {
    startMs,
    endMs,
    intervals: seen.length,
    underProvisionedShare: under / seen.length,
    meanSlack: capacity > 0 ? seen.reduce((s, d) => s + (capacity - d) / capacity, 0) / seen.length : null,
    capacityHours,
    cost: costOf(capacityHours),
  };
}

/** Pinball (quantile) loss of forecast `f` at quantile `q` for the realised `y`. */
export function pinball(q: number, y: number, f: number): number {
  return y >= f ? q * (y - f) : (1 - q) * (f - y);
}

/** A cheaper after window by more than this share counts as saved; less is noise. */
export const SAVED_THRESHOLD = 0.01;

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/**
 * The verdict, judged in order: insufficient-data when either window has data for fewer than
 * half its 5-minute steps; regressed when the after window's under-provisioned share is above the
 * policy's SLO risk; saved when the after window costs (or, with a cost unknown, holds
 * capacity-hours) more than 1% less than the before window; else neutral.
 */
export function verdictOf(before: OutcomeWindow, after: OutcomeWindow, sloRisk: number): { verdict: OutcomeVerdict; explanation: string } {
  const steps = (w: OutcomeWindow): number => Math.round((w.endMs - w.startMs) / STEP_MS);
  for (const [name, w] of [
    ['before', before],
    ['after', after],
  ] as const)
    if (w.intervals < steps(w) / 2)
      return {
        verdict: 'insufficient-data',
        explanation: `the ${name} window has data for ${w.intervals} of its ${steps(w)} 5-minute steps (at least half are needed)`,
      };
  const risk = after.underProvisionedShare!;
  if (risk > sloRisk)
    return {
      verdict: 'regressed',
      explanation: `under-provisioned ${pct(risk)} of the 5-minute steps after the change (before: ${pct(before.underProvisionedShare!)}), ${risk < before.underProvisionedShare! ? 'better than before but still ' : ''}above the policy's SLO risk of ${pct(sloRisk)}`,
    };
  const byCost = before.cost !== null && after.cost !== null;
  const [b, a] = byCost ? [before.cost!, after.cost!] : [before.capacityHours!, after.capacityHours!];
  const what = byCost ? 'cost' : 'capacity-hours (cost unknown)';
  if (a < b * (1 - SAVED_THRESHOLD))
    return {
      verdict: 'saved',
      explanation: `${what} down ${pct((b - a) / b)} with under-provisioning at ${pct(risk)}, within the SLO risk of ${pct(sloRisk)}`,
    };
  return {
    verdict: 'neutral',
    explanation: `${what} ${a >= b ? 'up' : 'down'} ${pct(b > 0 ? Math.abs(a - b) / b : 0)} with under-provisioning at ${pct(risk)}, within the SLO risk of ${pct(sloRisk)}`,
  };
}

/** The most a regressed outcome raises the calibration by (a multiplier of 4 on the demand at risk). */
export const MAX_TIGHTENING = Math.log(4);

/**
 * How much a regressed change's calibration is tightened, as a log multiplier on the demand at
 * risk: the capacity that would have met the SLO risk over the after window (its demand's
 * (1 − sloRisk) quantile, nearest rank) over the capacity that was in force; at least a 10%
 * raise, at most MAX_TIGHTENING.
 */
export function tighteningFor(afterDemand: (number | null)[], capacity: number, sloRisk: number): number {
  const seen = afterDemand.filter((d): d is number => d !== null && Number.isFinite(d)).sort((a, b) => a - b);
  if (seen.length === 0 || capacity <= 0) return Math.log(1.1);
  const needed = seen[Math.min(seen.length - 1, Math.ceil((1 - sloRisk) * seen.length) - 1)];
  return Math.min(MAX_TIGHTENING, Math.max(Math.log(1.1), Math.log(needed / capacity)));
}
