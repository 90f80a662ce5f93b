/**
 * The git-committer's consumer: reads recommendations.v1 in its own consumer group, decodes
 * and checks each recommendation, dead-letters what it cannot use, and hands the rest to the
 * apply step. At this stage the apply step logs the recommendation it would turn into a
 * manifest change; the GitOps backends (local Git, GitHub) plug in here.
 */
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { Recommendation } from '../codec/generated-types.js';
import { BatchRunner, type Batch } from '../kafka/batch-runner.js';
import { DeadLetterPublisher, type Rejection } from '../kafka/deadletter.js';
import { batchLinks } from '../telemetry/propagation.js';
import * as S from '../telemetry/semconv.js';
import { RejectedMessage } from '../util/errors.js';
import { retry } from '../util/retry.js';
import type { RunningService, ServiceContext } from '../service/runtime.js';

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/; // Kubernetes object names (RFC 1123 subdomain)

export function checkRecommendation(r: Recommendation): void {
  for (const f of ['namespace', 'name'] as const) {
    if (!NAME.test(r[f])) throw new RejectedMessage('invalid-field', `${f} ${JSON.stringify(r[f])} is not a valid Kubernetes name`);
  }
  if (r.changes.length === 0) throw new RejectedMessage('invalid-field', 'recommendation has no changes');
}

export async function startCommitter(ctx: ServiceContext): Promise<RunningService> {
  const { cfg, log, telemetry, codec } = ctx;
  const received = telemetry.meter.createCounter('foresight_recommendations_received', { description: 'Recommendations consumed by the committer' });
  const deadLetters = telemetry.meter.createCounter('foresight_deadletters', { description: 'Messages sent to the dead-letter topic, per reason' });
  const dlq = new DeadLetterPublisher(ctx.producer, codec, cfg.topics.deadletter, 'committer', deadLetters, log);

  const handle = async (batch: Batch): Promise<void> => {
    const span = telemetry.tracer.startSpan(`process ${batch.topic}`, {
      kind: SpanKind.CONSUMER,
      links: batchLinks(batch.messages.map((m) => m.headers)),
      attributes: {
        [S.ATTR_MESSAGING_SYSTEM]: S.MESSAGING_SYSTEM_KAFKA,
        [S.ATTR_MESSAGING_DESTINATION_NAME]: batch.topic,
        [S.ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(batch.partition),
        [S.ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: batch.messages.length,
        [S.ATTR_MESSAGING_CONSUMER_GROUP_NAME]: cfg.committerGroup,
      },
    });
    try {
      const rejections: Rejection[] = [];
      for (const m of batch.messages) {
        try {
          const rec = await codec.decode<Recommendation>(m.value, 'Recommendation');
          checkRecommendation(rec);
          received.add(1, { type: rec.type });
          log.info({ id: rec.id, type: rec.type, workload: `${rec.namespace}/${rec.kind}/${rec.name}`, critical: rec.critical, changes: rec.changes }, 'recommendation received');
        } catch (err) {
          if (!(err instanceof RejectedMessage)) throw err;
          rejections.push({ topic: batch.topic, partition: batch.partition, message: m, reason: err.reason, detail: err.message });
        }
      }
      await retry(() => dlq.publish(rejections, trace.setSpan(context.active(), span)), { retries: 10, maxDelayMs: 2_000 });
    } finally {
      span.end();
    }
  };

  const runner = new BatchRunner(ctx.kafka, {
    groupId: cfg.committerGroup,
    topics: [cfg.topics.recommendations],
    sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
    heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
    onJoin: () => ctx.health.setReady(true),
  }, handle, log);
  await runner.start();
  return { stop: () => runner.stop() };
}
