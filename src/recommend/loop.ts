/**
 * The scoring and recommendation stage, run after each applied metrics batch for the series
 * whose last 5-minute step just closed (in event time):
 *
 *   windows → 48 h histories and 7 days of hourly means (one round trip) → forecasts (one
 *   batch, from the last 24 h and the week) and anomaly scores (scoring/anomaly-detector.ts,
 *   from the 48 h) → policy per workload → recommendations.v1 and alerts.v1
 *   → for model servers (policy modelServer): replicas and GPU slices (model-server-recommendations.ts)
 *   → every change published: followed until in force, then its outcome on outcomes.v1; forecast
 *     quality of HPA workloads (outcomes/tracker.ts)
 *
 * Decisions use event time (the closed step), never the wall clock, so a replay of the same
 * events gives the same recommendations with the same ids. Per workload, the last emitted
 * proposal lives in Redis: hysteresis and cooldown compare against it. Alerts are
 * de-duplicated per series over the policy's suppression interval (in event time).
 *
 * Per batch: the workloads' last proposals are read in one pipelined round trip, decided in
 * memory step by step, and the batch's recommendations are sent in one produce request, then
 * the state written back in one round trip.
 *
 * Delivery: the loop runs after the batch is applied and before its offset is resolved. A
 * crash in between skips scoring those steps on redelivery (their events are already
 * applied); the next closed step is scored as usual. So a step is scored at most once.
 */
import type { Redis } from '../windows/redis-client.js';
import type { Message, Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { AnomalyAlert, Recommendation } from '../codec/generated-types.js';
import type { OutcomesConfig, TopicsConfig } from '../config/config.js';
import type { ChangeOutcome } from '../outcomes/outcome.js';
import { OutcomeTracker, type QualityReport } from '../outcomes/tracker.js';
import type { DueSeries } from './due-series.js';
import { chunks, PRODUCE_CHUNK_BYTES } from '../kafka/deadletter.js';
import type { ManifestIndex } from '../manifests/manifests.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { PeakForecast } from '../policy/rules.js';
import type { Logger } from '../telemetry/log.js';
import { ANOMALY_VERSION, ANOMALY_WINDOW, anomalyScore } from '../scoring/anomaly-detector.js';
import { DAY } from '../scoring/features.js';
import type { Forecaster, ForecastInput } from '../scoring/forecaster.js';
import { historiesFromWindows, type WindowHistory } from './window-history.js';
import { HistoryCache } from './history-cache.js';
import type { HourBuckets } from '../windows/window-query.js';
import type { CostStore } from '../windows/cost-store.js';
import type { PartitionRef, WindowStore } from '../windows/window-store.js';
import { incompleteOf } from '../windows/state-marks.js';
import { incompleteKey } from '../windows/redis-keys.js';
import { BatchState, ExpiryMemo } from '../windows/batch-state.js';
import { enoughEvidence } from './evidence.js';
import type { KnownEventRaise } from '../policy/decide-replicas.js';
import { eventMultiplier, eventsInWindow, RECENT_MS, type KnownEvent } from '../policy/events.js';
import { dayPeaksOfHours } from '../policy/day-peaks.js';
import { DayPeaksStore } from './day-peaks-store.js';
import { AnomalyAlerts } from './anomaly-alerts.js';
import { HpaRecommender, type BatchContext } from './hpa-recommendations.js';
import { isModelServerDemand, ModelServerRecommender } from './model-server-recommendations.js';
import { Money } from '../money/money.js';
import type { CheckedBudget } from '../policy/budgets.js';
import { SpendAnomalies } from './spend-anomalies.js';
import { closesHour, SizingRules, type Candidate } from './sizing.js';
import { publishOnce } from './publish-once.js';
import { parseSeriesId, type SeriesIdentity } from '../codec/series-id.js';
import { autoscaled, labelsOf } from '../money/workload-facts.js';

const STEP_MS = 300_000;
const HOUR_MS = 3_600_000;

export interface LoopDeps {
  windows: WindowStore;
  costs: CostStore;
  forecaster: Forecaster;
  policies: () => PolicySet;
  /** known future events (policies/events.yaml): they raise the forecasts of the series in their scope */
  events?: () => readonly KnownEvent[];
  /** the GitOps repository's manifests (current values), when a checkout is configured */
  manifests?: () => ManifestIndex | undefined;
  /** partitions of each input topic (to find a workload's other series) */
  partitionsOf: (topic: string) => number;
  producer: Producer;
  codec: AvroCodec;
  topics: TopicsConfig;
  redis: Redis;
  prefix: string;
  log: Logger;
  /** FORESIGHT_ALLOWED_LATENESS_MS: how far back a bucket can still change (history-cache.ts) */
  allowedLatenessMs: number;
  /** outcomes of changes and online forecast quality (outcomes/tracker.ts) */
  outcomes: OutcomesConfig;
  onQuality?: (r: QualityReport) => void;
  onOutcome?: (o: ChangeOutcome) => void;
  /** each budget's figures, once per scope and closed hour (money/money.ts) */
  onBudget?: (s: CheckedBudget) => void;
  /** a raise a budget withheld (money/money.ts guard) */
  onWithheld?: (scope: string, type: Recommendation['type']) => void;
}

/** Milliseconds per phase of one scored batch (where the time goes; bench pipeline reports them). */
export interface LoopTimings {
  history: number;
  models: number;
  decide: number;
  publish: number;
}

export interface LoopOutcome {
  timings: LoopTimings;
  scored: number;
  recommendations: Recommendation[];
  alerts: AnomalyAlert[];
  outcomes: ChangeOutcome[];
}

/** A due series with its identity and windows, ready to score. */
interface Ready extends DueSeries {
  id: SeriesIdentity;
  h: WindowHistory;
  /** the last 24 h of the history (a view), its time and the week's hours: the forecaster's input */
  day: ForecastInput & { history: Float64Array };
}

export class RecommendationLoop {
  private readonly sizing: SizingRules;
  private readonly alerts: AnomalyAlerts;
  private readonly money: Money;
  private readonly hpa: HpaRecommender;
  private readonly modelServers: ModelServerRecommender;
  private readonly tracker: OutcomeTracker;
  private readonly spend: SpendAnomalies;
  private readonly dayPeaks: DayPeaksStore;
  /** each scored series' windows as of its last step: the next reads only what can have changed (history-cache.ts) */
  private readonly histories: HistoryCache;
  /** when this process last set each workload state key's expiry (windows/batch-state.ts) */
  private readonly expiries = new ExpiryMemo();
  /** workload → the hour close at which its budgets and spend were last checked here */
  private readonly budgetsChecked = new Map<string, number>();

  constructor(private readonly d: LoopDeps) {
    this.histories = new HistoryCache(d.allowedLatenessMs);
    this.alerts = new AnomalyAlerts({
      redis: d.redis,
      prefix: d.prefix,
      producer: d.producer,
      codec: d.codec,
      topic: d.topics.alerts,
      modelVersion: () => ANOMALY_VERSION,
    });
    this.money = new Money({
      costs: d.costs,
      redis: d.redis,
      prefix: d.prefix,
      producer: d.producer,
      codec: d.codec,
      alertsTopic: d.topics.alerts,
      recommendationsTopic: d.topics.recommendations,
      manifests: d.manifests,
      policies: d.policies,
      onBudget: d.onBudget,
      onWithheld: d.onWithheld,
    });
    this.dayPeaks = new DayPeaksStore(d.redis, d.prefix, d.log);
    this.spend = new SpendAnomalies({ costs: d.costs, redis: d.redis, prefix: d.prefix, producer: d.producer, codec: d.codec, alertsTopic: d.topics.alerts });
    this.sizing = new SizingRules({
      windows: d.windows,
      manifests: d.manifests,
      money: this.money,
      modelVersion: d.forecaster.info.version,
      horizonSeconds: d.forecaster.horizonSteps * d.forecaster.stepSeconds,
      locate: (topic, seriesId) => d.windows.locate(topic, d.partitionsOf(topic), seriesId),
    });
    this.hpa = new HpaRecommender({ money: this.money, forecaster: d.forecaster, manifests: d.manifests, codec: d.codec, prefix: d.prefix });
    this.modelServers = new ModelServerRecommender({
      windows: d.windows,
      money: this.money,
      forecaster: d.forecaster,
      partitionsOf: d.partitionsOf,
      redis: d.redis,
      prefix: d.prefix,
      log: d.log,
    });
    this.tracker = new OutcomeTracker({
      windows: d.windows,
      money: this.money,
      manifests: d.manifests,
      producer: d.producer,
      codec: d.codec,
      topics: d.topics,
      redis: d.redis,
      prefix: d.prefix,
      cfg: d.outcomes,
      locate: (topic, seriesId) => d.windows.locate(topic, d.partitionsOf(topic), seriesId),
      model: { version: d.forecaster.info.version, stepMs: d.forecaster.stepSeconds * 1000, horizonSteps: d.forecaster.horizonSteps },
      onQuality: d.onQuality,
      onOutcome: d.onOutcome,
    });
  }

  /**
   * The known future events (policies/events.yaml) that raise this workload's forecast made at stepEndMs: a
   * declared multiplier, or what the reference period of an event `like` a past day shows (day-peaks-store.ts).
   * `aheadMs`: how much earlier the raise must come (an hourly rule is next evaluated an hour later).
   */
  private async eventRaise(id: SeriesIdentity, stepEndMs: number, state: BatchState, aheadMs = 0): Promise<KnownEventRaise | undefined> {
    const events = this.d.events?.() ?? [];
    if (events.length === 0) return undefined;
    const facts = this.money.workload(id);
    const who = { namespace: id.namespace, workload: id.name, team: facts.team, labels: labelsOf(facts.resolved) };
    const horizonMs = this.d.forecaster.horizonSteps * this.d.forecaster.stepSeconds * 1000 + aheadMs;
    if (eventsInWindow(events, who, stepEndMs, horizonMs).length === 0) return undefined;
    // the events in the raise window and those of the last two days (events.ts eventMultiplier): their references' multipliers
    const likes = new Map<KnownEvent, number | undefined>();
    for (const e of eventsInWindow(events, who, stepEndMs - RECENT_MS, RECENT_MS + horizonMs))
      if (e.like) likes.set(e, await this.dayPeaks.like(id.workload, e, events, stepEndMs, state));
    return eventMultiplier(events, who, stepEndMs, horizonMs, (e) => likes.get(e));
  }

  /** Partitions may have moved, or Redis lost state: each series' next step reads its windows whole. */
  forgetHistories(): void {
    this.histories.clear();
    this.dayPeaks.forget();
  }

  async score(ref: PartitionRef, due: DueSeries[], traceparent: string | undefined): Promise<LoopOutcome> {
    const timings: LoopTimings = { history: 0, models: 0, decide: 0, publish: 0 };
    const out: LoopOutcome = { timings, scored: 0, recommendations: [], alerts: [], outcomes: [] };
    if (due.length === 0) return out;
    this.money.newBatch();
    let t = performance.now();
    const lap = (phase: keyof LoopTimings): void => {
      const n = performance.now();
      timings[phase] += n - t;
      t = n;
    };
    const histories = await historiesFromWindows(
      this.d.windows,
      due.map((s) => ({ ref, seriesId: s.seriesId, endMs: s.stepEndMs })),
      0,
      ANOMALY_WINDOW,
      this.histories,
    );
    lap('history');
    const ready: Ready[] = [];
    for (let i = 0; i < due.length; i++) {
      const h = histories[i];
      const id = h && parseSeriesId(due[i].seriesId);
      if (!h || !id) continue;
      const { seriesId, stepEndMs, traceparent: first } = due[i];
      // the forecaster's and the rules' 24 h (and the week)
      ready.push({ seriesId, stepEndMs, traceparent: first, id, h, day: { history: h.history.subarray(-DAY), timeS: h.timeS, coarse: h.coarse } });
    }
    if (ready.length === 0) return out;
    const forecasts = await this.d.forecaster.forecast(ready.map((r) => r.day));
    lap('models');
    // the workloads' state, and the partition's hole mark in the same round trip
    const state = new BatchState(this.d.redis, this.expiries);
    const holeKey = incompleteKey(this.d.prefix, ref);
    await state.load([
      holeKey,
      ...ready.flatMap((r) =>
        r.id.container === null ? [this.hpa.stateKey(r.id.workload), this.tracker.trackKey(r.id.workload)] : [this.tracker.trackKey(r.id.workload)],
      ),
    ]);
    lap('decide');
    // Redis lost part of this partition's history that Kafka no longer held: wait for new evidence
    const hole = incompleteOf(state.get(holeKey));
    // the detector sees the series' own steps only: not the fill before its first event, nor a hole's
    const scores = ready.map((r) => {
      const sinceHole = hole ? Math.floor((r.stepEndMs - hole.fromMs) / STEP_MS) : Infinity;
      return anomalyScore(r.h.history.subarray(Math.max(0, ANOMALY_WINDOW - Math.min(r.h.observed, sinceHole))), DAY, r.h.long);
    });
    out.scored = ready.length;
    lap('models');
    const messages: Message[] = [];
    const ctx: BatchContext = { state, messages };
    for (let i = 0; i < ready.length; i++) {
      const r = ready[i];
      const policy = this.money.policyOf(r.id); // with the workload's team (money/money.ts)
      if (!enoughEvidence(hole?.fromMs, r.stepEndMs, policy)) continue;
      // the trace of the series' first event in the batch that closed the step (else the batch's)
      const tp = r.traceparent ?? traceparent;
      if (AnomalyAlerts.reaches(scores[i], policy.anomaly)) {
        // (most steps score below the threshold: no promise for them)
        const alert = await this.alerts.maybeAlert(r.id, r.seriesId, r.stepEndMs, r.day.history, scores[i], policy.anomaly, tp);
        if (alert) out.alerts.push(alert);
      }
      // the workload's daily peaks, for known events `like` a past day: the days its hour buckets show whole (before
      // the decisions below, which may read them)
      if (closesHour(r.stepEndMs) && r.id.container === null && r.id.metric === policy.replicas.metric)
        this.dayPeaks.record(state, r.id.workload, dayPeaksOfHours(r.h.hours.endMs, r.h.hours.means));
      // what this series publishes at this step; the outcome tracker follows each to its outcome
      const published: Recommendation[] = [];
      if (r.id.container === null && r.id.metric === policy.replicas.metric && policy.replicas.perReplicaCapacity) {
        const rec = await this.hpa.maybeRecommend(
          ctx,
          r.id,
          r.stepEndMs,
          forecasts[i],
          r.day.history,
          policy,
          tp,
          withObserved(await this.eventRaise(r.id, r.stepEndMs, state), r.h.observed),
        );
        if (rec) published.push(rec);
      }
      // a model server (the policy's modelServer block): replicas and GPU sizing from its demand series
      if (isModelServerDemand(r.id, policy) && (await this.modelServers.decides(r.id, r.seriesId, policy))) {
        for (const c of await this.modelServers.candidates(ref, r.id, r.stepEndMs, r.day.history, forecasts[i], policy, tp)) {
          // a budget cap; a queue-driven replica raise (urgentRaises) goes to review instead, as an OOM bump does
          if (!(await this.money.guard(r.id, c.rec, policy, (c.urgentRaises ?? []).length > 0))) continue;
          const rec = await publishOnce(ctx, this.d, r.id, c, r.stepEndMs, policy);
          if (rec) published.push(rec);
        }
      }
      if (closesHour(r.stepEndMs)) {
        for (const c of await this.hourly(ref, r.id, r.seriesId, r.stepEndMs, forecasts[i], policy, tp, r.h.hours, state)) {
          if (!(await this.money.guard(r.id, c.rec, policy, (c.urgentRaises ?? []).length > 0))) continue; // a budget cap
          const rec = await publishOnce(ctx, this.d, r.id, c, r.stepEndMs, policy);
          if (rec) published.push(rec);
        }
        // the workload's budgets and spend, once per workload and hour close whichever of its series closes it first
        // (a model server, or a workload with only container series, has no workload-level replicas series)
        if (this.budgetsChecked.get(r.id.workload) !== r.stepEndMs) {
          if (this.budgetsChecked.size > 100_000) this.budgetsChecked.clear(); // it only saves reads
          this.budgetsChecked.set(r.id.workload, r.stepEndMs);
          try {
            const breaches = await this.money.checkBudgets(r.id, policy, r.stepEndMs, this.d.forecaster.info.version, tp);
            out.recommendations.push(...breaches.recommendations);
            out.alerts.push(...breaches.alerts);
            out.alerts.push(...(await this.spend.check(r.id, this.money.workload(r.id).team, policy, r.stepEndMs, tp)));
          } catch (err) {
            this.budgetsChecked.delete(r.id.workload); // the batch's retry checks them again
            throw err;
          }
        }
      }
      out.recommendations.push(...published);
      // forecast quality of the workload's demand, changes coming in force and their outcomes (outcomes/tracker.ts)
      const quality = r.id.container === null && r.id.metric === policy.replicas.metric && policy.replicas.perReplicaCapacity !== undefined;
      const tracked = await this.tracker.step(state, {
        ref,
        seriesId: r.seriesId,
        id: r.id,
        stepEndMs: r.stepEndMs,
        history: r.day.history,
        raw: forecasts[i],
        policy,
        published,
        quality,
        traceparent: tp,
      });
      out.outcomes.push(...tracked.outcomes);
      out.alerts.push(...tracked.alerts);
    }
    lap('decide');
    // the batch's recommendations in as few sends as the record batch size allows, then their state in one write
    for (const chunk of chunks(messages, PRODUCE_CHUNK_BYTES)) await this.d.producer.send({ topic: this.d.topics.recommendations, acks: -1, messages: chunk });
    await state.flush();
    this.dayPeaks.flushed(state);
    lap('publish');
    return out;
  }

  /** RESOURCES (container CPU series), IDLE and SPOT (the workload's demand series), once an hour. */
  private async hourly(
    ref: PartitionRef,
    id: SeriesIdentity,
    seriesId: string,
    stepEndMs: number,
    f: PeakForecast,
    policy: ReturnType<PolicySet['resolve']>,
    tp: string | undefined,
    read: HourBuckets,
    state: BatchState,
  ): Promise<Candidate[]> {
    const out: (Candidate | undefined)[] = [];
    if (id.container !== null && id.metric === policy.resources.cpuMetric) {
      // a known event raises the CPU requests of a workload that no autoscaler scales (with one, its replicas rise instead):
      // an hour earlier than the forecast's horizon, as this rule is next evaluated an hour later
      const w = this.money.workload(id).resolved;
      const event = w && !autoscaled(w) ? await this.eventRaise(id, stepEndMs, state, HOUR_MS) : undefined;
      out.push(await this.sizing.resources(id, ref, stepEndMs, f, policy, tp, event));
    }
    if (id.container === null && id.metric === policy.replicas.metric) {
      out.push(await this.sizing.idle(id, ref, seriesId, stepEndMs, policy, tp, read));
      out.push(await this.sizing.spot(id, ref, seriesId, stepEndMs, policy, tp, read));
    }
    return out.filter((c): c is Candidate => c !== undefined);
  }
}

/** The raise with how many of the history's steps are the series' own (eventDemand reads the day before only from those). */
function withObserved(raise: KnownEventRaise | undefined, observedSteps: number): KnownEventRaise | undefined {
  return raise && { ...raise, observedSteps };
}
