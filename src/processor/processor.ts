/**
 * The processor: consumes its input topics (FORESIGHT_INPUTS: metrics and billing, each in
 * its configured format) and, per Kafka batch of one partition, runs the ingest pipeline
 * (ingest/ingest.ts): decode → validate → event-time windows → dead letters → one Redis
 * script call that applies the batch together with the partition's applied offset. The
 * consumer is pipelined (kafka/batch-runner.ts): the next batch is fetched while one is
 * handled, and a batch's offset is committed only after its script call returned.
 * Before a partition's first batch after joining the group, and whenever a script call finds
 * the applied offset went backwards, state-guard.ts checks that Redis still holds what was
 * applied; if it lost it, the partition is sought back and its windows rebuilt from Kafka.
 */
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { decoderFor, isBillingFormat, type MessageDecoder } from '../codec/decoders.js';
import { BatchRunner, type Batch, type Reposition } from '../kafka/batch-runner.js';
import { DeadLetterPublisher } from '../kafka/deadletter.js';
import { budgetGauges, budgetWithheldCounter } from '../money/budget-gauges.js';
import { startBatchSpan } from '../telemetry/consumer-span.js';
import { scrub } from '../telemetry/log.js';
import { qualityGauges } from '../outcomes/quality-gauges.js';
import { traceHeaders, traceparentOf } from '../telemetry/propagation.js';
import { PolicySet } from '../policy/policy-set.js';
import { PolicyStore } from './policy-checkout.js';
import { RecommendationLoop, type LoopOutcome } from '../recommend/loop.js';
import { ANOMALY_VERSION } from '../scoring/anomaly-detector.js';
import { Forecaster } from '../scoring/forecaster.js';
import * as S from '../telemetry/semconv.js';
import { errorMessage, ForesightError } from '../util/errors.js';
import { retry } from '../util/retry.js';
import { CostStore } from '../windows/cost-store.js';
import { connectRedis, createRedis, isPermanentRedisError } from '../windows/redis-client.js';
import { StateLostError } from '../windows/state-marks.js';
import { WindowStore } from '../windows/window-store.js';
import type { RunningService, ServiceContext } from '../service-runtime/runtime.js';
import { IngestPipeline, type BatchOutcome, type StageTimings } from '../ingest/ingest.js';
import { StateGuard } from '../ingest/state-guard.js';

/** Called after each batch; the benchmark uses it to measure batch latency and Redis round trips. */
export type BatchObserver = (outcome: {
  applied: number;
  redisRoundTrips: number;
  ms: number;
  messages: number;
  timings: StageTimings;
  scoring?: LoopOutcome;
}) => void;

export async function startProcessor(ctx: ServiceContext, observer?: BatchObserver): Promise<RunningService> {
  const { cfg, log, telemetry, codec } = ctx;
  const redis = createRedis(cfg.redis, log);
  await connectRedis(redis, cfg.redis);
  const windows = new WindowStore(redis, cfg.redis.keyPrefix);

  const meter = telemetry.meter;
  const processed = meter.createCounter('foresight_events_applied', { description: 'Events (samples and billing rows) applied to Redis, per topic' });
  const skipped = meter.createCounter('foresight_events_duplicate_skipped', {
    description: 'Redelivered messages skipped because their offset was already applied',
  });
  const deadLetters = meter.createCounter('foresight_deadletters', { description: 'Messages sent to the dead-letter topic, per reason' });
  const batchMs = meter.createHistogram('foresight_batch_duration_ms', { description: 'Time to process one Kafka batch', unit: 'ms' });
  const batchFailures = meter.createCounter('foresight_batch_failures', {
    description: 'Batches that failed and are retried (Redis, Kafka or registry errors), per error code',
  });
  const roundTrips = meter.createHistogram('foresight_redis_roundtrips_per_batch', { description: 'Redis round trips per Kafka batch' });
  const lagGauge = meter.createGauge('foresight_consumer_lag', { description: 'Messages behind the high watermark, per partition' });
  const stateLost = meter.createCounter('foresight_redis_state_lost', {
    description: 'Partitions whose Redis state was found lost and rebuilt from Kafka; missing=true when Kafka no longer held all of it',
  });
  const dlq = new DeadLetterPublisher(ctx.producer, codec, cfg.topics.deadletter, 'processor', deadLetters, log, cfg.deadLetterMaxBytes);

  const decoders = new Map<string, { decode: MessageDecoder; billing: boolean }>();
  for (const [topic, format] of cfg.ingest.inputs) decoders.set(topic, { decode: decoderFor(format, codec), billing: isBillingFormat(format) });
  // partition counts of the input topics, so cost reads and a workload's other series address
  // keys directly (retried: right after the broker starts, leaders may not be elected yet)
  const inputTopics = await retry(
    async () => {
      const admin = ctx.kafka.admin();
      await admin.connect();
      try {
        return await Promise.all(
          [...decoders].map(async ([topic, d]) => ({
            topic,
            billing: d.billing,
            partitions: (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length,
          })),
        );
      } finally {
        await admin.disconnect();
      }
    },
    { retries: 10, initialDelayMs: 200, onRetry: (err, attempt) => log.warn({ err: errorMessage(err), attempt }, 'reading topic metadata failed; retrying') },
  );
  const partitionsOf = new Map(inputTopics.map((t) => [t.topic, t.partitions]));
  // zero from the start, so an alert on its increase sees the first loss
  for (const t of inputTopics) for (const missing of ['false', 'true']) stateLost.add(0, { topic: t.topic, missing });
  const costs = new CostStore(
    redis,
    cfg.redis.keyPrefix,
    inputTopics.filter((t) => t.billing).map(({ topic, partitions }) => ({ topic, partitions })),
  );

  const guard = new StateGuard({
    kafka: ctx.kafka,
    redis,
    prefix: cfg.redis.keyPrefix,
    groupId: cfg.processorGroup,
    maxEventAgeMs: cfg.ingest.maxEventAgeMs,
    replayHistory: cfg.ingest.replayHistory,
    log,
    onLost: (ref, missing) => stateLost.add(1, { topic: ref.topic, missing: String(missing) }),
  });
  const pipeline = new IngestPipeline({
    cfg: cfg.ingest,
    windows,
    costs,
    // a rebuild after lost Redis state re-reads messages dead-lettered before the loss: not again
    deadLetter: (all, traceContext) => {
      const rejections = all.filter((r) => !guard.isRebuilt(r, BigInt(r.message.offset)));
      return rejections.length === 0 ? Promise.resolve() : retry(() => dlq.publish(rejections, traceContext), { retries: 10, maxDelayMs: 2_000 });
    },
    withRetry: (fn) =>
      retry(fn, {
        retries: 30,
        maxDelayMs: 2_000,
        bail: isPermanentRedisError,
        onRetry: (err, attempt) => log.warn({ err: errorMessage(err), attempt }, 'redis call failed; retrying'),
      }),
  });

  // the batch on the partition's state as Redis holds it, or where to read from first if Redis lost it
  const applyChecked = async (batch: Batch, run: () => Promise<BatchOutcome>): Promise<BatchOutcome | Reposition> => {
    const ref = { topic: batch.topic, partition: batch.partition };
    let verdict = await guard.check(ref);
    if (verdict?.seekTo === undefined) {
      if (verdict) pipeline.prime(ref, verdict.applied);
      try {
        const out = await run();
        await guard.applied(ref, BigInt(out.lastOffset), out.earliestEventMs);
        return out;
      } catch (err) {
        if (!(err instanceof StateLostError)) throw err;
        verdict = await guard.stateLost(ref, err.expected, err.stored);
      }
    }
    pipeline.prime(ref, verdict.applied);
    loop?.forgetHistories(); // Redis lost state: the scoring reads its windows afresh
    return { seekTo: verdict.seekTo!.toString() };
  };

  const handle = async (batch: Batch): Promise<void | Reposition> => {
    const t0 = performance.now();
    const { topic, partition } = batch;
    const input = decoders.get(topic)!;
    const span = startBatchSpan(telemetry.tracer, batch, cfg.processorGroup);
    try {
      const out = await applyChecked(batch, () =>
        pipeline.handle({ topic, partition }, batch.messages, input.decode, input.billing, trace.setSpan(context.active(), span)),
      );
      if ('seekTo' in out) return out;
      processed.add(out.applied, { topic });
      skipped.add(out.skipped, { topic }); // also 0: the series exists from the first batch (rate() and dashboards see "none", not "absent")
      // Redis says offsets beyond the partition's end were applied: its state belongs to an
      // earlier incarnation of the topic (recreated, or another Kafka cluster) and every event
      // would be skipped as a duplicate. Said once per partition, loudly.
      const highWatermark = BigInt(batch.messages[batch.messages.length - 1].offset) + 1n + batch.lag;
      if (out.appliedBeyond !== undefined && out.appliedBeyond >= highWatermark && !warnedBeyond.has(`${topic}:${partition}`)) {
        warnedBeyond.add(`${topic}:${partition}`);
        log.error(
          { topic, partition, appliedOffset: String(out.appliedBeyond), highWatermark: String(highWatermark) },
          "Redis records offsets beyond this partition's end as applied, so every event is skipped: the topic was recreated or Redis holds another cluster's state; use a fresh FORESIGHT_REDIS_KEY_PREFIX (or remove its keys)",
        );
      }
      roundTrips.record(out.redisRoundTrips, { topic });
      lagGauge.record(Number(batch.lag), { topic, partition: String(partition) });
      let scoring: LoopOutcome | undefined;
      // a rebuild's steps were scored before Redis lost them
      if (loop && out.due.length > 0 && !guard.isRebuilt(batch, BigInt(out.lastOffset))) {
        // inside the batch's span: what the loop publishes carries the producer's trace, else this batch span's
        // (a collector that sends no trace context still gets a Trace-Id on each recommendation and commit)
        const res = await context.with(trace.setSpan(context.active(), span), () =>
          loop!.score({ topic, partition }, out.due, traceparentOf(batch.messages[0].headers) ?? traceHeaders().traceparent),
        );
        scored.add(res.scored);
        const byType = { HPA: 0, RESOURCES: 0, IDLE: 0, SPOT: 0, BUDGET: 0 };
        const debug = log.isLevelEnabled('debug');
        for (const r of res.recommendations) {
          byType[r.type]++;
          // what the proposals would do to the bill (the cost model's monthly delta), or that it is unknown
          if (r.costUnknown !== null) costsUnknown.add(1, { type: r.type });
          else if (r.monthlyCostDelta < 0) proposedSavings.add(-r.monthlyCostDelta, { namespace: r.namespace, currency: r.currency });
          else if (r.monthlyCostDelta > 0) proposedIncreases.add(r.monthlyCostDelta, { namespace: r.namespace, currency: r.currency });
          if (debug)
            log.debug(
              { id: r.id, workload: `${r.namespace}/${r.kind}/${r.name}`, changes: r.changes, critical: r.critical, rules: r.rules },
              'recommendation published',
            );
        }
        for (const [type, n] of Object.entries(byType)) recommendations.add(n, { type });
        alerts.add(res.alerts.length);
        scoring = res;
        // one line per scored batch at info (a burst publishes thousands: one line each cost CPU the burst needs); each recommendation at debug
        if (res.recommendations.length > 0)
          log.info(
            { topic, partition, due: out.due.length, scored: res.scored, recommendations: res.recommendations.length, byType, alerts: res.alerts.length },
            'recommendations published',
          );
        else log.debug({ topic, partition, due: out.due.length, scored: res.scored, recommendations: 0, alerts: res.alerts.length }, 'series scored');
      }
      observer?.({
        applied: out.applied,
        redisRoundTrips: out.redisRoundTrips,
        ms: performance.now() - t0,
        messages: batch.messages.length,
        timings: out.timings,
        scoring,
      });
      span.setAttributes({
        [S.ATTR_FORESIGHT_APPLIED]: out.applied,
        [S.ATTR_FORESIGHT_REJECTED]: out.rejected.length,
        [S.ATTR_FORESIGHT_SKIPPED]: out.skipped,
      });
      log.debug({ topic, partition, applied: out.applied, rejected: out.rejected.length, skipped: out.skipped, lastOffset: out.lastOffset }, 'batch applied');
    } catch (err) {
      span.recordException({ name: (err as Error).name, message: scrub(errorMessage(err)) }); // exported spans never carry a secret an error echoed
      batchFailures.add(1, { topic, code: err instanceof ForesightError ? err.code : 'UNKNOWN' });
      span.setStatus({ code: SpanStatusCode.ERROR, message: scrub(errorMessage(err)) });
      throw err;
    } finally {
      span.end();
      batchMs.record(performance.now() - t0, { topic });
    }
  };

  // scoring and recommendations for the series whose 5-minute step closed
  let loop: RecommendationLoop | undefined;
  let policyStore: PolicyStore | undefined;
  const recommendations = meter.createCounter('foresight_recommendations', { description: 'Recommendations published' });
  const alerts = meter.createCounter('foresight_alerts', { description: 'Anomaly alerts published' });
  const scored = meter.createCounter('foresight_series_scored', { description: 'Series forecast and scored' });
  // online forecast quality per workload (outcomes/quality.ts) and the outcomes of changes
  const recordQuality = qualityGauges(meter); // per workload and model version, read when the metrics are collected (outcomes/quality-gauges.ts)
  const recordBudget = budgetGauges(meter); // per budget scope, once per closed hour (money/budget-gauges.ts)
  const outcomesCounter = meter.createCounter('foresight_outcomes', { description: 'Change outcomes published, per verdict' });
  const proposedSavings = meter.createCounter('foresight_proposed_monthly_savings', {
    description: 'Monthly cost decrease of the recommendations published (cost model, billing prices), per namespace and currency',
  });
  const proposedIncreases = meter.createCounter('foresight_proposed_monthly_increase', {
    description: 'Monthly cost increase of the recommendations published, per namespace and currency',
  });
  const costsUnknown = meter.createCounter('foresight_recommendations_cost_unknown', {
    description: 'Recommendations published whose cost is unknown (a price or the requests missing), per type',
  });
  // zero from the start, so the dashboards and rate() see "none", not "absent"
  proposedSavings.add(0);
  proposedIncreases.add(0);
  for (const type of ['HPA', 'RESOURCES', 'IDLE', 'SPOT', 'BUDGET']) costsUnknown.add(0, { type });
  for (const verdict of ['saved', 'neutral', 'regressed', 'insufficient-data']) outcomesCounter.add(0, { verdict });
  if (cfg.recommend.enabled) {
    const forecaster = await Forecaster.load(undefined, cfg.recommend.providers, log);
    log.info({ forecaster: forecaster.info.version, anomaly: ANOMALY_VERSION, provider: forecaster.provider }, 'models loaded');
    if (cfg.recommend.policyRepo) {
      policyStore = new PolicyStore(
        cfg.recommend.policyRepo,
        cfg.recommend.policyPath,
        {
          onLoaded: (head, files) => log.info({ head, files }, 'policies loaded'),
          onRejected: (head, err) =>
            log.error(
              { head, err: err.message },
              'policy file rejected: its last valid version stays in force, or it is left out; the other files stay in force',
            ),
        },
        cfg.recommend.mappingFile,
        cfg.recommend.pull,
      );
      await policyStore.refresh();
    }
    const fallback = new PolicySet([]);
    loop = new RecommendationLoop({
      windows,
      costs,
      forecaster,
      policies: () => policyStore?.policies ?? fallback,
      manifests: () => policyStore?.manifests,
      events: () => policyStore?.knownEvents ?? [],
      partitionsOf: (topic) => partitionsOf.get(topic) ?? 1,
      producer: ctx.producer,
      codec,
      topics: cfg.topics,
      redis,
      prefix: cfg.redis.keyPrefix,
      log,
      allowedLatenessMs: cfg.ingest.allowedLatenessMs,
      outcomes: cfg.outcomes,
      onQuality: recordQuality,
      onBudget: recordBudget,
      onWithheld: budgetWithheldCounter(meter),
      onOutcome: (o) => {
        outcomesCounter.add(1, { verdict: o.verdict });
        log.info(
          { recommendationId: o.recommendationId, workload: `${o.namespace}/${o.kind}/${o.name}`, verdict: o.verdict, explanation: o.explanation },
          'change outcome published',
        );
      },
    });
  }
  const warnedBeyond = new Set<string>();
  // the policy checkout is checked for a new HEAD every FORESIGHT_POLICY_REFRESH_MS (10 s; git-sync, a pull or a person moves it)
  const policyTimer = policyStore
    ? setInterval(() => {
        const was = policyStore!.loadedHead;
        policyStore!
          .refresh()
          .then(() => {
            if (policyStore!.loadedHead !== was) log.info({ head: policyStore!.loadedHead }, 'policy checkout moved');
          })
          .catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'checking the policy repository failed'));
      }, cfg.recommend.policyRefreshMs)
    : undefined;
  policyTimer?.unref();

  const runner = new BatchRunner(
    ctx.kafka,
    {
      groupId: cfg.processorGroup,
      topics: [...decoders.keys()],
      sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
      partitionsConcurrently: cfg.ingest.partitionsConcurrently,
      lingerMs: cfg.ingest.fetchLingerMs > 0 ? cfg.ingest.fetchLingerMs : undefined,
      maxBytesPerPartition: cfg.ingest.fetchMaxBytes,
      maxMessagesPerCall: cfg.ingest.batchMaxEvents,
      pipelined: true, // decode and apply one batch while kafkajs fetches the next
      onJoin: () => {
        pipeline.reset(); // partitions may have moved; re-read their state from Redis
        guard.reset(); // and check it again against the group's committed offsets
        loop?.forgetHistories(); // and the scoring's windows
        ctx.health.setReady(true);
      },
      // each assigned partition's state is checked at once (a restart after a loss may bring nothing new to fetch)
      prepare: async (ref) => {
        const verdict = await guard.check(ref);
        if (verdict) pipeline.prime(ref, verdict.applied);
        if (verdict?.seekTo === undefined) return undefined;
        loop?.forgetHistories(); // Redis lost state: the scoring reads its windows afresh
        return { seekTo: verdict.seekTo.toString() };
      },
    },
    handle,
    log,
  );
  await runner.start();

  return {
    async stop() {
      clearInterval(policyTimer);
      await runner.stop();
      dlq.close();
      await guard.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
