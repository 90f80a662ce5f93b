/**
 * The figures of a change's outcome, pure (the tracker reads the windows and prices, measures.ts
 * says what capacity each kind of change holds against which demand; this file computes): per
 * window the under-provisioned share, mean slack, capacity-hours and cost of a capacity in force
 * against the demand of 5-minute steps; the forecast's pinball loss; the verdict; how much a
 * regressed change's calibration is tightened, and how that tightening relaxes again.
 */
import type { OutcomeWindow as OutcomeWindowRecord } from '../codec/generated-types.js';
import { counterRates as codecCounterRates } from '../codec/model-server-metrics.js';
import type { OutcomeVerdict, OutcomeWindow } from './outcome.js';

const HOUR_MS = 3_600_000;
/** The interval the windows are judged in: the scoring step (the decision engine and the forecaster use it too). */
export const STEP_MS = 300_000;

/**
 * What a change holds in force during a window (measures.ts gives it per kind of change):
 *   - `capacity`: what it can serve per 5-minute step, in the demand's unit (replicas × usable
 *     capacity of one replica, a container's request, replicas × tokens/s of one model-server
 *     replica); null when unknown (under-provisioning is then not judged);
 *   - `amount`: what it holds per hour, so capacity-hours = amount × hours (replicas: replica-
 *     hours; a request × replicas: core-hours or GiB-hours);
 *   - `hourlyCost`: what an hour of it costs at the billing prices, null when a price is unknown.
 */
export interface Held {
  capacity: number | null;
  amount: number;
  hourlyCost: number | null;
}

/**
 * A secondary series judged step by step beside the demand: the mean of each 5-minute step (null
 * without data) and the limit in force (a model server's queue: queueDepthSlo × replicas; a
 * container's memory usage per replica: its requests.memory).
 */
export interface SecondarySteps {
  values: (number | null)[];
  limit: number;
}

/**
 * One window's figures. `demand` holds the window's 5-minute steps in order (mean demand of the
 * step, null without data). With a `secondary` series, a step whose value is above its limit is
 * under-provisioned too, whatever the capacity says, and the share of such steps is reported.
 */
export function windowFigures(demand: (number | null)[], startMs: number, endMs: number, held: Held, secondary?: SecondarySteps): OutcomeWindowRecord {
  const seen = demand.flatMap((d, i) => (d !== null && Number.isFinite(d) ? [{ d, v: secondary?.values[i] ?? null }] : []));
  const { capacity } = held;
  const known = secondary ? secondary.values.filter((v): v is number => v !== null && Number.isFinite(v)) : [];
  const secondaryOverShare = secondary && known.length > 0 ? known.filter((v) => v > secondary.limit).length / known.length : null;
  if (seen.length === 0)
    return { startMs, endMs, intervals: 0, underProvisionedShare: null, meanSlack: null, capacityHours: null, cost: null, secondaryOverShare };
  const hours = (endMs - startMs) / HOUR_MS;
  const judged = capacity !== null || secondaryOverShare !== null;
  const over = (s: { d: number; v: number | null }): boolean =>
    (capacity !== null && s.d > capacity) || (secondary !== undefined && s.v !== null && s.v > secondary.limit);
  return {
    startMs,
    endMs,
    intervals: seen.length,
    underProvisionedShare: judged ? seen.filter(over).length / seen.length : null,
    meanSlack: capacity !== null && capacity > 0 ? seen.reduce((s, x) => s + (capacity - x.d) / capacity, 0) / seen.length : null,
    capacityHours: held.amount * hours,
    cost: held.hourlyCost === null ? null : held.hourlyCost * hours,
    secondaryOverShare,
  };
}

/**
 * The per-second rates of a counter from its 5-minute steps, one per step after the first: the
 * codec's counterRates (Prometheus's rate(): a decrease is a reset, after which the counter
 * counted up from 0; a gap spreads the increase over the steps it spans); null where a step has
 * no value.
 */
export function counterRates(steps: (number | null)[]): (number | null)[] {
  return codecCounterRates(
    steps.map((v) => v ?? undefined),
    STEP_MS / 1000,
  )
    .slice(1)
    .map((r) => r ?? null);
}

/** Pinball (quantile) loss of forecast `f` at quantile `q` for the realised `y`. */
export function pinball(q: number, y: number, f: number): number {
  return y >= f ? q * (y - f) : (1 - q) * (f - y);
}

/** A cheaper after window by more than this share counts as saved; less is noise. */
export const SAVED_THRESHOLD = 0.01;

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/**
 * The shortest after window judged (1 hour), or the whole outcome period when it is shorter: a
 * change superseded sooner is `insufficient-data` — one step over capacity in a window of two
 * would read as 50% under-provisioned, a regression, and tighten the workload's calibration.
 */
export const MIN_JUDGED_STEPS = 12;

/**
 * The verdict, judged in order: insufficient-data when the after window is shorter than
 * `minSteps` (a newer change ended it early) or either window has data for fewer than half its
 * 5-minute steps; regressed when the after window's under-provisioned share is above the
 * policy's SLO risk; saved when the after window costs (or, with a cost unknown, holds
 * capacity-hours) more than 1% less than the before window; else neutral.
 */
export function verdictOf(before: OutcomeWindow, after: OutcomeWindow, sloRisk: number, minSteps = 0): { verdict: OutcomeVerdict; explanation: string } {
  const steps = (w: OutcomeWindow): number => Math.round((w.endMs - w.startMs) / STEP_MS);
  if (steps(after) < minSteps)
    return {
      verdict: 'insufficient-data',
      explanation: `superseded after ${steps(after)} 5-minute steps by a newer change in force: too short to judge (at least ${minSteps} are needed)`,
    };
  for (const [name, w] of [
    ['before', before],
    ['after', after],
  ] as const)
    if (w.intervals < steps(w) / 2)
      return {
        verdict: 'insufficient-data',
        explanation: `the ${name} window has data for ${w.intervals} of its ${steps(w)} 5-minute steps (at least half are needed)`,
      };
  const risk = after.underProvisionedShare;
  const within =
    risk === null
      ? 'under-provisioning not judged (the capacity in force is unknown)'
      : `under-provisioning at ${pct(risk)}, within the SLO risk of ${pct(sloRisk)}`;
  if (risk !== null && risk > sloRisk)
    return {
      verdict: 'regressed',
      explanation: `under-provisioned ${pct(risk)} of the 5-minute steps after the change (before: ${before.underProvisionedShare === null ? 'unknown' : pct(before.underProvisionedShare)}), ${before.underProvisionedShare !== null && risk < before.underProvisionedShare ? 'better than before but still ' : ''}above the policy's SLO risk of ${pct(sloRisk)}`,
    };
  const byCost = before.cost !== null && after.cost !== null;
  const [b, a] = byCost ? [before.cost!, after.cost!] : [before.capacityHours!, after.capacityHours!];
  const what = byCost ? 'cost' : 'capacity-hours (cost unknown)';
  if (a < b * (1 - SAVED_THRESHOLD))
    return {
      verdict: 'saved',
      explanation: `${what} down ${pct((b - a) / b)} with ${within}`,
    };
  return {
    verdict: 'neutral',
    explanation: `${what} ${a >= b ? 'up' : 'down'} ${pct(b > 0 ? Math.abs(a - b) / b : 0)} with ${within}`,
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

/** Consecutive saved or neutral outcomes of a workload after which its tightening relaxes. */
export const RELAX_AFTER = 2;
/** Below this log multiplier (×1.05) a relaxed tightening is dropped altogether. */
export const RELAX_FLOOR = Math.log(1.05);

/** A workload's tightening (log multiplier) and its count of saved/neutral outcomes since the last regressed one or relaxation. */
export interface Tightening {
  tighten: number;
  calm: number;
}

/**
 * The tightening after an outcome: a regressed one adds `more` (at most MAX_TIGHTENING in all)
 * and restarts the count; each saved or neutral one counts, and at RELAX_AFTER in a row the
 * tightening halves (the count restarts), dropped to 0 once under RELAX_FLOOR; an
 * insufficient-data one changes nothing. So a tightening never grows without a regressed
 * outcome, and relaxes to none after a run of good ones.
 */
export function tighteningAfter(prev: Tightening, verdict: OutcomeVerdict, more = 0): Tightening {
  if (verdict === 'regressed') return { tighten: Math.min(MAX_TIGHTENING, prev.tighten + more), calm: 0 };
  if (verdict === 'insufficient-data' || prev.tighten <= 0) return prev;
  const calm = prev.calm + 1;
  if (calm < RELAX_AFTER) return { tighten: prev.tighten, calm };
  const half = prev.tighten / 2;
  return { tighten: half < RELAX_FLOOR ? 0 : half, calm: 0 };
}
