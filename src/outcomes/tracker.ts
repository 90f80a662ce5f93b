/**
 * Closing the loop for HPA changes (issue 13), one closed step of a workload's replicas series
 * at a time, run by the recommendation loop after its decision:
 *
 * 1. Online forecast quality (quality.ts): rolling pinball loss, coverage and under-provisioned
 *    share, reported to the metrics; a drift alert on alerts.v1 when coverage stays out of the
 *    policy's band for longer than FORESIGHT_DRIFT_PERIOD_MS.
 * 2. In force: the last published change waits ("pending") until the processor's GitOps
 *    checkout shows every changed field at its proposed value; the step's end is then its
 *    in-force moment (event time).
 * 3. Outcome: FORESIGHT_OUTCOME_PERIOD_MS after that moment (or earlier, when a newer change
 *    comes in force: both windows shortened alike), the 5-minute demand of equal windows before
 *    and after gives the figures (figures.ts), priced by the billing prices; published on
 *    outcomes.v1 and recorded in Redis (store.ts).
 * 4. A regressed outcome tightens the workload's calibration (the decision engine's state
 *    `tighten`, cited by the next recommendation's rules) and raises an alert on alerts.v1.
 *
 * State per workload: the hash `<prefix>:rec:{<workload>}:outcome` (fields pending, inForce,
 * quality; JSON), read and written with the loop's batch state.
 */
import type { Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { AnomalyAlert, Recommendation } from '../codec/generated-types.js';
import type { OutcomesConfig } from '../config/config.js';
import { currentValue, type ManifestIndex } from '../manifests/manifests.js';
import { parseQuantity } from '../manifests/quantity.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { forecastAtRisk, type PeakForecast } from '../policy/rules.js';
import type { BatchState } from '../recommend/batch-state.js';
import { HOURS_PER_MONTH, monthlyCost, scaleResources } from '../recommend/cost-model.js';
import type { Money } from '../recommend/money.js';
import { recommendationId } from '../recommend/recommendation-id.js';
import type { SeriesIdentity } from '../codec/series-id.js';
import { traceHeaders } from '../telemetry/propagation.js';
import { FIVE } from '../windows/resolutions.js';
import { outcomeTrackKey, workloadStateKey } from '../windows/redis-keys.js';
import type { PartitionRef, WindowStore } from '../windows/window-store.js';
import type { Redis } from '../windows/redis-client.js';
import { MAX_TIGHTENING, tighteningFor, verdictOf, windowFigures } from './figures.js';
import { advance, trackedOf, type Tracked } from './lifecycle.js';
import type { ChangeOutcome } from './outcome.js';
import { coverageBand, emptyQuality, figuresOf, qualityStep, type QualityFigures, type QualityState } from './quality.js';
import { recordOutcome } from './store.js';

/** What the metrics see of one workload's step. */
export interface QualityReport {
  namespace: string;
  workload: string;
  modelVersion: string;
  figures: QualityFigures;
  quantile: number;
  sloRisk: number;
}

export interface OutcomeTrackerDeps {
  windows: WindowStore;
  money: Money;
  manifests?: () => ManifestIndex | undefined;
  producer: Producer;
  codec: AvroCodec;
  topics: { outcomes: string; alerts: string };
  redis: Redis;
  prefix: string;
  cfg: OutcomesConfig;
  model: { version: string; stepMs: number; horizonSteps: number };
  onQuality?: (r: QualityReport) => void;
  onOutcome?: (o: ChangeOutcome) => void;
}

export interface StepInput {
  ref: PartitionRef;
  seriesId: string;
  id: SeriesIdentity;
  stepEndMs: number;
  history: ArrayLike<number>;
  raw: PeakForecast;
  policy: ResolvedPolicy;
  /** the HPA recommendation published at this step, if any */
  published: Recommendation | undefined;
  traceparent: string | undefined;
}

const numeric = (v: string | null | undefined): number | undefined => (v === null || v === undefined ? undefined : parseQuantity(v));

export class OutcomeTracker {
  constructor(private readonly d: OutcomeTrackerDeps) {}

  trackKey(workload: string): string {
    return outcomeTrackKey(this.d.prefix, workload);
  }

  /** The manifest's value of a field of the workload, when the checkout has it. */
  private manifestValue(id: SeriesIdentity, field: string, container: string | null): string | null {
    try {
      const w = this.d.manifests?.()?.resolve({ namespace: id.namespace, kind: id.kind, name: id.name });
      return w ? currentValue(w, field, container) : null;
    } catch {
      return null; // not in the repository, not managed, or broken
    }
  }

  /** Does the checkout show every field of the change at its proposed value? */
  private inForce(id: SeriesIdentity, t: Tracked): boolean {
    return t.rec.changes.every((c) => {
      const v = this.manifestValue(id, c.field, t.rec.container);
      if (v === null) return false;
      const [a, b] = [numeric(v), numeric(c.proposed)];
      return a !== undefined && b !== undefined ? Math.abs(a - b) < 1e-9 : v === c.proposed;
    });
  }

  async step(state: BatchState, s: StepInput): Promise<{ outcomes: ChangeOutcome[]; alerts: AnomalyAlert[] }> {
    const out = { outcomes: [] as ChangeOutcome[], alerts: [] as AnomalyAlert[] };
    const key = this.trackKey(s.id.workload);
    const fields = state.get(key);
    const usable = (s.policy.replicas.perReplicaCapacity ?? 0) * s.policy.replicas.targetUtilization;
    const { stepMs, horizonSteps } = this.d.model;
    const { value: forecast, quantile } = forecastAtRisk(s.raw, s.policy);
    const inForceReplicas = numeric(this.manifestValue(s.id, 'minReplicas', null));
    const q = qualityStep(fields.quality ? (JSON.parse(fields.quality) as QualityState) : emptyQuality(), {
      stepEndMs: s.stepEndMs,
      history: s.history,
      forecast,
      quantile,
      capacity: inForceReplicas !== undefined && usable > 0 ? inForceReplicas * usable : undefined,
      stepMs,
      horizon: horizonSteps,
      alpha: Math.min(1, stepMs / this.d.cfg.qualityWindowMs),
      minChecks: Math.max(1, Math.round(this.d.cfg.qualityWindowMs / stepMs / 2)),
      band: coverageBand(quantile, this.d.cfg.coverageTolerance),
      driftPeriodMs: this.d.cfg.driftPeriodMs,
    });
    const workload = `${s.id.kind}/${s.id.name}`;
    this.d.onQuality?.({
      namespace: s.id.namespace,
      workload,
      modelVersion: this.d.model.version,
      figures: figuresOf(q.state),
      quantile,
      sloRisk: s.policy.sloRisk,
    });
    if (q.drift) out.alerts.push(await this.driftAlert(s, q.drift, quantile));

    const pending = fields.pending ? (JSON.parse(fields.pending) as Tracked) : undefined;
    const life = advance(
      { pending, inForce: fields.inForce ? (JSON.parse(fields.inForce) as Tracked) : undefined },
      {
        stepEndMs: s.stepEndMs,
        periodMs: this.d.cfg.periodMs,
        checked: q.checked,
        landed: pending !== undefined && this.inForce(s.id, pending),
        published: s.published && trackedOf(s.published, s.policy.sloRisk),
      },
    );
    for (const d of life.decide) out.outcomes.push(await this.decide(state, s, d.tracked, d.endMs));
    const next: Record<string, string> = { quality: JSON.stringify(q.state) };
    if (life.next.pending) next.pending = JSON.stringify(life.next.pending);
    if (life.next.inForce) next.inForce = JSON.stringify(life.next.inForce);
    state.replace(key, next);
    for (const o of out.outcomes) if (o.verdict === 'regressed') out.alerts.push(await this.regressed(s, o));
    return out;
  }

  /** The outcome of a change in force from `t.inForceAt` until `endMs`: published, recorded, returned. */
  private async decide(state: BatchState, s: StepInput, t: Tracked, endMs: number): Promise<ChangeOutcome> {
    const inForceAt = t.inForceAt!;
    const len = endMs - inForceAt;
    // the five-minute buckets (48 h kept: OUTCOME_PERIOD_MS ≤ 24 h, so both windows fit)
    const steps = Math.max(1, Math.round(len / FIVE.bucketMs));
    const [beforeBuckets, afterBuckets] = await this.d.windows.lastTotals([
      { ref: s.ref, seriesId: s.seriesId, resolution: 'five', n: steps, endMs: inForceAt - 1 },
      { ref: s.ref, seriesId: s.seriesId, resolution: 'five', n: steps, endMs: endMs - 1 },
    ]);
    // the mean demand of each 5-minute step (its bucket's sum over its count), null without data
    const demandOf = (bs: ({ count: number; sum: number } | null)[]): (number | null)[] => bs.map((b) => (b && b.count > 0 ? b.sum / b.count : null));
    const [before, after] = [demandOf(beforeBuckets), demandOf(afterBuckets)];
    const usable = (s.policy.replicas.perReplicaCapacity ?? 0) * s.policy.replicas.targetUtilization;
    const min = t.rec.changes.find((c) => c.field === 'minReplicas');
    const replicasBefore = numeric(min?.current) ?? 0;
    const replicasAfter = numeric(min?.proposed) ?? 0;
    // the replica-hours priced at the pool's unit prices (cost-model.ts); unknown stays unknown
    const facts = this.d.money.workload(s.id);
    const prices = await this.d.money.prices(facts.pool(s.policy), endMs);
    let costUnknown: string | null = null;
    const costOf = (replicaHours: number): number | null => {
      if (!facts.perReplica) {
        costUnknown = "cost unknown: the workload's container requests are not in the GitOps repository";
        return null;
      }
      const c = monthlyCost(scaleResources(facts.perReplica, replicaHours), prices);
      if (!c.known) {
        costUnknown = c.reason;
        return null;
      }
      return c.monthly / HOURS_PER_MONTH;
    };
    const wBefore = windowFigures(before, inForceAt - len, inForceAt, replicasBefore, usable, costOf);
    const wAfter = windowFigures(after, inForceAt, endMs, replicasAfter, usable, costOf);
    const { verdict, explanation } = verdictOf(wBefore, wAfter, t.sloRisk);
    const outcome: ChangeOutcome = {
      recommendationId: t.rec.id,
      modelVersion: t.rec.modelVersion,
      type: t.rec.type,
      cluster: t.rec.cluster,
      namespace: t.rec.namespace,
      kind: t.rec.kind,
      name: t.rec.name,
      container: t.rec.container,
      fields: t.rec.changes.map((c) => ({ field: c.field, before: c.current, after: c.proposed })),
      inForceAt,
      decidedAt: endMs,
      sloRisk: t.sloRisk,
      before: wBefore,
      after: wAfter,
      quantile: t.quantile,
      pinballLoss: t.n ? t.loss! / t.n : null,
      coverage: t.n ? t.covered! / t.n : null,
      currency: prices.currency ?? t.rec.currency,
      costUnknown,
      verdict,
      explanation: `${t.rec.type} ${t.rec.changes.map((c) => `${c.field} ${c.current ?? '?'}→${c.proposed}`).join(', ')}: ${explanation}`,
    };
    await this.d.producer.send({
      topic: this.d.topics.outcomes,
      acks: -1,
      messages: [{ key: s.id.workload, value: this.d.codec.encode('ChangeOutcome', outcome), headers: traceHeaders() }],
    });
    await recordOutcome(this.d.redis, this.d.prefix, outcome);
    this.d.onOutcome?.(outcome);
    if (verdict === 'regressed') {
      // the tightening: the capacity that would have met the SLO risk over the after window, over what was in force
      const st = state.get(workloadStateKey(this.d.prefix, s.id.workload));
      const prev = st.tighten === undefined ? 0 : Number(st.tighten);
      const more = tighteningFor(after, replicasAfter * usable, t.sloRisk);
      state.set(workloadStateKey(this.d.prefix, s.id.workload), { tighten: String(Math.min(MAX_TIGHTENING, prev + more)), tightenedBy: t.rec.id });
    }
    return outcome;
  }

  /** The alert of a regressed outcome. */
  private async regressed(s: StepInput, o: ChangeOutcome): Promise<AnomalyAlert> {
    const share = o.after.underProvisionedShare ?? 0;
    return this.publishAlert(s.id.workload, {
      id: recommendationId({ workload: s.id.workload, type: 'OUTCOME', changes: [], forecast: { rec: o.recommendationId }, modelVersion: o.modelVersion }),
      severity: 'WARNING',
      cluster: o.cluster,
      namespace: o.namespace,
      kind: o.kind,
      name: o.name,
      container: o.container,
      metric: 'outcome:under-provisioned-share',
      eventTime: o.decidedAt,
      value: share,
      score: o.sloRisk > 0 ? share / o.sloRisk : 1,
      threshold: o.sloRisk,
      window: this.summary(s, o.after.startMs, o.after.endMs),
      modelVersion: o.modelVersion,
      traceparent: s.traceparent ?? null,
      budget: null,
    });
  }

  private async driftAlert(s: StepInput, drift: { since: number; coverage: number }, quantile: number): Promise<AnomalyAlert> {
    const band = coverageBand(quantile, this.d.cfg.coverageTolerance);
    const edge = drift.coverage < band[0] ? band[0] : band[1];
    return this.publishAlert(s.id.workload, {
      id: recommendationId({ workload: s.id.workload, type: 'DRIFT', changes: [], forecast: { since: drift.since }, modelVersion: this.d.model.version }),
      severity: 'WARNING',
      cluster: s.id.cluster,
      namespace: s.id.namespace,
      kind: s.id.kind,
      name: s.id.name,
      container: null,
      metric: 'forecast:coverage',
      eventTime: s.stepEndMs,
      value: drift.coverage,
      score: Math.abs(drift.coverage - quantile),
      threshold: edge,
      window: this.summary(s, drift.since, s.stepEndMs),
      modelVersion: this.d.model.version,
      traceparent: s.traceparent ?? null,
      budget: null,
    });
  }

  /** The demand of the history's steps within [startMs, endMs) (the part the history still holds). */
  private summary(s: StepInput, startMs: number, endMs: number): AnomalyAlert['window'] {
    const { stepMs } = this.d.model;
    const n = s.history.length;
    const values: number[] = [];
    for (let k = 0; k < n; k++) {
      const stepEnd = s.stepEndMs - (n - 1 - k) * stepMs;
      if (stepEnd > startMs && stepEnd <= endMs) values.push(s.history[k]);
    }
    const sorted = [...values].sort((a, b) => a - b);
    return {
      start: startMs,
      end: endMs,
      count: values.length,
      mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0,
      min: sorted[0] ?? 0,
      max: sorted[sorted.length - 1] ?? 0,
      p95: sorted.length ? sorted[Math.floor(0.95 * (sorted.length - 1))] : 0,
    };
  }

  private async publishAlert(key: string, alert: AnomalyAlert): Promise<AnomalyAlert> {
    await this.d.producer.send({
      topic: this.d.topics.alerts,
      acks: -1,
      messages: [{ key, value: this.d.codec.encode('AnomalyAlert', alert), headers: traceHeaders() }],
    });
    return alert;
  }
}
