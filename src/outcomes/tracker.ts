/**
 * Closing the loop for every change Foresight proposes (issue 13), one closed step of a series
 * at a time, run by the recommendation loop after its decisions:
 *
 * 1. Online forecast quality (quality.ts) of a workload's replicas demand: rolling pinball loss,
 *    coverage and under-provisioned share, reported to the metrics; a drift alert on alerts.v1
 *    when coverage stays out of the policy's band for longer than FORESIGHT_DRIFT_PERIOD_MS.
 * 2. In force: each change the series published (HPA, IDLE, SPOT on the workload's demand,
 *    RESOURCES on a container's CPU series, a model server's on its demand series) waits on its
 *    track ("pending", one track per kind and series) until the processor's GitOps checkout shows
 *    every changed field at its proposed value; the step's end is then its in-force moment.
 * 3. Outcome: FORESIGHT_OUTCOME_PERIOD_MS after that moment (or earlier, when a newer change of
 *    the track comes in force: both windows shortened alike), equal windows before and after of
 *    the demand measures.ts names for the kind, against the capacity it holds, give the figures
 *    (figures.ts), priced by the billing prices; published on outcomes.v1 and recorded in Redis
 *    (store.ts).
 * 4. A regressed outcome raises an alert on alerts.v1; for a replica change it also tightens the
 *    workload's calibration (the decision engine's state `tighten`, cited by the next
 *    recommendation's rules), which a run of saved/neutral outcomes relaxes again.
 *
 * State per workload: the hash `<prefix>:rec:{<workload>}:outcome` (fields pending, inForce for
 * the HPA track, pending:<track>, inForce:<track> for the others, calm, quality; JSON), read and
 * written with the loop's batch state.
 */
import type { Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { AnomalyAlert, Recommendation } from '../codec/generated-types.js';
import type { OutcomesConfig } from '../config/config.js';
import { currentValue, type ManifestIndex, type ResolvedWorkload } from '../manifests/manifests.js';
import { removesKey } from '../manifests/plan.js';
import { parseQuantity } from '../manifests/quantity.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { forecastAtRisk, type PeakForecast } from '../policy/rules.js';
import type { BatchState } from '../windows/batch-state.js';
import { seriesIdOf } from '../codec/metric-sample.js';
import { HOURS_PER_MONTH, monthlyCost } from '../money/cost-model.js';
import type { Money } from '../money/money.js';
import { recommendationId } from '../codec/recommendation-id.js';
import type { SeriesIdentity } from '../codec/series-id.js';
import { traceHeaders } from '../telemetry/propagation.js';
import { outcomeTrackKey, workloadStateKey } from '../windows/redis-keys.js';
import type { PartitionRef, WindowStore } from '../windows/window-store.js';
import type { Redis } from '../windows/redis-client.js';
import {
  counterRates,
  MIN_JUDGED_STEPS,
  STEP_MS,
  tighteningAfter,
  tighteningFor,
  verdictOf,
  windowFigures,
  type Held,
  type SecondarySteps,
} from './figures.js';
import { advance, trackedOf, type Tracked } from './lifecycle.js';
import { measureOf, type Holding, type Measure } from './measures.js';
import type { ChangeOutcome, OutcomeVerdict } from './outcome.js';
import { coverageBand, emptyQuality, figuresOf, qualityStep, type QualityFigures, type QualityResult, type QualityState } from './quality.js';
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
  /** the partition of `topic` holding a series' windows (a container's memory series may live elsewhere) */
  locate: (topic: string, seriesId: string) => Promise<PartitionRef | undefined>;
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
  /** the recommendations this series published at this step (each is followed on its track) */
  published: Recommendation[];
  /** follow the forecast quality of this series (the workload's replicas demand, with a per-replica capacity) */
  quality: boolean;
  traceparent: string | undefined;
}

const numeric = (v: string | null | undefined): number | undefined => (v === null || v === undefined ? undefined : parseQuantity(v));

export class OutcomeTracker {
  constructor(private readonly d: OutcomeTrackerDeps) {}

  trackKey(workload: string): string {
    return outcomeTrackKey(this.d.prefix, workload);
  }

  /** The workload as the checkout has it, or undefined (not in the repository, not managed, or broken). */
  private resolved(id: SeriesIdentity): ResolvedWorkload | undefined {
    try {
      return this.d.money.workload(id).resolved ?? undefined; // resolved once per manifest snapshot (money/money.ts)
    } catch {
      return undefined;
    }
  }

  /** The manifest's value of a field of the workload, when the checkout has it. */
  private manifestValue(id: SeriesIdentity, field: string, container: string | null): string | null {
    const w = this.resolved(id);
    return w ? currentValue(w, field, container) : null;
  }

  /** Does the checkout show every field of the change at its proposed value (a key the committer removes: gone)? */
  private inForce(id: SeriesIdentity, t: Tracked): boolean {
    const w = this.resolved(id);
    if (!w) return false;
    return t.rec.changes.every((c) => {
      const v = currentValue(w, c.field, t.rec.container);
      if (removesKey(c.field, c.proposed)) return v === null;
      if (v === null) return false;
      const [a, b] = [numeric(v), numeric(c.proposed)];
      return a !== undefined && b !== undefined ? Math.abs(a - b) < 1e-9 : v === c.proposed;
    });
  }

  /** The state fields of a track (the legacy HPA track '' keeps the plain names `pending` and `inForce`). */
  private static field(kind: 'pending' | 'inForce', track: string): string {
    return track === '' ? kind : `${kind}:${track}`;
  }

  /**
   * The track of a change published by this series: one per kind and following series, so a
   * workload's HPA, IDLE and SPOT changes and each container's RESOURCES are followed side by side.
   */
  static trackOf(rec: Pick<Recommendation, 'type' | 'rules'>, s: Pick<StepInput, 'id' | 'policy'>): string {
    if (rec.type === 'HPA' && !rec.rules.includes('model-server') && s.id.container === null && s.id.metric === s.policy.replicas.metric) return '';
    return `${rec.type}:${s.id.metric}:${s.id.container ?? '-'}`;
  }

  /** Is this track followed by this series? */
  private static owns(track: string, s: Pick<StepInput, 'id' | 'policy'>): boolean {
    return track === '' ? s.id.container === null && s.id.metric === s.policy.replicas.metric : track.endsWith(`:${s.id.metric}:${s.id.container ?? '-'}`);
  }

  async step(state: BatchState, s: StepInput): Promise<{ outcomes: ChangeOutcome[]; alerts: AnomalyAlert[] }> {
    const out = { outcomes: [] as ChangeOutcome[], alerts: [] as AnomalyAlert[] };
    const key = this.trackKey(s.id.workload);
    const fields = state.get(key);
    const next: Record<string, string> = { ...fields };
    let checked: QualityResult['checked'] = [];
    if (s.quality) {
      const q = this.quality(s, fields.quality);
      checked = q.checked;
      next.quality = JSON.stringify(q.state);
      if (q.drift) out.alerts.push(await this.driftAlert(s, q.drift, forecastAtRisk(s.raw, s.policy).quantile));
    }

    const published = new Map(s.published.map((r) => [OutcomeTracker.trackOf(r, s), r]));
    const tracks = new Set(published.keys());
    for (const f of Object.keys(fields)) {
      const m = /^(?:pending|inForce)(?::(.+))?$/.exec(f);
      if (m && OutcomeTracker.owns(m[1] ?? '', s)) tracks.add(m[1] ?? '');
    }
    for (const track of tracks) {
      const [pf, ff] = [OutcomeTracker.field('pending', track), OutcomeTracker.field('inForce', track)];
      const pending = fields[pf] ? (JSON.parse(fields[pf]) as Tracked) : undefined;
      const rec = published.get(track);
      const life = advance(
        { pending, inForce: fields[ff] ? (JSON.parse(fields[ff]) as Tracked) : undefined },
        {
          stepEndMs: s.stepEndMs,
          periodMs: this.d.cfg.periodMs,
          // the forecasts checked are of this series' demand: they judge the changes measured on it
          checked,
          landed: pending !== undefined && this.inForce(s.id, pending),
          published: rec && trackedOf(rec, s.policy.sloRisk, this.pools(rec, s)),
        },
      );
      for (const d of life.decide) {
        const o = await this.decide(state, s, d.tracked, d.endMs, next);
        if (o) out.outcomes.push(o);
      }
      for (const [f, v] of [
        [pf, life.next.pending],
        [ff, life.next.inForce],
      ] as const) {
        if (v === pending && v !== undefined) continue; // the pending change as read (advance is pure): its text stays
        if (v) next[f] = JSON.stringify(v);
        else delete next[f];
      }
    }
    state.replace(key, next); // written only when something changed (most steps of most workloads follow nothing)
    for (const o of out.outcomes) if (o.verdict === 'regressed') out.alerts.push(await this.regressed(s, o));
    return out;
  }

  /** Online forecast quality of the workload's demand (quality.ts), reported to the metrics. */
  private quality(s: StepInput, prev: string | undefined): QualityResult {
    const usable = (s.policy.replicas.perReplicaCapacity ?? 0) * s.policy.replicas.targetUtilization;
    const { stepMs, horizonSteps } = this.d.model;
    const { value: forecast, quantile } = forecastAtRisk(s.raw, s.policy);
    const inForceReplicas = numeric(this.manifestValue(s.id, 'minReplicas', null));
    const q = qualityStep(prev ? (JSON.parse(prev) as QualityState) : emptyQuality(), {
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
    this.d.onQuality?.({
      namespace: s.id.namespace,
      workload: `${s.id.kind}/${s.id.name}`,
      modelVersion: this.d.model.version,
      figures: figuresOf(q.state),
      quantile,
      sloRisk: s.policy.sloRisk,
    });
    return q;
  }

  /** The node pools a change is priced in: the workload's when published, and a SPOT change's destination. */
  private pools(rec: Recommendation, s: StepInput): { pool: string; poolAfter?: string } {
    const pool = this.d.money.workload(s.id).pool(s.policy);
    return rec.type === 'SPOT' ? { pool, poolAfter: s.policy.spot.nodePool } : { pool };
  }

  /** The 5-minute step means of a series over the `steps` steps before `endMs` (each five-minute bucket's sum over its count; 48 h kept, so both windows of a ≤ 24 h period fit), null without data. */
  private async stepMeans(ref: PartitionRef, seriesId: string, windows: { endMs: number; steps: number }[]): Promise<(number | null)[][]> {
    const buckets = await this.d.windows.lastTotals(windows.map((w) => ({ ref, seriesId, resolution: 'five' as const, n: w.steps, endMs: w.endMs - 1 })));
    return buckets.map((bs) => bs.map((b) => (b && b.count > 0 ? b.sum / b.count : null)));
  }

  /**
   * The outcome of a change in force from `t.inForceAt` until `endMs`: published, recorded,
   * returned (undefined for a kind that holds no capacity). `track` is the track hash being
   * written (its `calm` count of good outcomes, for the relaxation).
   */
  private async decide(state: BatchState, s: StepInput, t: Tracked, endMs: number, track: Record<string, string>): Promise<ChangeOutcome | undefined> {
    const inForceAt = t.inForceAt!;
    const len = endMs - inForceAt;
    const facts = this.d.money.workload(s.id);
    const m = measureOf(
      { ...t.rec, rules: t.rec.rules ?? [] },
      { policy: s.policy, series: s.id, replicas: facts.replicas, perReplica: facts.perReplica, pool: t.pool ?? facts.pool(s.policy), poolAfter: t.poolAfter },
    );
    if (!m) return undefined;
    // the demand series: the one that followed the change, or the container's memory series for a memory-only change
    const seriesId = seriesIdOf({ ...s.id, metric: m.metric, container: m.container });
    const ref = seriesId === s.seriesId ? s.ref : await this.d.locate(s.ref.topic, seriesId);
    const steps = Math.max(1, Math.round(len / STEP_MS));
    const extra = m.counter ? 1 : 0; // a counter's rate needs the step before the window
    const [before, after] = ref
      ? (
          await this.stepMeans(ref, seriesId, [
            { endMs: inForceAt, steps: steps + extra },
            { endMs, steps: steps + extra },
          ])
        ).map((means) => (m.counter ? counterRates(means) : means))
      : [[], []];
    // the secondary series (a model server's queue, a container's memory), step by step in the same windows, against its limit on each side
    let secondary: (SecondarySteps | undefined)[] = [undefined, undefined];
    if (m.secondary) {
      const id = seriesIdOf({ ...s.id, metric: m.secondary.metric, container: m.container });
      const at = await this.d.locate(s.ref.topic, id);
      if (at) {
        const values = await this.stepMeans(at, id, [
          { endMs: inForceAt, steps },
          { endMs, steps },
        ]);
        secondary = [m.before, m.after].map((h, i) => (h.secondaryLimit === undefined ? undefined : { values: values[i], limit: h.secondaryLimit }));
      }
    }
    let costUnknown: string | null = null;
    const held = async (h: Holding): Promise<Held> => {
      let hourlyCost: number | null = null;
      if (h.resources) {
        const c = monthlyCost(h.resources, await this.d.money.prices(h.pool, endMs));
        if (c.known) hourlyCost = c.monthly / HOURS_PER_MONTH;
        else costUnknown ??= c.reason;
      } else costUnknown ??= `cost unknown: ${h.unpriced ?? 'nothing to price'}`;
      return { capacity: h.capacity, amount: h.amount, hourlyCost };
    };
    const wBefore = windowFigures(before, inForceAt - len, inForceAt, await held(m.before), secondary[0]);
    const wAfter = windowFigures(after, inForceAt, endMs, await held(m.after), secondary[1]);
    const { verdict, explanation } = verdictOf(wBefore, wAfter, t.sloRisk, Math.min(MIN_JUDGED_STEPS, Math.round(this.d.cfg.periodMs / STEP_MS)));
    const prices = await this.d.money.prices(m.after.pool, endMs);
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
      measure: m.what,
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
    if (m.calibrates) this.recalibrate(state, s, outcome, after, m, track);
    return outcome;
  }

  /**
   * A replica change's outcome moves the workload's calibration (figures.ts tighteningAfter):
   * regressed tightens it by the capacity that would have met the SLO risk over the after window
   * over what was in force; a run of saved/neutral outcomes relaxes it.
   */
  private recalibrate(state: BatchState, s: StepInput, o: ChangeOutcome, after: (number | null)[], m: Measure, track: Record<string, string>): void {
    const key = workloadStateKey(this.d.prefix, s.id.workload);
    const st = state.get(key);
    const prev = { tighten: st.tighten === undefined ? 0 : Number(st.tighten), calm: Number(track.calm ?? 0) };
    const more = o.verdict === 'regressed' ? tighteningFor(after, m.after.capacity ?? 0, o.sloRisk) : 0;
    const next = tighteningAfter(prev, o.verdict as OutcomeVerdict, more);
    if (next.calm > 0) track.calm = String(next.calm);
    else delete track.calm;
    if (next.tighten === prev.tighten) return;
    if (next.tighten > 0) state.set(key, { tighten: String(next.tighten), ...(o.verdict === 'regressed' ? { tightenedBy: o.recommendationId } : {}) });
    else {
      state.delete(key, 'tighten');
      state.delete(key, 'tightenedBy');
    }
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
