/**
 * The capacity decision, one step of one series: the single engine the live recommendation
 * loop (recommend/loop.ts, state in Redis) and `foresight backtest --policy`
 * (capacity-plan.ts, state in memory) both run, so the backtest describes what runs.
 *
 * Per step, in order:
 * 1. the forecaster's output through the series' online expert mix and recalibration (scoring/recalibration.ts);
 * 2. the adaptive SLO calibration (sloAdaptation > 0): the multiplier follows whether the
 *    step that just closed was under-provisioned by the capacity in force; it is not raised
 *    for a demand beyond the cap (4.) that was in force, which no multiplier could have met
 *    (no wind-up after a burst), and comes back down after a burst of misses (rules.ts adaptScale);
 * 3. demand at risk: the quantile the SLO risk asks for, or, adaptive, the capacity of the candidate
 *    base (each with its own multiplier) cheapest on recent average (base-selection.ts);
 *    raised by the tightening a regressed outcome left (outcomes/tracker.ts), which the rules cite;
 * 4. the cap: never more than the history's peak × (1 + replicas.peakMargin);
 *    a known future event in scope (policy/events.ts), from its start − (horizon + warm-up) to its
 *    end, raises the forecast, the capacity and this cap to the demand it leads to expect (eventDemand);
 * 5. whole replicas of usable capacity within replicas.min … max (when the policy gives a
 *    per-replica capacity; else capacity in the demand's unit);
 * 6. the change rules, to minReplicas and to maxReplicas alike (each with its own window),
 *    against what is in force, or against a proposal already published that the manifests have
 *    not taken yet: a raise at once, a cut only when the proposal stays more than
 *    hysteresisPercent below for a whole cooldown (a stabilisation window, as the Kubernetes HPA
 *    does for scale-down); either by at most maxStepPercent of what is in force. maxReplicas is
 *    never below minReplicas; a cut of maxReplicas alone is not published (it saves nothing) but
 *    goes with the next change of minReplicas.
 * The critical flags follow in applyMoney, for a change about to be published; the budgets in
 * money/money.ts guard, as for every recommendation type.
 */
import type { Forecast } from '../scoring/forecaster.js';
import { emptyRecalibration, recalibrate, type ExpertMix, type RecalibrationState } from '../scoring/recalibration.js';
import type { ResolvedPolicy } from './policy-schema.js';
import { BASE_NAMES, candidateBases, selectBase, type BaseSelection } from './base-selection.js';
import { forecastAtRisk } from './rules.js';

/** What one series carries from step to step. */
export interface ReplicaState {
  /** the last published level (minReplicas, or capacity when the policy sizes no replicas), its maxReplicas, and when */
  level?: number;
  maxReplicas?: number;
  atMs?: number;
  /** since when a cut of minReplicas (of the level), and of maxReplicas, has been wanted (the stabilisation windows) */
  cutSince?: number;
  maxCutSince?: number;
  /** the end of the last step decided */
  decidedAtMs?: number;
  /** adaptive SLO calibration: log of the multiplier */
  logScale: number;
  /** the adaptive calibration's other candidate bases and which one is in use (base-selection.ts) */
  bases?: BaseSelection;
  /** tightening after a regressed outcome (outcomes/tracker.ts): log of the multiplier on the demand at risk, and the recommendation whose outcome asked for it */
  tighten?: number;
  tightenedBy?: string;
  recalibration: RecalibrationState;
}

export const initialState = (): ReplicaState => ({ logScale: 0, recalibration: emptyRecalibration() });

export interface StepInput {
  /** end of the step that just closed; decisions are in event time */
  stepEndMs: number;
  /** the forecaster's history: oldest first, ending with the closed step's demand */
  history: ArrayLike<number>;
  /** the forecaster's raw output for this history */
  forecast: Forecast;
  /** what is in force when known from elsewhere (the GitOps manifest); else the last published level */
  current?: { minReplicas: number; maxReplicas: number };
  /** known future events whose raise applies at this step (policy/events.ts eventMultiplier) */
  event?: KnownEventRaise;
}

export interface KnownEventRaise {
  /** the largest multiplier of the events applied (what the rules name) */
  multiplier: number;
  events: string[];
  /** each event applied: its multiplier and when it runs (eventDemand decides what it raises at a step) */
  active?: { multiplier: number; startMs: number; endMs: number; name?: string }[];
  /** the workload's declared events of the last two days and the coming horizon, with their multipliers: demand they brought is not usual */
  periods?: { multiplier: number; startMs: number; endMs: number }[];
  /** when the earliest raise of them and of `periods` began (a workload's usual CPU need is read before it: recommend/sizing.ts) */
  fromMs?: number;
  /** how many of the history's newest steps follow the series' first event (the rest repeat its first value) */
  observedSteps?: number;
}

/**
 * The demand that declared events lead to expect over the next `horizonSteps` (0: none), in the
 * demand's unit, and the events that lead to it: per event, its multiplier × the usual demand. The
 * usual demand is the peak of the same horizon a day earlier (in the history) or, where that day is
 * not in the series' own history yet, the last hour's peak while the event has not begun; a window
 * that a declared event covered (this one, an earlier one, an outer one: `periods`) is divided by
 * that event's multiplier first (the largest where several covered it), so demand an event brought
 * never counts as usual: a raise never applies twice, whether an event runs several days, follows
 * another or sits inside one. Overlapping events: the largest.
 */
export function eventDemand(
  event: KnownEventRaise | undefined,
  history: ArrayLike<number>,
  stepEndMs: number,
  stepMs: number,
  horizonSteps: number,
): { expected: number; events: string[]; multiplier: number } {
  const none = { expected: 0, events: [] as string[], multiplier: 1 };
  if (!event?.active || event.active.length === 0) return none;
  const n = history.length;
  const periods = event.periods ?? event.active;
  /** a window's peak over what declared events multiplied it by */
  const usualOver = (from: number, to: number, fromMs: number, toMs: number): number => {
    let m = 1;
    for (const p of periods) if (p.startMs < toMs && p.endMs > fromMs) m = Math.max(m, p.multiplier);
    return peakBetween(history, from, to) / m;
  };
  // the same horizon a day earlier: the steps ending at stepEndMs − 1 day + k steps, k = 1..H (the history's first steps)
  const dayMs = 86_400_000;
  const from = n - Math.round(dayMs / stepMs);
  const known = from >= 0 && from >= n - (event.observedSteps ?? n);
  const dayAgo = known ? usualOver(from, Math.min(n, from + horizonSteps), stepEndMs - dayMs, stepEndMs - dayMs + horizonSteps * stepMs) : NaN;
  const hour = Math.round(3_600_000 / stepMs);
  const lastHour = usualOver(Math.max(0, n - hour), n, stepEndMs - hour * stepMs, stepEndMs);
  let out = none;
  for (const e of event.active) {
    const usual = known ? dayAgo : stepEndMs <= e.startMs ? lastHour : undefined; // a young series once its event began: the forecast carries it
    if (usual === undefined || !(usual > 0)) continue;
    const x = e.multiplier * usual;
    if (x > out.expected) out = { expected: x, events: [], multiplier: e.multiplier };
  }
  if (out.expected > 0) {
    const named = event.active.filter((e) => e.name !== undefined && e.multiplier === out.multiplier).map((e) => e.name!);
    out.events = named.length > 0 ? named : event.events;
  }
  return out;
}

/** The forecast raised to an expected demand: the median at least `expected`, the other quantiles by the same factor (its spread kept). */
export function raisedTo(f: Forecast, expected: number): Forecast {
  if (!(expected > f.q50)) return f;
  const k = expected / Math.max(f.q50, 1e-12);
  return { q50: expected, q90: f.q90 * k, q99: f.q99 * k };
}

export interface ModelShape {
  stepMs: number;
  horizonSteps: number;
  /** the recalibration's step (the model's aci_gamma); 0 turns it off */
  gamma: number;
  /** the online expert mix (the model's expert_mix); absent: the model alone */
  mix?: ExpertMix | null;
}

export interface Decision {
  /** the recalibrated forecast the decision used */
  forecast: Forecast;
  current: { level: number; maxReplicas: number } | undefined;
  /** what the change rules compared against: a published proposal the manifests have not taken yet, else `current` */
  reference: { level: number; maxReplicas: number } | undefined;
  proposed: { level: number; maxReplicas: number };
  /** capacity in the demand's unit that the level gives */
  capacity: number;
  rules: string[];
  /** a change to publish */
  publish: boolean;
}

function usableOf(policy: ResolvedPolicy): number | undefined {
  const cap = policy.replicas.perReplicaCapacity;
  return cap ? cap * policy.replicas.targetUtilization : undefined;
}

function peakBetween(history: ArrayLike<number>, from: number, to: number): number {
  let peak = 0;
  for (let i = from; i < to; i++) if (history[i] > peak) peak = history[i];
  return peak;
}

function peakOf(history: ArrayLike<number>, end = history.length): number {
  let peak = 0;
  for (let i = 0; i < end; i++) if (history[i] > peak) peak = history[i];
  return peak;
}

/** One step: the next state and the decision (publish: whether it is a change to send). */
export function decideStep(prev: ReplicaState, input: StepInput, policy: ResolvedPolicy, model: ModelShape): { state: ReplicaState; decision: Decision } {
  const usable = usableOf(policy);
  const toCapacity = (level: number): number => (usable ? level * usable : level);
  const state: ReplicaState = { ...prev, decidedAtMs: input.stepEndMs };
  const recal = recalibrate(prev.recalibration, input.forecast, input.history, input.stepEndMs, model.stepMs, model.horizonSteps, model.gamma, model.mix);
  state.recalibration = recal.state;
  // a declared event raises what the forecast and the cap allow (the recalibration keeps judging the model's own forecast)
  const raise = eventDemand(input.event, input.history, input.stepEndMs, model.stepMs, model.horizonSteps);
  const expected = raise.expected;
  const f = raisedTo(recal.forecast, expected);
  const current = input.current
    ? { level: input.current.minReplicas, maxReplicas: input.current.maxReplicas }
    : prev.level !== undefined
      ? { level: prev.level, maxReplicas: prev.maxReplicas ?? policy.replicas.max }
      : usable
        ? { level: policy.replicas.min, maxReplicas: policy.replicas.max }
        : undefined;
  const cap = Math.max(peakOf(input.history), expected) * (1 + policy.replicas.peakMargin);
  const closed = input.history[input.history.length - 1];
  // the cap as it stood when the capacity in force was decided (the history before the closed step)
  const capBefore = Math.max(peakOf(input.history, input.history.length - 1), expected) * (1 + policy.replicas.peakMargin);

  let demand: number;
  const rules: string[] = expected > 0 ? [`event:${raise.events.join('+')}:x${raise.multiplier}`] : [];
  if (policy.sloAdaptation > 0) {
    // each candidate base calibrated on its own capacity; the cheapest on recent average used (base-selection.ts)
    const decided = prev.level ?? current?.level;
    const inForce = decided === undefined ? undefined : toCapacity(decided);
    const sel = selectBase(prev.bases, prev.logScale, candidateBases(f, input.history, model.horizonSteps), closed, capBefore, cap, policy, inForce);
    state.bases = sel.selection;
    state.logScale = sel.logScale0;
    demand = sel.demand;
    rules.push(`slo-risk:${policy.sloRisk}:adaptive:${BASE_NAMES[sel.selection.chosen]}`);
    // an event's expected demand holds whichever base is in use (the last hour's peak knows nothing of it): at least
    // the raised forecast at the policy's quantile, under the cap below
    if (expected > 0) demand = Math.max(demand, forecastAtRisk(f, policy).value);
  } else {
    demand = forecastAtRisk(f, policy).value;
    rules.push(`slo-risk:${policy.sloRisk}`);
  }
  if (state.tighten) {
    demand *= Math.exp(state.tighten);
    rules.push(`outcome-regressed:${state.tightenedBy ?? 'unknown'}:x${Math.exp(state.tighten).toFixed(2)}`);
  }
  if (demand > cap) {
    demand = cap;
    rules.push('peak-cap');
  }
  let level = demand;
  let maxReplicas = 0;
  if (usable) {
    const bounded = (v: number): number => Math.min(policy.replicas.max, Math.max(policy.replicas.min, v));
    const min = Math.ceil(demand / usable - 1e-9);
    const max = Math.max(min, Math.ceil((f.q99 * 1.2) / usable - 1e-9));
    if (bounded(min) !== min || bounded(max) !== max) rules.push('replica-bounds');
    level = bounded(min);
    maxReplicas = bounded(max);
  }

  // a proposal published and not yet in the manifests is what the change rules move from (else each step re-proposes around it)
  const pending =
    input.current && prev.atMs !== undefined && prev.level !== undefined && (prev.level !== current!.level || prev.maxReplicas !== current!.maxReplicas)
      ? { level: prev.level, maxReplicas: prev.maxReplicas ?? current!.maxReplicas }
      : undefined;
  const reference = pending ?? current;
  const next = changeRule(state, 'cutSince', reference?.level, current?.level, level, input.stepEndMs, policy, usable !== undefined, rules, '');
  let nextMax = usable
    ? Math.max(
        next,
        changeRule(state, 'maxCutSince', reference?.maxReplicas, current?.maxReplicas, maxReplicas, input.stepEndMs, policy, true, rules, 'maxReplicas:'),
      )
    : next;
  // a cut of the ceiling alone saves nothing (a ceiling costs nothing until used): it waits for the next change of the floor
  if (reference !== undefined && next === reference.level && nextMax < reference.maxReplicas) {
    nextMax = reference.maxReplicas;
    rules.push('maxReplicas:cut-waits-for-floor');
  }
  const publish = reference === undefined || next !== reference.level || (usable !== undefined && nextMax !== reference.maxReplicas);
  const proposed = publish ? { level: next, maxReplicas: nextMax } : (current ?? { level: next, maxReplicas: nextMax });
  if (publish) {
    state.level = proposed.level;
    state.maxReplicas = proposed.maxReplicas;
    state.atMs = input.stepEndMs;
    if (next !== reference?.level) state.cutSince = undefined;
    if (nextMax !== reference?.maxReplicas) state.maxCutSince = undefined;
  }
  return {
    state,
    decision: {
      forecast: f,
      current,
      reference,
      proposed,
      capacity: toCapacity(publish ? proposed.level : (current?.level ?? proposed.level)),
      rules,
      publish,
    },
  };
}

/**
 * The change rules for one field (raise at once; cut after the stabilisation window), from `current` (the last
 * proposal when the manifests have not taken it yet, else what is in force), each limited to maxStepPercent
 * of what is in force (`inForce`: proposals not yet merged do not walk further step by step). Updates the
 * window's start (state[since]) and names what it did in `rules` (with `label` before each name).
 */
function changeRule(
  state: ReplicaState,
  since: 'cutSince' | 'maxCutSince',
  current: number | undefined,
  inForce: number | undefined,
  target: number,
  nowMs: number,
  policy: ResolvedPolicy,
  integer: boolean,
  rules: string[],
  label: string,
): number {
  if (current === undefined) {
    rules.push(`${label}initial`);
    return target;
  }
  const base = inForce ?? current;
  const maxDelta = Math.max(integer ? 1 : 0, (base * policy.change.maxStepPercent) / 100);
  const stepTo = (v: number): number => (integer ? Math.round(v) : v);
  if (target > current) {
    state[since] = undefined;
    if (target - base <= maxDelta || base <= 0) {
      rules.push(`${label}raise`);
      return target;
    }
    const limit = stepTo(base + maxDelta);
    rules.push(...(limit > current ? [`${label}raise`] : []), `${label}max-step`);
    return Math.max(current, limit);
  }
  const below = target < current && (current - target) / current > policy.change.hysteresisPercent / 100;
  if (!below) {
    state[since] = undefined;
    return current;
  }
  state[since] ??= nowMs;
  if (nowMs - state[since] < policy.change.cooldownMinutes * 60_000) {
    rules.push(`${label}stabilising`);
    return current;
  }
  if (base - target <= maxDelta) {
    rules.push(`${label}cut`);
    return target;
  }
  rules.push(`${label}max-step`);
  return Math.min(current, stepTo(base - maxDelta));
}

export interface MoneyOutcome {
  monthlyCostDelta: number;
  critical: boolean;
}

/**
 * Critical flags of a published replica change, given its monthly cost delta (the cost model's;
 * 0 when unknown). The budgets come after, for every type alike (money/money.ts guard).
 */
export function applyMoney(d: Decision, policy: ResolvedPolicy, monthlyCost: number): MoneyOutcome {
  // the change this recommendation makes: from a proposal the manifests have not taken yet, else from what is in force
  const current = d.reference ?? d.current ?? { level: policy.replicas.min, maxReplicas: policy.replicas.max };
  const deltaReplicas = d.proposed.level - current.level;
  let critical = false;
  const changePct = current.level > 0 ? (100 * Math.abs(deltaReplicas)) / current.level : 100;
  if (changePct > policy.critical.changePercentAbove) {
    critical = true;
    d.rules.push('critical:change-size');
  }
  if (monthlyCost > policy.critical.monthlyCostIncreaseAbove) {
    critical = true;
    d.rules.push('critical:cost-increase');
  }
  return { monthlyCostDelta: monthlyCost, critical };
}
