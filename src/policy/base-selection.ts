/**
 * Which base the adaptive SLO calibration multiplies, chosen per series online by its recent
 * calibrated cost (issue 11 §2). Every candidate base carries its own multiplier, calibrated
 * exactly as the adaptive calibration does (rules.ts adaptScale: up after a step its own
 * capacity would have missed, down otherwise; no wind-up on a demand beyond the peak cap), so
 * each candidate's capacity aims at the same under-provisioned share; the series then uses
 * the candidate whose calibrated capacity has been lowest on average over a trailing window
 * (an exponential mean over about COST_STEPS steps). A smooth periodic aggregate ends up on
 * the forecast-led base, a jumpy VM on whichever follows it more cheaply.
 *
 * Candidates (index: base):
 * 0. rules.ts adaptiveBase: the median forecast, yesterday's same hour, the last value plus
 *    its recent volatility (its multiplier is ReplicaState.logScale);
 * 1. the recalibrated q90 forecast of the next hour's peak;
 * 2. the largest demand of the last RECENT_PEAK_STEPS steps (the retained recent peak).
 * Parameters chosen on the shared traces' development rows 60–80% only (README, "SLO risk → capacity").
 */
import type { Forecast } from '../scoring/forecaster.js';
import type { ResolvedPolicy } from './policy-schema.js';
import { adaptiveBase, adaptScale } from './rules.js';

/** Trailing window of the cost comparison, in steps (a day of 5-minute steps). */
export const COST_STEPS = 288;
/** Steps of the retained recent peak candidate (an hour). */
export const RECENT_PEAK_STEPS = 12;
/** Steps every candidate is calibrated before the cheapest may replace candidate 0 (a day). */
export const SELECTION_WARMUP = 288;

export interface BaseSelection {
  /** log multiplier per candidate from 1 on (candidate 0's is ReplicaState.logScale) */
  logScale: number[];
  /** each candidate's calibrated capacity decided at the last step (capped), to judge against the closed step */
  last: number[];
  /** exponential mean of each candidate's calibrated capacity */
  cost: number[];
  /** steps seen */
  steps: number;
  /** the candidate in use */
  chosen: number;
}

export const CANDIDATES = 3;
/** the candidates' names in the rules a recommendation cites */
export const BASE_NAMES = ['forecast', 'q90', 'recent-peak'];

export function candidateBases(f: Forecast, history: ArrayLike<number>, horizonSteps: number): number[] {
  const n = history.length;
  let recent = 0;
  for (let i = Math.max(0, n - RECENT_PEAK_STEPS); i < n; i++) if (history[i] > recent) recent = history[i];
  return [adaptiveBase(f.q50, history, horizonSteps), f.q90, recent];
}

/**
 * One step: the closed step's demand judges each candidate's last capacity (a miss raises its
 * multiplier unless the demand was beyond `capBefore`), then every candidate's capacity for
 * the next step is computed (capped at `cap`) and the cheapest on average chosen.
 * Returns the next selection, candidate 0's next log multiplier and the chosen capacity.
 */
export function selectBase(
  prev: BaseSelection | undefined,
  logScale0: number,
  bases: number[],
  closed: number,
  capBefore: number,
  cap: number,
  policy: ResolvedPolicy,
  inForce?: number,
): { selection: BaseSelection; logScale0: number; demand: number } {
  const scales = [logScale0, ...(prev?.logScale ?? new Array<number>(CANDIDATES - 1).fill(0))];
  if (prev) {
    for (let k = 0; k < CANDIDATES; k++) {
      // judged on what would have been in force with this candidate: the capacity in force scaled by its ratio to the chosen one
      const judged = inForce !== undefined && prev.last[prev.chosen] > 0 ? (inForce * prev.last[k]) / prev.last[prev.chosen] : prev.last[k];
      const miss = closed > judged;
      if (!(miss && closed > capBefore)) scales[k] = adaptScale(scales[k], miss, policy);
    }
  }
  const capacity = bases.map((b, k) => Math.min(cap, b * Math.exp(scales[k])));
  const a = 1 / COST_STEPS;
  const cost = prev ? prev.cost.map((c, k) => c + a * (capacity[k] - c)) : capacity.slice();
  const steps = (prev?.steps ?? 0) + 1;
  let chosen = 0;
  if (steps > SELECTION_WARMUP) for (let k = 1; k < CANDIDATES; k++) if (cost[k] < cost[chosen]) chosen = k;
  return {
    selection: { logScale: scales.slice(1), last: capacity, cost, steps, chosen },
    logScale0: scales[0],
    demand: capacity[chosen],
  };
}
