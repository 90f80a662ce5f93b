/**
 * Anomaly alerts of the recommendation loop: a scored point at or above the policy's threshold
 * becomes an AnomalyAlert on alerts.v1 (with the recent window's summary and the trace context
 * in its header), de-duplicated per series over the policy's suppression interval in event time.
 */
import type { Redis } from '../windows/redis-client.js';
import type { Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { AnomalyAlert } from '../codec/generated-types.js';
import { traceHeaders } from '../telemetry/propagation.js';
import { recommendationId } from '../codec/recommendation-id.js';
import { type SeriesIdentity, workloadFields } from '../codec/series-id.js';
import { alertSuppressionKey } from '../windows/redis-keys.js';

/** The alert's window summary: the last 4 hours of 5-minute steps. */
const SUMMARY_STEPS = 48;

export interface AnomalyAlertDeps {
  redis: Redis;
  prefix: string;
  producer: Producer;
  codec: AvroCodec;
  /** the alerts topic */
  topic: string;
  modelVersion: () => string;
}

export class AnomalyAlerts {
  constructor(private readonly d: AnomalyAlertDeps) {}

  /** Does a score reach the policy's threshold (an alert unless the series is within its suppression interval)? */
  static reaches(score: number, cfg: { threshold: number }): boolean {
    return score >= cfg.threshold;
  }

  /** An alert when the score reaches the policy's threshold and the series is not within its suppression interval (event time). */
  async maybeAlert(
    id: SeriesIdentity,
    seriesId: string,
    stepEndMs: number,
    history: ArrayLike<number>,
    score: number,
    cfg: { threshold: number; suppressMinutes: number },
    traceparent: string | undefined,
  ): Promise<AnomalyAlert | undefined> {
    if (!AnomalyAlerts.reaches(score, cfg)) return undefined;
    const key = alertSuppressionKey(this.d.prefix, seriesId);
    // suppression in event time: the key holds the event time until which the series stays quiet
    const until = await this.d.redis.get(key);
    if (until !== null && Number(until) > stepEndMs) return undefined;
    await this.d.redis.set(key, String(stepEndMs + cfg.suppressMinutes * 60_000), 'PX', Math.max(1, cfg.suppressMinutes * 60_000 * 2));
    const recent = Array.from(history).slice(-SUMMARY_STEPS);
    const sorted = [...recent].sort((a, b) => a - b);
    const alert: AnomalyAlert = {
      id: recommendationId({ workload: seriesId, type: 'ALERT', changes: [], forecast: { at: stepEndMs }, modelVersion: this.d.modelVersion() }),
      severity: score >= (1 + cfg.threshold) / 2 ? 'CRITICAL' : 'WARNING',
      ...workloadFields(id, id.container),
      metric: id.metric,
      eventTime: stepEndMs - 300_000,
      value: recent[recent.length - 1],
      score,
      threshold: cfg.threshold,
      window: {
        start: stepEndMs - SUMMARY_STEPS * 300_000,
        end: stepEndMs,
        count: recent.length,
        mean: recent.reduce((a, b) => a + b, 0) / recent.length,
        min: sorted[0],
        max: sorted[sorted.length - 1],
        p95: sorted[Math.floor(0.95 * (sorted.length - 1))],
      },
      modelVersion: this.d.modelVersion(),
      traceparent: traceparent ?? null,
      budget: null,
    };
    await this.d.producer.send({
      topic: this.d.topic,
      acks: -1,
      messages: [{ key: `${id.workload}`, value: this.d.codec.encode('AnomalyAlert', alert), headers: traceHeaders() }],
    });
    return alert;
  }
}
