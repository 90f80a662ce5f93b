/**
 * The policy rules, pure: each turns a workload's forecast and observations into a proposed
 * change, and names itself in `rules` so every recommendation says what shaped it.
 * Units: CPU in cores, memory in bytes, demand in the metric's unit.
 */
import type { ResolvedPolicy } from './policy-schema.js';
import { quantileForRisk } from './policy-schema.js';

export interface PeakForecast {
  q50: number;
  q90: number;
  q99: number;
}

export function forecastAtRisk(f: PeakForecast, policy: ResolvedPolicy): { value: number; quantile: number } {
  const q = quantileForRisk(policy.sloRisk);
  return { value: q === 0.99 ? f.q99 : q === 0.9 ? f.q90 : f.q50, quantile: q };
}

export interface Proposal<T> {
  proposed: T;
  rules: string[];
}

/**
 * The adaptive calibration aims at this share of the SLO risk, not all of it: its long-run
 * share is only approached, and on the shared traces' validation part (rows 60–80%) aiming at
 * the full risk left some traces just over it (1.03–1.11%), while 0.8 kept every one under.
 */
export const CALIBRATION_MARGIN = 0.8;

/** Steps of recent demand the adaptive base covers (15 minutes of 5-minute steps). */
export const RECENT_STEPS = 3;

/**
 * One step of the adaptive SLO calibration (adaptive conformal inference on the capacity
 * decision): the log-multiplier on the base (adaptiveBase) rises by γ(1 − r) after an
 * under-provisioned interval and falls by γ·r otherwise, r = CALIBRATION_MARGIN × risk, so
 * the long-run share of under-provisioned intervals approaches r. Bounded to ×0.2 … ×50.
 */
export function adaptScale(logScale: number, underProvisioned: boolean, policy: ResolvedPolicy): number {
  const target = CALIBRATION_MARGIN * policy.sloRisk;
  const next = logScale + policy.sloAdaptation * ((underProvisioned ? 1 : 0) - target);
  return Math.min(Math.log(50), Math.max(Math.log(0.2), next));
}

/**
 * What the adaptive calibration multiplies: the larger of the median forecast of the next
 * hour's peak (capacity ahead of a forecast rise) and the demand of the last RECENT_STEPS
 * steps (capacity that does not drop while demand is still high, and drops soon after a spike
 * the model would remember for a day). On the held-out tails it beats the median forecast
 * alone on every shared trace (README, "SLO risk → capacity").
 */
export function adaptiveBase(q50: number, recent: ArrayLike<number>): number {
  let base = q50;
  for (let i = Math.max(0, recent.length - RECENT_STEPS); i < recent.length; i++) if (recent[i] > base) base = recent[i];
  return base;
}

/** Limits a move from `current` to `proposed` to maxStepPercent of current (at least 1 for integers). */
function step(current: number, proposed: number, maxStepPercent: number, integer: boolean): { value: number; limited: boolean } {
  const maxDelta = Math.max(integer ? 1 : 0, (current * maxStepPercent) / 100);
  if (Math.abs(proposed - current) <= maxDelta) return { value: proposed, limited: false };
  const v = current + Math.sign(proposed - current) * maxDelta;
  return { value: integer ? Math.round(v) : v, limited: true };
}

/**
 * HPA: minReplicas sized for the forecast peak of the next hour at the policy's quantile
 * (so replicas are there before the peak), maxReplicas for the q99 peak with headroom; both
 * within the policy bounds and the maximum step.
 */
export function hpaRule(forecast: PeakForecast, current: { minReplicas: number; maxReplicas: number }, policy: ResolvedPolicy, demandAtRisk?: number): Proposal<{ minReplicas: number; maxReplicas: number }> {
  const cap = policy.replicas.perReplicaCapacity;
  if (!cap) throw new Error('the HPA rule needs replicas.perReplicaCapacity in the policy');
  const usable = cap * policy.replicas.targetUtilization;
  const rules = [demandAtRisk === undefined ? `slo-risk:${policy.sloRisk}` : `slo-risk:${policy.sloRisk}:adaptive`];
  const value = demandAtRisk ?? forecastAtRisk(forecast, policy).value;
  let min = Math.ceil(value / usable - 1e-9);
  let max = Math.max(min, Math.ceil((forecast.q99 * 1.2) / usable - 1e-9));
  const bounded = (v: number): number => Math.min(policy.replicas.max, Math.max(policy.replicas.min, v));
  if (bounded(min) !== min || bounded(max) !== max) rules.push('replica-bounds');
  min = bounded(min);
  max = bounded(max);
  const sMin = step(current.minReplicas, min, policy.change.maxStepPercent, true);
  const sMax = step(current.maxReplicas, max, policy.change.maxStepPercent, true);
  if (sMin.limited || sMax.limited) rules.push('max-step');
  return { proposed: { minReplicas: sMin.value, maxReplicas: Math.max(sMin.value, sMax.value) }, rules };
}

/**
 * Requests and limits per container: request = the policy percentile of observed usage
 * × (1 + safety margin), at least the minimums; memory after an OOM follows the Vertical Pod
 * Autoscaler: at least max(used + 100 MB, used × 1.2) (the policy's oomBump).
 * Limits: CPU none (throttling hurts more than it saves), memory = request × 1.25 rounded up.
 */
export function resourcesRule(usage: { cpuPercentile: number; memoryPercentile: number; memoryPeak: number; oomKilled: boolean }, policy: ResolvedPolicy): Proposal<{ cpuRequest: number; memoryRequest: number; memoryLimit: number }> {
  const r = policy.resources;
  const rules = [`percentile:${r.percentile}`, `safety-margin:${r.safetyMargin}`];
  const cpu = Math.max(r.min.cpu, usage.cpuPercentile * (1 + r.safetyMargin));
  let mem = Math.max(r.min.memoryBytes, usage.memoryPercentile * (1 + r.safetyMargin));
  if (usage.oomKilled) {
    const bumped = Math.max(usage.memoryPeak + r.oomBump.minBytes, usage.memoryPeak * r.oomBump.factor);
    if (bumped > mem) {
      mem = bumped;
      rules.push('oom-bump');
    }
  }
  const MiB = 1024 * 1024;
  const memoryRequest = Math.ceil(mem / MiB) * MiB;
  return { proposed: { cpuRequest: Math.ceil(cpu * 1000) / 1000, memoryRequest, memoryLimit: Math.ceil((memoryRequest * 1.25) / MiB) * MiB }, rules };
}

/** Idle: usage below the threshold for the whole period → scale to the minimum, or suggest removal. */
export function idleRule(cpuByHour: number[], policy: ResolvedPolicy): Proposal<'scale-to-min' | 'suggest-removal'> | undefined {
  const hours = Math.ceil(policy.idle.hours);
  if (cpuByHour.length < hours) return undefined;
  const recent = cpuByHour.slice(-hours);
  if (recent.some((v) => v >= policy.idle.cpuBelow)) return undefined;
  return { proposed: policy.idle.action, rules: [`idle:${policy.idle.cpuBelow}x${hours}h`] };
}

/** Spot: a stateless kind, the eligibility labels present, and steady demand (low coefficient of variation). */
export function spotRule(w: { kind: string; labels: Record<string, string> }, demand: number[], policy: ResolvedPolicy): Proposal<'spot'> | undefined {
  if (!policy.spot.statelessKinds.includes(w.kind)) return undefined;
  for (const [k, v] of Object.entries(policy.spot.eligibleLabels)) if (w.labels[k] !== v) return undefined;
  if (demand.length < 2) return undefined;
  const mean = demand.reduce((a, b) => a + b, 0) / demand.length;
  const sd = Math.sqrt(demand.reduce((a, b) => a + (b - mean) ** 2, 0) / demand.length);
  const cv = mean > 0 ? sd / mean : Infinity;
  if (cv > policy.spot.maxCoefficientOfVariation) return undefined;
  return { proposed: 'spot', rules: [`spot:cv=${cv.toFixed(2)}`] };
}

/**
 * Budget guardrail: the month-end projection (month to date + the recent hourly run rate over
 * the rest of the month + the change's own cost delta, pro rata) against the scope's budget.
 */
export function budgetProjection(monthToDate: number, hourlyRunRate: number, monthlyDelta: number, atMs: number): number {
  const d = new Date(atMs);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const remainingH = (end - atMs) / 3_600_000;
  const monthH = (end - start) / 3_600_000;
  return monthToDate + hourlyRunRate * remainingH + monthlyDelta * (remainingH / monthH);
}

/**
 * Hysteresis and cooldown: is a new proposal worth emitting after the last one? It must move
 * beyond the hysteresis threshold; a cut must also wait for the cooldown, a raise does not
 * (capacity the forecast says is needed is never delayed).
 */
export function worthEmitting(last: { value: number; atMs: number } | undefined, proposed: number, nowMs: number, policy: ResolvedPolicy): boolean {
  if (!last) return true;
  const moved = last.value === 0 ? proposed !== 0 : Math.abs(proposed - last.value) / Math.abs(last.value) > policy.change.hysteresisPercent / 100;
  const cooled = nowMs - last.atMs >= policy.change.cooldownMinutes * 60_000;
  return moved && (proposed > last.value || cooled);
}

export const HOURS_PER_MONTH = 730;

/** Projected monthly cost change from resource deltas and unit prices (per core-hour, GiB-hour, GPU-hour). */
export function monthlyCostDelta(delta: { cpuCores?: number; memoryBytes?: number; gpus?: number }, prices: { cpuCoreHour?: number; memoryGibHour?: number; gpuHour?: number }): number {
  const gib = (delta.memoryBytes ?? 0) / 2 ** 30;
  return HOURS_PER_MONTH * ((delta.cpuCores ?? 0) * (prices.cpuCoreHour ?? 0) + gib * (prices.memoryGibHour ?? 0) + (delta.gpus ?? 0) * (prices.gpuHour ?? 0));
}
