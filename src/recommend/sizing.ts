/**
 * The hourly workload recommendations besides HPA, from the windows and the policy:
 *
 *   - RESOURCES per container: requests from the policy percentile of observed usage over
 *     `resources.windowHours` (CPU: at least the forecast median of the next hour's peak; for a
 *     workload no autoscaler scales, during a known event's raise (from an hour before the replicas'
 *     would begin), the percentile of the window before the raise × the multiplier),
 *     plus the safety margin; memory after an OOM kill follows the VPA bump; memory limit
 *     1.25 × request. Fields within the hysteresis of the current value are left alone.
 *   - IDLE: the workload's `replicas.metric` under `idle.cpuBelow` every hour of `idle.hours`
 *     → minReplicas (or replicas) to the policy minimum, or a removal suggestion (critical).
 *   - SPOT: a stateless kind with the eligibility labels and steady demand (coefficient of
 *     variation of the last day's hourly means) → the policy's spot node selector. Not for a
 *     model server: its move to spot GPUs is model-server-recommendations.ts's, where the policy allows it.
 *
 * Evaluated when a series closes the last step of an hour (event time), so at most once an
 * hour per workload. The last proposal per workload and type lives in Redis: a new one is
 * published only when it moved beyond the hysteresis and the cooldown has passed (an OOM bump
 * does not wait).
 */
import type { Recommendation } from '../codec/generated-types.js';
import { seriesIdOf } from '../codec/metric-sample.js';
import { currentValue, get, type ManifestIndex, type ResolvedWorkload } from '../manifests/manifests.js';
import { formatCpu, formatMemory, parseQuantity } from '../manifests/quantity.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { quantileForRisk } from '../policy/policy-schema.js';
import { idleRule, resourcesRule, spotRule, type PeakForecast } from '../policy/rules.js';
import { quantile } from '../windows/sketch.js';
import { hourlyMeans, rangeSummary, type HourBuckets } from '../windows/window-query.js';
import type { PartitionRef, WindowStore } from '../windows/window-store.js';
import { movePoolCostDelta, replicasCostDelta, requestsCostDelta, type CostEstimate } from '../money/cost-model.js';
import { Money } from '../money/money.js';
import { containerCpuRequests, onSpot } from '../money/workload-facts.js';
import { recommendationId } from '../codec/recommendation-id.js';
import type { KnownEventRaise } from '../policy/decide-replicas.js';
import { type SeriesIdentity, workloadFields } from '../codec/series-id.js';

const HOUR = 3_600_000;

export interface SizingDeps {
  windows: WindowStore;
  /** the partition of `topic` holding a series' windows */
  locate: (topic: string, seriesId: string) => Promise<PartitionRef | undefined>;
  manifests?: () => ManifestIndex | undefined;
  /** prices, per-replica requests and node pools (money/cost-model.ts) */
  money: Money;
  modelVersion: string;
  horizonSeconds: number;
}

export interface Candidate {
  /** HPA and RESOURCES of model servers come from model-server-recommendations.ts */
  type: 'RESOURCES' | 'IDLE' | 'SPOT' | 'HPA';
  container: string | null;
  rec: Recommendation;
  /** the proposed values: numbers (quantities in base units) compared with the hysteresis, strings exactly */
  values: Record<string, number | string>;
  /** fields whose raise is urgent (memory after an OOM kill): published even within the hysteresis and the cooldown */
  urgentRaises?: string[];
}

/** Does the candidate raise one of its urgent fields above the last proposal? */
export function urgentRaise(last: Record<string, number | string> | undefined, c: Candidate): boolean {
  return (c.urgentRaises ?? []).some((f) => {
    const v = c.values[f];
    const before = last?.[f];
    return typeof v === 'number' && (typeof before !== 'number' || v > before);
  });
}

/** Did a proposal move beyond the hysteresis from the last one published? */
export function movedBeyond(last: Record<string, number | string>, next: Record<string, number | string>, hysteresisPercent: number): boolean {
  const keys = new Set([...Object.keys(last), ...Object.keys(next)]);
  for (const k of keys) {
    const a = last[k];
    const b = next[k];
    if (typeof a === 'number' && typeof b === 'number') {
      if (a === 0 ? b !== 0 : Math.abs(b - a) / Math.abs(a) > hysteresisPercent / 100) return true;
    } else if (a !== b) {
      return true;
    }
  }
  return false;
}

/** Is `stepEndMs` the end of the last 5-minute step of an hour? */
export const closesHour = (stepEndMs: number): boolean => stepEndMs % HOUR === 0;

export class SizingRules {
  constructor(private readonly d: SizingDeps) {}

  /** The workload in the checkout (money/money.ts caches it per manifest snapshot). */
  private resolve(id: SeriesIdentity): ResolvedWorkload | undefined {
    return this.d.money.workload(id).resolved;
  }

  /** Hourly means of a series over the `hours` hours before `endMs` (hours without samples left out; window-query.ts). */
  private async hourlyMeans(seriesId: string, ref: PartitionRef, endMs: number, hours: number, read?: HourBuckets): Promise<number[]> {
    return hourlyMeans(this.d.windows, ref, seriesId, endMs, hours, read);
  }

  private base(
    id: SeriesIdentity,
    type: Candidate['type'],
    container: string | null,
    changes: Recommendation['changes'],
    opts: Omit<RecommendationBasis, 'modelVersion' | 'horizonSeconds'>,
  ): Recommendation {
    return recommendationOf(id, type, container, changes, { ...opts, modelVersion: this.d.modelVersion, horizonSeconds: this.d.horizonSeconds });
  }

  /** RESOURCES for the container of a due CPU series. */
  async resources(
    id: SeriesIdentity,
    ref: PartitionRef,
    stepEndMs: number,
    f: PeakForecast,
    policy: ResolvedPolicy,
    traceparent: string | undefined,
    event?: KnownEventRaise,
  ): Promise<Candidate | undefined> {
    const r = policy.resources;
    const from = stepEndMs - r.windowHours * HOUR;
    const cpuId = seriesIdOf({ ...id, metric: r.cpuMetric });
    const cpu = await rangeSummary(this.d.windows, ref, cpuId, 'coarse', from, stepEndMs - 1);
    if (cpu.buckets < r.windowHours / 2) return undefined; // at least half the window of evidence
    const cpuObserved = quantile(cpu.summary, r.percentile);
    // a known event (no autoscaler; loop.ts decides when): the usual need, the percentile of the window before the
    // raise began, × the multiplier, so the event's own hours in the window never raise it twice
    const usual =
      event?.fromMs !== undefined ? await rangeSummary(this.d.windows, ref, cpuId, 'coarse', event.fromMs - r.windowHours * HOUR, event.fromMs - 1) : undefined;
    const m = usual && usual.buckets >= r.windowHours / 2 ? event!.multiplier : 1;
    const memId = seriesIdOf({ ...id, metric: r.memoryMetric });
    const memRef = await this.d.locate(ref.topic, memId);
    const mem = memRef ? await rangeSummary(this.d.windows, memRef, memId, 'coarse', from, stepEndMs - 1) : undefined;
    const oomId = seriesIdOf({ ...id, metric: r.oomMetric });
    const oomRef = await this.d.locate(ref.topic, oomId);
    const oom = oomRef ? await rangeSummary(this.d.windows, oomRef, oomId, 'coarse', from, stepEndMs - 1) : undefined;
    const oomKilled = (oom?.summary.sum ?? 0) > 0;
    const hasMemory = mem !== undefined && mem.summary.count > 0;
    const eventNeed = m !== 1 ? quantile(usual!.summary, r.percentile) * m : 0;
    const cpuNeed = Math.max(cpuObserved, f.q50, eventNeed);
    const facts = this.d.money.workload(id);
    const w = this.resolve(id);
    const current = (field: string): string | null => (w ? currentValue(w, field, id.container) : null);
    // under a CPU-utilisation HPA: the pod's other containers, whose usage and requests the HPA counts with this one's;
    // a ContainerResource metric judges its one container alone, and does not see the others' CPU at all
    const cpuHpa = facts.cpuHpa;
    const several = cpuHpa !== undefined && 'several' in cpuHpa;
    const judged = cpuHpa && !('several' in cpuHpa) && (cpuHpa.container === undefined || cpuHpa.container === id.container) ? cpuHpa : undefined;
    const hpa =
      judged && w
        ? {
            ...judged,
            ...(judged.container !== undefined
              ? { others: { usage: 0, requests: 0 } }
              : await this.otherContainers(w, id, ref, from, stepEndMs, r.percentile, r.cpuMetric)),
          }
        : undefined;
    const { proposed, rules } = resourcesRule(
      {
        // never below what is observed or forecast now (an event busier than declared), nor the usual need × the multiplier
        cpuPercentile: cpuNeed,
        memoryPercentile: hasMemory ? quantile(mem.summary, r.percentile) : 0,
        memoryPeak: hasMemory ? mem.summary.max : 0,
        oomKilled,
      },
      policy,
      hpa?.others && { target: hpa.targetUtilization, otherUsage: hpa.others.usage, otherRequests: hpa.others.requests },
    );
    // the term that set the CPU need is cited (the observed percentile is the rule's own)
    if (cpuNeed > cpuObserved && cpuNeed === f.q50) rules.push('forecast-q50');
    else if (cpuNeed > cpuObserved && cpuNeed === eventNeed) rules.push(`event:${event!.events.join('+')}:x${m}`);
    // under an HPA scaling on CPU utilisation (usage ÷ requests, of the pod) the request keeps the pod's percentile at
    // the HPA's target (rules.ts resourcesRule), which leaves an HPA at its floor there (the pod's percentile within its
    // target of today's requests and the HPA's 10% tolerance): the change is priced on its minReplicas. Above its floor
    // the request is the unit the HPA scales in: a change moves the replicas that run by usage Foresight does not see
    // per replica, saves no CPU (the HPA keeps usage ÷ requests at its target) and churns, so the CPU request is left
    // as it is; so too where the pod's other containers' usage or requests are not known. The request the HPA divides
    // by: a limit stands in for a missing one, as the API server sets it; with neither the HPA cannot compute
    // utilisation, and a request is what to propose
    const cpuNowText = current('requests.cpu') ?? current('limits.cpu');
    const cpuNow = cpuNowText === null ? undefined : parseQuantity(cpuNowText);
    const hpaScaling =
      hpa !== undefined &&
      cpuNowText !== null &&
      !(
        hpa.others !== undefined &&
        cpuNow !== undefined &&
        cpuNow > 0 &&
        (cpuNeed + hpa.others.usage) / (cpuNow + hpa.others.requests) <= hpa.targetUtilization * 1.1
      );
    if (hpaScaling) rules.push('cpu-hpa:scaling:cpu-request-kept');
    // several CPU utilisation metrics: the HPA scales on the largest, so any container's request may move its replicas
    if (several) rules.push('cpu-hpa:several-cpu-metrics:cpu-request-kept');
    const fields: [string, number, string][] = hpaScaling || several ? [] : [['requests.cpu', proposed.cpuRequest, formatCpu(proposed.cpuRequest)]];
    if (hasMemory)
      fields.push(
        ['requests.memory', proposed.memoryRequest, formatMemory(proposed.memoryRequest)],
        ['limits.memory', proposed.memoryLimit, formatMemory(proposed.memoryLimit)],
      );
    const changes: Recommendation['changes'] = [];
    let cpuDelta: number | undefined = 0;
    let memDelta: number | undefined = 0;
    for (const [field, value, text] of fields) {
      const cur = current(field);
      const curValue = cur === null ? undefined : parseQuantity(cur);
      // within the hysteresis of what is deployed: leave it (an OOM bump always goes through)
      if (
        curValue !== undefined &&
        curValue > 0 &&
        Math.abs(value - curValue) / curValue <= policy.change.hysteresisPercent / 100 &&
        !(oomKilled && field !== 'requests.cpu' && value > curValue)
      )
        continue;
      changes.push({ field, current: cur, proposed: text });
      // a request without a current value: its delta (so the cost) is unknown
      if (field === 'requests.cpu') cpuDelta = curValue === undefined ? undefined : value - curValue;
      if (field === 'requests.memory') memDelta = curValue === undefined ? undefined : value - curValue;
    }
    if (changes.length === 0) return undefined;
    const prices = await this.d.money.prices(facts.pool(policy), stepEndMs);
    const delta = cpuDelta === undefined || memDelta === undefined ? undefined : { cpuCores: cpuDelta, memoryBytes: memDelta, gpus: 0 };
    // a request the manifest in force does not set (it is there: no request to compare with) says so, not "not in the repository"
    const unset = w ? changes.filter((c) => c.current === null && c.field.startsWith('requests.')).map((c) => c.field) : [];
    const cost: CostEstimate =
      delta === undefined && unset.length > 0
        ? { known: false, reason: `cost unknown: container ${id.container} has no ${unset.join(' or ')} in force to compare with`, pool: prices.pool }
        : requestsCostDelta(delta, facts.replicas, prices);
    if (hpa && cpuDelta !== undefined && cpuDelta !== 0) rules.push('cpu-hpa:at-floor');
    const critical = cost.known && cost.monthly > policy.critical.monthlyCostIncreaseAbove;
    if (critical) rules.push('critical:cost-increase');
    const rec = this.base(id, 'RESOURCES', id.container, changes, {
      metric: r.cpuMetric,
      f,
      rules,
      policy,
      cost,
      critical,
      source: w ? 'MANIFEST' : 'METRICS',
      stepEndMs,
      traceparent,
      confidence: Math.min(1, cpu.summary.count / (r.windowHours * 12)),
    });
    return {
      type: 'RESOURCES',
      container: id.container,
      rec,
      values: Object.fromEntries(changes.map((c) => [c.field, parseQuantity(c.proposed) ?? c.proposed])),
      urgentRaises: rules.includes('oom-bump') ? ['requests.memory', 'limits.memory'] : [],
    };
  }

  /**
   * The percentile of CPU usage over the window and the CPU request of the pod's containers other than `id`'s, summed;
   * `others` undefined where one of them has no request in the manifest or no usage series with evidence.
   */
  private async otherContainers(
    w: ResolvedWorkload,
    id: SeriesIdentity,
    ref: PartitionRef,
    fromMs: number,
    stepEndMs: number,
    percentile: number,
    metric: string,
  ): Promise<{ others?: { usage: number; requests: number } }> {
    const others = { usage: 0, requests: 0 };
    for (const [name, request] of containerCpuRequests(w)) {
      if (name === id.container) continue;
      const sid = seriesIdOf({ ...id, container: name, metric });
      const at = await this.d.locate(ref.topic, sid);
      const used = at ? await rangeSummary(this.d.windows, at, sid, 'coarse', fromMs, stepEndMs - 1) : undefined;
      if (request === undefined || !used || used.summary.count === 0) return {};
      others.usage += quantile(used.summary, percentile);
      others.requests += request;
    }
    return { others };
  }

  /** IDLE for a workload whose demand series stayed under the threshold for the whole period. */
  async idle(
    id: SeriesIdentity,
    ref: PartitionRef,
    seriesId: string,
    stepEndMs: number,
    policy: ResolvedPolicy,
    traceparent: string | undefined,
    read?: HourBuckets,
  ): Promise<Candidate | undefined> {
    const hours = Math.ceil(policy.idle.hours);
    const means = await this.hourlyMeans(seriesId, ref, stepEndMs, hours, read);
    if (means.length < hours) return undefined; // not a whole period of evidence
    const verdict = idleRule(means, policy);
    if (!verdict) return undefined;
    const w = this.resolve(id);
    const hasHpa = w?.hpa !== undefined || w?.helm?.fields.minReplicas !== undefined || !w;
    const removal = verdict.proposed === 'suggest-removal';
    const field = removal ? 'replicas' : hasHpa ? 'minReplicas' : 'replicas';
    const target = removal ? 0 : field === 'minReplicas' ? Math.max(1, policy.replicas.min) : policy.replicas.min;
    const cur = w ? currentValue(w, field, null) : null;
    if (cur !== null && Number(cur) <= target) return undefined; // already there
    const changes = [{ field, current: cur, proposed: String(target) }];
    const rules = [...verdict.rules, removal ? 'idle:suggest-removal' : 'idle:scale-to-min'];
    // the saving: the replicas the workload keeps while idle, from what is in force to the target
    const facts = this.d.money.workload(id);
    const from = cur !== null && Number.isFinite(Number(cur)) ? Number(cur) : facts.replicas;
    const cost = replicasCostDelta(facts.perReplica, from, target, await this.d.money.prices(facts.pool(policy), stepEndMs));
    const rec = this.base(id, 'IDLE', null, changes, {
      metric: policy.replicas.metric,
      rules,
      policy,
      cost,
      critical: removal,
      source: w ? 'MANIFEST' : 'UNKNOWN',
      stepEndMs,
      traceparent,
      confidence: 1,
    });
    return { type: 'IDLE', container: null, rec, values: { [field]: String(target) } };
  }

  /** SPOT for an eligible, steady workload not on spot capacity yet. */
  async spot(
    id: SeriesIdentity,
    ref: PartitionRef,
    seriesId: string,
    stepEndMs: number,
    policy: ResolvedPolicy,
    traceparent: string | undefined,
    read?: HourBuckets,
  ): Promise<Candidate | undefined> {
    if (policy.modelServer) return undefined; // a model server moves to spot GPUs only where its policy allows (model-server-recommendations.ts)
    const w = this.resolve(id);
    // on spot capacity already, by the policy's selector or a provider's (GKE, AKS, EKS): nothing to move
    if (onSpot(w, policy.spot.nodeSelector)) return undefined;
    const demand = await this.hourlyMeans(seriesId, ref, stepEndMs, 24, read);
    if (demand.length < 24) return undefined;
    const merged = w?.workload?.merged;
    const labels = {
      ...((get(merged, ['metadata', 'labels']) ?? {}) as Record<string, string>),
      ...((get(merged, ['spec', 'template', 'metadata', 'labels']) ?? {}) as Record<string, string>),
    };
    const verdict = spotRule({ kind: id.kind, labels }, demand, policy);
    if (!verdict) return undefined;
    const changes = spotChanges(w, policy.spot.nodeSelector);
    if (changes.length === 0) return undefined;
    // the same replicas and requests priced in the spot pool instead of the workload's pool
    const facts = this.d.money.workload(id);
    const cost = movePoolCostDelta(
      facts.perReplica,
      facts.replicas,
      await this.d.money.prices(facts.pool(policy), stepEndMs),
      await this.d.money.prices(policy.spot.nodePool, stepEndMs),
    );
    // a move that saves nothing (the pool's commitments are paid either way, or spot is dearer) is no opportunity
    if (cost.known && cost.monthly >= 0) return undefined;
    const rules = [...verdict.rules, ...(policy.critical.spot ? ['critical:spot'] : [])];
    const rec = this.base(id, 'SPOT', null, changes, {
      metric: policy.replicas.metric,
      rules,
      policy,
      cost,
      critical: policy.critical.spot,
      source: w ? 'MANIFEST' : 'UNKNOWN',
      stepEndMs,
      traceparent,
      confidence: 1,
    });
    return { type: 'SPOT', container: null, rec, values: Object.fromEntries(changes.map((c) => [c.field, c.proposed])) };
  }
}

/** The node selector edits that move a workload to spot capacity (SPOT of any workload, model servers included); none where it is there already. */
export function spotChanges(w: ResolvedWorkload | undefined, nodeSelector: Record<string, string>): Recommendation['changes'] {
  return Object.entries(nodeSelector)
    .map(([k, v]) => ({ field: `nodeSelector.${k}`, current: w ? currentValue(w, `nodeSelector.${k}`, null) : null, proposed: v }))
    .filter((c) => c.current !== c.proposed);
}

/** What a recommendation is made of beside its changes (recommendationOf). */
export interface RecommendationBasis {
  metric: string;
  f?: PeakForecast;
  rules: string[];
  policy: ResolvedPolicy;
  cost: CostEstimate;
  critical: boolean;
  source: Recommendation['currentSource'];
  stepEndMs: number;
  traceparent: string | undefined;
  confidence: number;
  modelVersion: string;
  horizonSeconds: number;
}

/** A priced recommendation of a workload's (or container's) changes at a step. */
export function recommendationOf(
  id: SeriesIdentity,
  type: Candidate['type'],
  container: string | null,
  changes: Recommendation['changes'],
  opts: RecommendationBasis,
): Recommendation {
  const forecast = {
    metric: opts.metric,
    // no forecast (a SPOT or IDLE move is decided on observed usage): horizon 0, which the commit message reads as "no forecast"
    horizonSeconds: opts.f ? opts.horizonSeconds : 0,
    q50: opts.f?.q50 ?? 0,
    q90: opts.f?.q90 ?? 0,
    q99: opts.f?.q99 ?? 0,
    quantileUsed: quantileForRisk(opts.policy.sloRisk),
    peakTime: null,
  };
  return Money.priced(
    {
      id: recommendationId({ workload: `${id.workload}/${container ?? '-'}`, type, changes, forecast, modelVersion: opts.modelVersion, at: opts.stepEndMs }),
      type,
      ...workloadFields(id, container),
      changes,
      currentSource: opts.source,
      forecast,
      rules: [...opts.rules, ...opts.policy.sources.map((s) => `policy:${s}`)],
      monthlyCostDelta: 0,
      currency: opts.policy.budget.currency,
      confidence: opts.confidence,
      modelVersion: opts.modelVersion,
      critical: opts.critical,
      createdAt: opts.stepEndMs,
      traceparent: opts.traceparent ?? null,
      costUnknown: null,
      nodePool: null,
      budget: null,
      resourceDelta: null,
    },
    opts.cost,
  );
}
