/**
 * The alert bridge: consumes alerts.v1 in its own consumer group and posts each alert to
 * Alertmanager's v2 API.
 *
 *   decode → map to an Alertmanager alert (labels, annotations) → one POST per batch →
 *   commit the batch's offset.
 *
 * Delivery is at least once: the offset is committed only after Alertmanager accepted the
 * batch; while Alertmanager is unreachable or answers 5xx the batch is retried with backoff
 * and nothing after it is committed. De-duplication is by alert id: the id is a label, so a
 * redelivered alert has the same fingerprint in Alertmanager and updates the alert it already
 * has. What can never be posted (undecodable, or refused with 4xx) is dead-lettered with the
 * reason, alone: when a batch is refused, each alert is posted on its own so that one bad
 * alert does not hold back the others.
 */
import { context, trace } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { AnomalyAlert } from '../codec/generated-types.js';
import type { AlertBridgeConfig } from '../config/config.js';
import { BatchRunner, type Batch } from '../kafka/batch-runner.js';
import { DeadLetterPublisher, type Rejection } from '../kafka/deadletter.js';
import type { RunningService, ServiceContext } from '../service-runtime/runtime.js';
import { startBatchSpan } from '../telemetry/consumer-span.js';
import { traceHeaders } from '../telemetry/propagation.js';
import { errorMessage, RejectedMessage } from '../util/errors.js';
import { retry } from '../util/retry.js';
import { anomalyToAlertmanager, postAlerts, type PostableAlert } from './alertmanager.js';

interface Decoded {
  message: KafkaMessage;
  alert: PostableAlert;
}

export async function startAlertBridge(ctx: ServiceContext, bcfg: AlertBridgeConfig): Promise<RunningService> {
  const { cfg, log, telemetry, codec } = ctx;
  const posted = telemetry.meter.createCounter('foresight_alerts_posted', { description: 'Alerts accepted by Alertmanager, per severity' });
  const postErrors = telemetry.meter.createCounter('foresight_alertmanager_errors', { description: 'Failed posts to Alertmanager (retried)' });
  const deadLetters = telemetry.meter.createCounter('foresight_deadletters', { description: 'Messages sent to the dead-letter topic, per reason' });
  const dlq = new DeadLetterPublisher(ctx.producer, codec, cfg.topics.deadletter, 'alert-bridge', deadLetters, log, cfg.deadLetterMaxBytes);
  const mapOpts = { resolveAfterMs: bcfg.resolveAfterMs, linkBase: bcfg.linkBase };

  const handle = async (batch: Batch): Promise<void> => {
    const span = startBatchSpan(telemetry.tracer, batch, bcfg.group);
    const spanCtx = trace.setSpan(context.active(), span);
    try {
      const rejections: Rejection[] = [];
      const reject = (m: KafkaMessage, err: RejectedMessage): void => {
        rejections.push({ topic: batch.topic, partition: batch.partition, message: m, reason: err.reason, detail: err.message });
      };
      const decoded: Decoded[] = [];
      for (const m of batch.messages) {
        try {
          const a = await codec.decode<AnomalyAlert>(m.value, 'AnomalyAlert');
          decoded.push({ message: m, alert: anomalyToAlertmanager(a, mapOpts) });
        } catch (err) {
          if (!(err instanceof RejectedMessage)) throw err;
          reject(m, err);
        }
      }
      const post = (alerts: PostableAlert[]): Promise<void> =>
        retry(() => postAlerts(bcfg.alertmanagerUrl, alerts, traceHeaders(spanCtx)), {
          retries: 6,
          maxDelayMs: 5_000,
          onRetry: (err, attempt) => {
            postErrors.add(1);
            log.warn({ err: errorMessage(err), attempt }, 'posting to Alertmanager failed; retrying');
          },
        });
      const refused = new Set<Decoded>();
      try {
        await post(decoded.map((d) => d.alert));
      } catch (err) {
        if (!(err instanceof RejectedMessage)) throw err; // unreachable after retries: the batch is fetched again
        for (const d of decoded) {
          try {
            await post([d.alert]);
          } catch (one) {
            if (!(one instanceof RejectedMessage)) throw one;
            refused.add(d);
            reject(d.message, one);
          }
        }
      }
      const accepted = decoded.filter((d) => !refused.has(d));
      for (const d of accepted) posted.add(1, { severity: d.alert.labels.severity });
      if (accepted.length > 0)
        log.info({ partition: batch.partition, alerts: accepted.length, ids: accepted.map((d) => d.alert.labels.alert_id) }, 'alerts posted to Alertmanager');
      await retry(() => dlq.publish(rejections, spanCtx), { retries: 10, maxDelayMs: 2_000 });
    } finally {
      span.end();
    }
  };

  const runner = new BatchRunner(
    ctx.kafka,
    {
      groupId: bcfg.group,
      topics: [cfg.topics.alerts],
      sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
      onJoin: () => ctx.health.setReady(true),
    },
    handle,
    log,
  );
  await runner.start();
  log.info({ alertmanager: bcfg.alertmanagerUrl, group: bcfg.group }, 'alert bridge consuming');
  return {
    async stop() {
      await runner.stop();
      dlq.close();
    },
  };
}
