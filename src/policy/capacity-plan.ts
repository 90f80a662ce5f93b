/**
 * Capacity from forecasts under a policy, step by step (pure): the forecast quantile the SLO
 * risk asks for (or, with `sloAdaptation` > 0 and the observed demand given, the adaptive
 * base of rules.ts — the larger of the median forecast and the last 15 minutes' demand — ×
 * the multiplier of adaptScale), rounded up to whole replicas of usable capacity when the
 * policy gives a per-replica capacity, then the change rules:
 * - a raise takes effect at once (never delay capacity that the forecast says is needed);
 * - a cut needs the proposal to be more than `hysteresisPercent` below the current capacity,
 *   at least `cooldownMinutes` since the last change, and goes down by at most
 *   `maxStepPercent` of the current capacity at a time.
 * Capacity decided at step t is in force for step t + 1.
 */
import type { ResolvedPolicy } from './policy-schema.js';
import { quantileForRisk } from './policy-schema.js';
import { adaptiveBase, adaptScale, RECENT_STEPS } from './rules.js';

export interface QuantileForecast {
  q50?: number;
  q90?: number;
  q99?: number;
}

export interface CapacityStep {
  /** usable capacity, in the demand's unit */
  capacity: number;
  /** replicas when the policy sizes in replicas */
  replicas?: number;
  rules: string[];
}

/** The demand of steps t − RECENT_STEPS + 1 … t (known when deciding at step t). */
function recentOf(values: ArrayLike<number>, t: number): number[] {
  const out: number[] = [];
  for (let i = Math.max(0, t - RECENT_STEPS + 1); i <= t; i++) out.push(values[i]);
  return out;
}

export function planCapacity(forecasts: QuantileForecast[], policy: ResolvedPolicy, stepMs: number, demandSeries?: ArrayLike<number>): (CapacityStep | undefined)[] {
  const adaptive = policy.sloAdaptation > 0 && demandSeries !== undefined;
  const q = adaptive ? 0.5 : quantileForRisk(policy.sloRisk);
  const key = q === 0.99 ? 'q99' : q === 0.9 ? 'q90' : 'q50';
  let logScale = 0; // adaptive: log of the multiplier on the median forecast
  const perReplica = policy.replicas.perReplicaCapacity ? policy.replicas.perReplicaCapacity * policy.replicas.targetUtilization : undefined;
  const cooldownSteps = Math.ceil((policy.change.cooldownMinutes * 60_000) / stepMs);
  const out: (CapacityStep | undefined)[] = [];
  let current: number | undefined;
  let lastChange = -Infinity;
  forecasts.forEach((f, t) => {
    // adaptive calibration: did the demand of this step exceed the capacity decided the step before?
    if (adaptive && current !== undefined && t > 0) {
      logScale = adaptScale(logScale, demandSeries![t] > current, policy);
    }
    const base = f[key] === undefined ? undefined : adaptive ? adaptiveBase(f[key]!, recentOf(demandSeries!, t)) : f[key]!;
    const demand = base === undefined ? undefined : base * Math.exp(logScale);
    if (demand === undefined || !Number.isFinite(demand)) {
      out.push(undefined);
      return;
    }
    const rules = [adaptive ? `slo-risk:${policy.sloRisk}→max(q50,recent)×${Math.exp(logScale).toFixed(2)}` : `slo-risk:${policy.sloRisk}→q${Math.round(q * 100)}`];
    let proposal = demand;
    let replicas: number | undefined;
    if (perReplica) {
      replicas = Math.min(policy.replicas.max, Math.max(policy.replicas.min, Math.ceil(demand / perReplica)));
      proposal = replicas * perReplica;
      rules.push('replica-bounds');
    }
    if (current === undefined || proposal > current) {
      rules.push(current === undefined ? 'initial' : 'raise');
      current = proposal;
      lastChange = t;
    } else if (proposal < current * (1 - policy.change.hysteresisPercent / 100) && t - lastChange >= cooldownSteps) {
      const floor = current * (1 - policy.change.maxStepPercent / 100);
      current = Math.max(proposal, floor);
      if (perReplica) {
        replicas = Math.ceil(current / perReplica - 1e-9);
        current = replicas * perReplica;
      }
      lastChange = t;
      rules.push(current > proposal ? 'max-step' : 'cut');
    } else {
      rules.push(proposal < current ? 'hysteresis-or-cooldown' : 'hold');
      if (perReplica) replicas = Math.round(current / perReplica);
    }
    out.push({ capacity: current, replicas, rules });
  });
  return out;
}
