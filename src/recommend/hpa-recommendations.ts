/**
 * HPA recommendations: the workload's replicas series at each closed step goes through the
 * decision engine shared with `backtest --policy` (policy/decide-replicas.ts), with what is in
 * force read from the GitOps manifests, priced by the cost model and held to the budgets
 * (money/money.ts guard, as every type: a raise a budget caps is not published). The engine's per-workload state lives in the workload hash (windows/batch-state.ts).
 */
import type { KnownEventRaise } from '../policy/decide-replicas.js';
import type { Message } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { Recommendation } from '../codec/generated-types.js';
import { currentValue, type ManifestIndex } from '../manifests/manifests.js';
import { applyMoney, decideStep, type ModelShape } from '../policy/decide-replicas.js';
import { quantileForRisk } from '../policy/policy-schema.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { PeakForecast } from '../policy/rules.js';
import type { Forecaster } from '../scoring/forecaster.js';
import { traceHeaders } from '../telemetry/propagation.js';
import { replicaStateFields, replicaStateOf, type BatchState } from '../windows/batch-state.js';
import { CEILING_ONLY_RULE, replicasCostDelta } from '../money/cost-model.js';
import { resourceDeltaOf, type Money } from '../money/money.js';
import { recommendationId } from '../codec/recommendation-id.js';
import { type SeriesIdentity, workloadFields } from '../codec/series-id.js';
import { workloadStateKey } from '../windows/redis-keys.js';

/** What the steps of one scored batch share: the state cache, the messages to send. */
export interface BatchContext {
  state: BatchState;
  messages: Message[];
}

export interface HpaDeps {
  money: Money;
  forecaster: Forecaster;
  manifests?: () => ManifestIndex | undefined;
  codec: AvroCodec;
  prefix: string;
}

export class HpaRecommender {
  private readonly model: ModelShape;

  constructor(private readonly d: HpaDeps) {
    this.model = { stepMs: d.forecaster.stepSeconds * 1000, horizonSteps: d.forecaster.horizonSteps, ...d.forecaster.online };
  }

  /** The workload hash: the engine's state and the last proposal. */
  stateKey(workload: string): string {
    return workloadStateKey(this.d.prefix, workload);
  }

  /** minReplicas/maxReplicas of the workload's HPA in the GitOps checkout, when it is there and managed. */
  private manifestReplicas(id: SeriesIdentity): { minReplicas: number; maxReplicas: number } | undefined {
    const w = this.d.money.workload(id).resolved; // resolved once per manifest snapshot (money/money.ts)
    if (!w) return undefined;
    try {
      const min = currentValue(w, 'minReplicas', null);
      const max = currentValue(w, 'maxReplicas', null);
      return min !== null && max !== null ? { minReplicas: Number(min), maxReplicas: Number(max) } : undefined;
    } catch {
      return undefined; // not in the repository, not managed, or broken: the committer reports those
    }
  }

  /** Runs the decision engine for the workload's replicas series at this step; the recommendation when it is to be published (queued in ctx.messages). */
  async maybeRecommend(
    ctx: BatchContext,
    id: SeriesIdentity,
    stepEndMs: number,
    raw: PeakForecast,
    history: ArrayLike<number>,
    policy: ReturnType<PolicySet['resolve']>,
    traceparent: string | undefined,
    event?: KnownEventRaise,
  ): Promise<Recommendation | undefined> {
    const key = this.stateKey(id.workload);
    const fields = ctx.state.get(key);
    const prev = replicaStateOf(fields);
    // what is in force: the GitOps manifests when the workload is there, else the last proposal, else the policy's bounds
    const manifest = this.manifestReplicas(id);
    // the decision engine, shared with backtest --policy (policy/decide-replicas.ts)
    const { state, decision } = decideStep(prev, { stepEndMs, history, forecast: raw, current: manifest, event }, policy, this.model);
    if (!decision.publish) {
      ctx.state.replace(key, replicaStateFields(state, fields.id));
      return undefined;
    }
    const f = decision.forecast;
    const rules = decision.rules;
    // the fields' current values: what is in force (the outcome's "before"); the cost: this recommendation's own change, from the
    // proposal it follows when the manifests have not taken that yet (decision.reference), so two proposals do not count one raise twice
    const current = { minReplicas: decision.current?.level ?? policy.replicas.min, maxReplicas: decision.current?.maxReplicas ?? policy.replicas.max };
    const fromLevel = decision.reference?.level ?? current.minReplicas;
    // Δreplicas × the requests of one replica (manifest) × the pool's unit prices (billing): the floor's cost; a ceiling costs nothing until used
    const facts = this.d.money.workload(id);
    const cost = replicasCostDelta(facts.perReplica, fromLevel, decision.proposed.level, await this.d.money.prices(facts.pool(policy), stepEndMs));
    if (decision.proposed.level === fromLevel) rules.push(CEILING_ONLY_RULE);
    else if (cost.known && cost.rules) rules.push(...cost.rules); // how commitments priced it
    const { monthlyCostDelta: costDelta, critical } = applyMoney(decision, policy, cost.known ? cost.monthly : 0);
    const proposed = { minReplicas: decision.proposed.level, maxReplicas: decision.proposed.maxReplicas };
    const changes = [
      { field: 'minReplicas', current: String(current.minReplicas), proposed: String(proposed.minReplicas) },
      { field: 'maxReplicas', current: String(current.maxReplicas), proposed: String(proposed.maxReplicas) },
    ];
    const q = quantileForRisk(policy.sloRisk);
    const forecast = {
      metric: id.metric,
      horizonSeconds: this.d.forecaster.horizonSteps * this.d.forecaster.stepSeconds,
      q50: f.q50,
      q90: f.q90,
      q99: f.q99,
      quantileUsed: q,
      peakTime: null,
    };
    const rec: Recommendation = {
      id: recommendationId({ workload: id.workload, type: 'HPA', changes, forecast, modelVersion: this.d.forecaster.info.version, at: stepEndMs }),
      type: 'HPA',
      ...workloadFields(id, null),
      changes,
      currentSource: manifest ? 'MANIFEST' : prev.atMs !== undefined ? 'METRICS' : 'UNKNOWN',
      forecast,
      rules: [...rules, ...policy.sources.map((s) => `policy:${s}`)],
      monthlyCostDelta: costDelta,
      currency: (cost.known && cost.currency) || policy.budget.currency,
      costUnknown: cost.known ? null : cost.reason,
      nodePool: cost.pool,
      budget: null,
      resourceDelta: resourceDeltaOf(cost),
      confidence: f.q99 > 0 ? Math.max(0, Math.min(1, 1 - (f.q99 - f.q50) / f.q99)) : 0,
      modelVersion: this.d.forecaster.info.version,
      critical,
      createdAt: stepEndMs,
      traceparent: traceparent ?? null,
    };
    // the budgets of the workload's scopes (namespace, team, its own), as for every type; a raise of
    // the floor is a raise even where its cost is unknown (a scope over its budget withholds it too)
    if (!(await this.d.money.guard(id, rec, policy, false, decision.proposed.level > fromLevel))) {
      // withheld by a budget: not published; the engine's other state (calibration) moves on, and the
      // next step proposes the raise again (and is held to the budget again)
      ctx.state.replace(key, replicaStateFields({ ...state, level: prev.level, maxReplicas: prev.maxReplicas, atMs: prev.atMs }, fields.id));
      return undefined;
    }
    ctx.messages.push({ key: id.workload, value: this.d.codec.encode('Recommendation', rec), headers: traceHeaders() });
    ctx.state.replace(key, replicaStateFields(state, rec.id));
    return rec;
  }
}
