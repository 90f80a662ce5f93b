/**
 * The processor: consumes metrics.v1 and billing.v1 and, per Kafka batch of one partition,
 * decodes → validates → dead-letters the rejects → applies the rest to Redis atomically with
 * the partition's applied offset (one script call) → lets the runner resolve the offset.
 *
 * At this stage the Redis effect is per-series totals (count, sum); the event-time windows
 * replace it in the ingest stage. Messages at or below the partition's applied offset are
 * skipped before decoding, so redelivery after a crash neither double-counts nor
 * dead-letters twice (except for a crash between the dead-letter send and the Redis apply,
 * where a dead letter may repeat: dead letters are at-least-once).
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { BillingRecord, MetricSample } from '../codec/generated-types.js';
import { billingSeriesIdOf, checkBilling, checkSample, seriesIdOf } from '../codec/metric-sample.js';
import { BatchRunner, type Batch } from '../kafka/batch-runner.js';
import { DeadLetterPublisher, type Rejection } from '../kafka/deadletter.js';
import { batchLinks } from '../telemetry/propagation.js';
import * as S from '../telemetry/semconv.js';
import { RejectedMessage, errorMessage } from '../util/errors.js';
import { retry } from '../util/retry.js';
import { createRedis } from '../windows/redis-client.js';
import type { TotalsEvent } from '../windows/scripts.js';
import { TotalsStore } from '../windows/totals-store.js';
import type { RunningService, ServiceContext } from '../service/runtime.js';

type Decoder = (msg: KafkaMessage) => Promise<{ seriesId: string; value: number }>;

export async function startProcessor(ctx: ServiceContext): Promise<RunningService> {
  const { cfg, log, telemetry, codec } = ctx;
  const redis = createRedis(cfg.redis, log);
  await retry(() => redis.connect(), { retries: 10, initialDelayMs: 200 });
  const store = new TotalsStore(redis, cfg.redis.keyPrefix);

  const meter = telemetry.meter;
  const processed = meter.createCounter('foresight_events_processed', { description: 'Events applied to Redis, per topic' });
  const skipped = meter.createCounter('foresight_events_duplicate_skipped', { description: 'Redelivered events skipped (offset already applied)' });
  const deadLetters = meter.createCounter('foresight_deadletters', { description: 'Messages sent to the dead-letter topic, per reason' });
  const batchMs = meter.createHistogram('foresight_batch_duration_ms', { description: 'Time to process one Kafka batch', unit: 'ms' });
  const lagGauge = meter.createGauge('foresight_consumer_lag', { description: 'Messages behind the high watermark, per partition' });
  const dlq = new DeadLetterPublisher(ctx.producer, codec, cfg.topics.deadletter, 'processor', deadLetters, log);

  const decoders: Record<string, Decoder> = {
    [cfg.topics.metrics]: async (m) => {
      const s = await codec.decode<MetricSample>(m.value, 'MetricSample');
      checkSample(s);
      return { seriesId: seriesIdOf(s), value: s.value };
    },
    [cfg.topics.billing]: async (m) => {
      const r = await codec.decode<BillingRecord>(m.value, 'BillingRecord');
      checkBilling(r);
      return { seriesId: billingSeriesIdOf(r), value: r.EffectiveCost };
    },
  };
  const appliedCache = new Map<string, bigint>();

  const handle = async (batch: Batch): Promise<void> => {
    const t0 = performance.now();
    const { topic, partition } = batch;
    const cacheKey = `${topic}:${partition}`;
    let applied = appliedCache.get(cacheKey);
    if (applied === undefined) applied = await retry(() => store.appliedOffset(topic, partition), { retries: 20, maxDelayMs: 2_000 });
    const decode = decoders[topic];
    const span = telemetry.tracer.startSpan(`process ${topic}`, {
      kind: SpanKind.CONSUMER,
      links: batchLinks(batch.messages.map((m) => m.headers)),
      attributes: {
        [S.ATTR_MESSAGING_SYSTEM]: S.MESSAGING_SYSTEM_KAFKA,
        [S.ATTR_MESSAGING_DESTINATION_NAME]: topic,
        [S.ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(partition),
        [S.ATTR_MESSAGING_OPERATION_TYPE]: 'process',
        [S.ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: batch.messages.length,
        [S.ATTR_MESSAGING_CONSUMER_GROUP_NAME]: cfg.processorGroup,
      },
    });
    try {
      const events: TotalsEvent[] = [];
      const rejections: Rejection[] = [];
      for (const m of batch.messages) {
        if (BigInt(m.offset) <= applied) continue; // applied before a crash or rebalance
        try {
          const { seriesId, value } = await decode(m);
          events.push({ offset: m.offset, seriesId, value });
        } catch (err) {
          if (!(err instanceof RejectedMessage)) throw err; // retriable (registry down): retry the batch
          rejections.push({ topic, partition, message: m, reason: err.reason, detail: err.message });
        }
      }
      const lastOffset = batch.messages[batch.messages.length - 1].offset;
      if (BigInt(lastOffset) <= applied) {
        skipped.add(batch.messages.length, { topic });
        return;
      }
      await retry(() => dlq.publish(rejections, trace.setSpan(context.active(), span)), { retries: 10, maxDelayMs: 2_000 });
      const result = await retry(() => store.apply(topic, partition, events, lastOffset), {
        retries: 30,
        maxDelayMs: 2_000,
        onRetry: (err, attempt) => log.warn({ err: errorMessage(err), attempt, topic, partition }, 'applying batch to redis failed; retrying'),
      });
      appliedCache.set(cacheKey, result.appliedOffset);
      processed.add(result.applied, { topic });
      if (result.skipped > 0) skipped.add(result.skipped, { topic });
      span.setAttributes({ [S.ATTR_FORESIGHT_APPLIED]: result.applied, [S.ATTR_FORESIGHT_REJECTED]: rejections.length, [S.ATTR_FORESIGHT_SKIPPED]: result.skipped });
      lagGauge.record(Number(batch.lag), { topic, partition: String(partition) });
      log.debug({ topic, partition, applied: result.applied, rejected: rejections.length, lastOffset }, 'batch applied');
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      throw err;
    } finally {
      span.end();
      batchMs.record(performance.now() - t0, { topic });
    }
  };

  const runner = new BatchRunner(ctx.kafka, {
    groupId: cfg.processorGroup,
    topics: [cfg.topics.metrics, cfg.topics.billing],
    sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
    heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
    onJoin: () => {
      appliedCache.clear(); // partitions may have moved; re-read applied offsets from Redis
      ctx.health.setReady(true);
    },
  }, handle, log);
  await runner.start();

  return {
    async stop() {
      await runner.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
