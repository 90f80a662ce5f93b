/**
 * Money around the recommendation loop (the I/O side of cost-model.ts and policy/budgets.ts):
 *
 *   - the facts of a workload from the manifest in force (per-replica requests, node pool,
 *     team), cached per manifest snapshot;
 *   - a recommendation's projected cost from its pool's unit prices (CostStore.poolPrices), or
 *     the reason it is unknown (`costUnknown`), never a made-up 0;
 *   - the budget guard on raises (every type): capped (withheld) or sent for review;
 *   - the budgets' figures once per scope and closed hour (month to date, projection, budget,
 *     and whether any billing row of the scope's month has arrived: without one the spend is
 *     unknown, not zero), handed to `onBudget` (the processor's budget gauges);
 *   - budget breaches: a BUDGET recommendation and an alert on alerts.v1 once per scope and
 *     period. The once is a Redis key set with NX before the send (deleted again when the send
 *     fails), so several processors agree on who publishes:
 *
 *       <prefix>:budget:{<scope>}:<YYYY-MM>   string, the id of the published BUDGET
 *                                              recommendation; expires 40 days after the period
 */
import type { Redis } from '../windows/redis-client.js';
import type { Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { AnomalyAlert, Recommendation, ResourceDelta } from '../codec/generated-types.js';
import type { ManifestIndex, ResolvedWorkload } from '../manifests/manifests.js';
import { applyBudgets, breached, budgetStatus, budgetsFor, periodOf, scopeFields, type Budget, type CheckedBudget } from '../policy/budgets.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { CostStore } from '../windows/cost-store.js';
import type { CostEstimate } from './cost-model.js';
import { recommendationId } from '../codec/recommendation-id.js';
import type { SeriesIdentity } from '../codec/series-id.js';
import { cpuHpaOf, currentReplicas, nodePoolOf, podResources, policyOfWorkload, teamOf } from './workload-facts.js';
import type { CpuHpa, PodResources } from './cost-model.js';
import { traceHeaders } from '../telemetry/propagation.js';
import { budgetReportKey } from '../windows/redis-keys.js';
import { dayOf, gpuPricePool, type PoolPrices } from '../windows/billing.js';

const HOUR = 3_600_000;
/** The longest the price memo lives without being read again, even while billing stands still (wall time). */
export const PRICE_MEMO_MAX_MS = 10 * 60_000;

export interface MoneyDeps {
  costs: CostStore;
  redis: Redis;
  prefix: string;
  producer: Producer;
  codec: AvroCodec;
  alertsTopic: string;
  recommendationsTopic: string;
  manifests?: () => ManifestIndex | undefined;
  policies: () => PolicySet;
  /** each budget's figures, once per scope and hour checked (the processor's budget gauges) */
  onBudget?: (s: CheckedBudget) => void;
  /** a raise a budget withheld (not published): the processor counts them per scope and type */
  onWithheld?: (scope: string, type: Recommendation['type']) => void;
}

export interface WorkloadFacts {
  resolved?: ResolvedWorkload;
  team?: string;
  perReplica?: PodResources;
  replicas: number;
  /** its HPA, where it scales on CPU utilisation: a CPU request change may move its replicas, which a RESOURCES cost does not project (sizing.ts) */
  cpuHpa?: CpuHpa;
  /** the node pool it runs on (workload-facts.ts nodePoolOf): on spot capacity, the policy's spot pool */
  pool: (policy: ResolvedPolicy) => string;
}

/** A workload as series name it: its cluster chooses the files of a repository that pins files per cluster. */
type WorkloadId = Pick<SeriesIdentity, 'namespace' | 'kind' | 'name'> & { cluster?: string | null };

export class Money {
  private readonly facts = new WeakMap<ManifestIndex, Map<string, WorkloadFacts>>();
  /** scope → its figures at the hour last checked: a scope's workloads read its costs once per hour */
  private readonly checked = new Map<string, { readAtMs: number; s: CheckedBudget }>();
  /** budget report key → whether it was set, as read at an hour close (every workload of a scope asks at the same close) */
  private readonly reportedAt = new Map<string, { atMs: number; reported: boolean }>();
  /** pool and day → its prices, read while billing stood at `priceStamp` (prices) */
  private readonly priceMemo = new Map<string, Promise<PoolPrices>>();
  private priceStamp: string | undefined;
  private priceMemoSince = 0;
  /** where billing stands, read once per scored batch when the batch needs a price */
  private batchStamp: Promise<string> | undefined;

  constructor(private readonly d: MoneyDeps) {}

  /**
   * The workload as the manifest in force has it (undefined parts when it is not there or not
   * managed), in its cluster's files when the repository's mapping pins files per cluster
   * (manifests/mapping.ts), as the committer reads it.
   */
  workload(id: WorkloadId): WorkloadFacts {
    const index = this.d.manifests?.();
    const key = `${id.cluster ?? ''}/${id.namespace}/${id.kind}/${id.name}`;
    const cache = index ? (this.facts.get(index) ?? new Map<string, WorkloadFacts>()) : undefined;
    if (index && cache && !this.facts.has(index)) this.facts.set(index, cache);
    const hit = cache?.get(key);
    if (hit) return hit;
    // not in the repository, not managed, or broken: nothing to read here (the committer reports those)
    const resolved = index?.lookup({ namespace: id.namespace, kind: id.kind, name: id.name, cluster: id.cluster ?? undefined }).resolved;
    const f: WorkloadFacts = {
      resolved,
      team: teamOf(resolved),
      perReplica: podResources(resolved),
      replicas: currentReplicas(resolved),
      cpuHpa: cpuHpaOf(resolved),
      pool: (p) => nodePoolOf(resolved, p.replicas.nodePool, p.spot),
    };
    cache?.set(key, f);
    return f;
  }

  /** The policy of a workload, its team included (team-scoped policy files take effect). */
  policyOf(id: WorkloadId): ResolvedPolicy {
    return policyOfWorkload(this.d.policies(), this.workload(id).resolved, id);
  }

  /**
   * A pool's unit prices in the month of `atMs` (CostStore.poolPrices), read once per pool and
   * day while billing stands still: every series of every batch would otherwise read the same
   * billing hashes (up to 48 HGETALLs in 8 round trips per pool and batch, most of the processor's
   * Redis round trips in a flowing stream of small batches). Where billing stands is one round trip
   * per scored batch (CostStore.stamp: the billing partitions' applied offsets, which every billing
   * write moves), so billing rows applied meanwhile count from the next batch, as when the memo
   * lived one batch. A price read is kept only when the stamp reads the same after it (Redis may
   * have lost its data in between, and a rebuild bring the offsets back to the same figures). The
   * memo also starts over after PRICE_MEMO_MAX_MS of wall time (month hashes that expire move no
   * offset).
   */
  async prices(pool: string, atMs: number): Promise<PoolPrices> {
    const stamp = await this.billingStamp();
    if (stamp !== this.priceStamp || Date.now() - this.priceMemoSince > PRICE_MEMO_MAX_MS) {
      this.priceMemo.clear();
      this.priceStamp = stamp;
      this.priceMemoSince = Date.now();
    }
    // per day: a pool's prices are its month's, and the figures at the margin also its last days' hours (CostStore.poolPrices)
    const key = `${pool}\n${dayOf(atMs)}`;
    let p = this.priceMemo.get(key);
    if (!p) {
      const read: Promise<PoolPrices> = this.d.costs.poolPrices(pool, atMs).then(async (prices) => {
        // kept only when billing still stands where the batch found it: a read after Redis lost its data (and before a
        // rebuild brought the offsets back to the same figures) must not pass for the rebuilt state
        if ((await this.d.costs.stamp()) !== stamp && this.priceMemo.get(key) === read) this.priceMemo.delete(key);
        return prices;
      });
      p = read;
      this.priceMemo.set(key, read);
      read.catch(() => {
        if (this.priceMemo.get(key) === read) this.priceMemo.delete(key); // a failed read is not remembered
      });
    }
    return p;
  }

  /** Where billing stands (CostStore.stamp), read once per scored batch; a failed read is not remembered. */
  private billingStamp(): Promise<string> {
    if (!this.batchStamp) {
      const read = this.d.costs.stamp();
      this.batchStamp = read;
      read.catch(() => {
        if (this.batchStamp === read) this.batchStamp = undefined;
      });
    }
    return this.batchStamp;
  }

  /** A scored batch begins: where billing stands is read again (at its first price). */
  newBatch(): void {
    this.batchStamp = undefined;
  }

  /**
   * A GPU pool's prices with the GPU-hour price of `model` where billing rows name it
   * (windows/billing.ts gpuModelOf), else the pool's GPU-hour price over all its rows.
   */
  async gpuPrices(pool: string, model: string | undefined, atMs: number): Promise<PoolPrices> {
    const prices = await this.prices(pool, atMs);
    if (!model) return prices;
    const own = await this.prices(gpuPricePool(pool, model), atMs);
    if (own.gpuHour === undefined || (prices.currency && own.currency && prices.currency !== own.currency)) return prices;
    const committed = { ...prices.committed, gpuHour: own.committed?.gpuHour };
    if (!committed.gpuHour) delete committed.gpuHour;
    return { ...prices, gpuHour: own.gpuHour, currency: prices.currency ?? own.currency, committed: Object.keys(committed).length ? committed : undefined };
  }

  /** Writes a cost estimate into a recommendation: the delta and its currency, or why it is unknown. */
  static priced(rec: Recommendation, cost: CostEstimate): Recommendation {
    rec.nodePool = cost.pool;
    if (cost.known) {
      rec.monthlyCostDelta = cost.monthly;
      if (cost.currency) rec.currency = cost.currency;
      rec.costUnknown = null;
      // how commitments priced it (cost-model.ts changeCost), before the policy's sources
      if (cost.rules) {
        const sources = rec.rules.findIndex((r) => r.startsWith('policy:'));
        rec.rules.splice(sources < 0 ? rec.rules.length : sources, 0, ...cost.rules);
      }
      rec.resourceDelta = resourceDeltaOf(cost);
    } else {
      rec.monthlyCostDelta = 0;
      rec.costUnknown = cost.reason;
      rec.resourceDelta = null;
    }
    return rec;
  }

  private budgets(id: SeriesIdentity, policy: ResolvedPolicy): Budget[] {
    return budgetsFor(
      this.d.policies().files,
      { cluster: id.cluster, namespace: id.namespace, kind: id.kind, name: id.name, team: this.workload(id).team },
      { currency: policy.budget.currency, onBreach: policy.budget.onBreach },
    );
  }

  /**
   * A budget's figures read at `atMs` (CostStore.spend): its `atMs` is where they end, the end of
   * the scope's newest billed hour, and the projection runs from there to the month's end.
   */
  private async state(b: Budget, atMs: number): Promise<CheckedBudget> {
    const s = await this.d.costs.spend(b.scope, atMs);
    return { budget: b, monthToDate: s.monthToDate, hourlyRunRate: s.hourlyRunRate, atMs: s.asOfMs, nowMs: atMs, billed: s.billed };
  }

  /** A budget's figures at `atMs`, read once per scope and hour whichever workload asks first, and handed to onBudget. */
  private async checkedState(b: Budget, atMs: number): Promise<CheckedBudget> {
    const last = this.checked.get(b.scope);
    if (last && last.readAtMs === atMs && last.s.budget.monthly === b.monthly) return last.s;
    const s = await this.state(b, atMs);
    this.checked.set(b.scope, { readAtMs: atMs, s });
    this.d.onBudget?.(s);
    return s;
  }

  /**
   * The budgets on a recommendation (policy/budgets.ts applyBudgets): undefined when a budget caps
   * it. `raise`: whether it adds capacity even where its cost is unknown (an HPA floor raised);
   * by default, a priced positive delta.
   */
  async guard(id: SeriesIdentity, rec: Recommendation, policy: ResolvedPolicy, urgent = false, raise?: boolean): Promise<Recommendation | undefined> {
    const budgets = this.budgets(id, policy);
    const adds = raise ?? (rec.costUnknown === null && rec.monthlyCostDelta > 0);
    // figures are read only for a raise: a saving needs none
    const states = adds
      ? await Promise.all(budgets.map((b) => this.state(b, rec.createdAt)))
      : budgets.map((b) => ({ budget: b, monthToDate: 0, hourlyRunRate: 0, atMs: rec.createdAt }));
    return applyBudgets(rec, states, urgent, adds, (s) => this.d.onWithheld?.(s.budget.scope, rec.type));
  }

  /**
   * Budget breaches of a workload's scopes at `atMs`: for each scope heading over its budget
   * this period and not yet reported, one BUDGET recommendation and one alert, sent here.
   */
  async checkBudgets(
    id: SeriesIdentity,
    policy: ResolvedPolicy,
    atMs: number,
    modelVersion: string,
    traceparent: string | undefined,
  ): Promise<{ recommendations: Recommendation[]; alerts: AnomalyAlert[] }> {
    const out = { recommendations: [] as Recommendation[], alerts: [] as AnomalyAlert[] };
    for (const b of this.budgets(id, policy)) {
      const period = periodOf(atMs);
      const key = budgetReportKey(this.d.prefix, b.scope, period);
      const known = this.reportedAt.get(key);
      const reported = known?.reported || (known?.atMs === atMs ? false : (await this.d.redis.exists(key)) === 1);
      if (this.reportedAt.size > 100_000) this.reportedAt.clear(); // it only saves reads
      this.reportedAt.set(key, { atMs, reported });
      if (reported && !this.d.onBudget) continue; // reported this period and nobody watches the figures: no need to read the costs
      const s = await this.checkedState(b, atMs);
      if (reported || !breached(s)) continue;
      const { rec, alert } = budgetReport(s, atMs, { modelVersion, traceparent, critical: policy.critical.budgetBreach });
      const ttlMs = periodEnd(atMs) + 40 * 24 * HOUR - atMs;
      const claimed = (await this.d.redis.set(key, rec.id, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK';
      // reported: by another processor (the NX refused), or by this one now (a failed send below forgets it again)
      this.reportedAt.set(key, { atMs, reported: true });
      if (!claimed) continue;
      try {
        await this.d.producer.sendBatch({
          acks: -1,
          topicMessages: [
            {
              topic: this.d.recommendationsTopic,
              messages: [{ key: b.scope, value: this.d.codec.encode('Recommendation', rec), headers: traceHeaders() }],
            },
            { topic: this.d.alertsTopic, messages: [{ key: b.scope, value: this.d.codec.encode('AnomalyAlert', alert), headers: traceHeaders() }] },
          ],
        });
      } catch (err) {
        await this.d.redis.del(key).catch(() => undefined); // let the next hour report it
        this.reportedAt.delete(key);
        throw err;
      }
      out.recommendations.push(rec);
      out.alerts.push(alert);
    }
    return out;
  }
}

/** A known cost's resources as a recommendation carries them (Recommendation.resourceDelta); null for a move between pools. */
export function resourceDeltaOf(cost: CostEstimate): ResourceDelta | null {
  if (!cost.known || !cost.amount) return null;
  const a = cost.amount;
  return { cpuCores: a.cpuCores, memoryGib: a.memoryBytes / 2 ** 30, gpus: a.gpus };
}

/**
 * The BUDGET recommendation and the alert of a scope heading over its budget: they carry the
 * scope's fields (policy/budgets.ts scopeFields), not those of the workload whose hour close
 * checked it. Pure.
 */
export function budgetReport(
  s: CheckedBudget,
  atMs: number,
  o: { modelVersion: string; traceparent: string | undefined; critical: boolean },
): { rec: Recommendation; alert: AnomalyAlert } {
  const b = s.budget;
  const period = periodOf(atMs);
  const status = budgetStatus(s);
  const fields = { ...scopeFields(b.scope), container: null };
  const rec: Recommendation = {
    id: recommendationId({ workload: b.scope, type: 'BUDGET', changes: [period, b.monthly], forecast: {}, modelVersion: o.modelVersion }),
    type: 'BUDGET',
    ...fields,
    changes: [],
    currentSource: 'UNKNOWN',
    forecast: {
      metric: 'cost',
      horizonSeconds: Math.round((periodEnd(atMs) - atMs) / 1000),
      q50: status.projected,
      q90: status.projected,
      q99: status.projected,
      quantileUsed: 0.5,
      peakTime: null,
    },
    rules: [`budget-breach:${b.scope}`, `policy:${b.policy}`],
    monthlyCostDelta: 0,
    currency: b.currency,
    confidence: 1,
    modelVersion: o.modelVersion,
    critical: o.critical,
    createdAt: atMs,
    traceparent: o.traceparent ?? null,
    costUnknown: null,
    nodePool: null,
    budget: status,
    resourceDelta: null,
  };
  const alert: AnomalyAlert = {
    id: recommendationId({ workload: b.scope, type: 'BUDGET-ALERT', changes: [period, b.monthly], forecast: {}, modelVersion: o.modelVersion }),
    severity: 'CRITICAL',
    ...fields,
    metric: 'budget',
    eventTime: atMs,
    value: status.projected,
    score: status.projected / Math.max(b.monthly, 1e-9),
    threshold: b.monthly,
    window: { start: periodStart(atMs), end: atMs, count: 0, mean: s.hourlyRunRate, min: 0, max: status.projected, p95: status.projected },
    modelVersion: o.modelVersion,
    traceparent: o.traceparent ?? null,
    budget: { scope: b.scope, period, monthly: b.monthly, monthToDate: s.monthToDate, projected: status.projected, currency: b.currency },
  };
  return { rec, alert };
}

function periodStart(atMs: number): number {
  const d = new Date(atMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function periodEnd(atMs: number): number {
  const d = new Date(atMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
