/**
 * The dead-letter publisher: every rejected message goes to deadletter.v1 whole (key, value,
 * headers byte for byte) with its reason code and where it came from, and is counted.
 * Publishing waits for the broker's acknowledgement before the source offset may advance.
 */
import { context, type Context, type Counter } from '@opentelemetry/api';
import type { KafkaMessage, Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { DeadLetter } from '../codec/generated-types.js';
import type { Logger } from '../telemetry/log.js';
import { traceHeaders } from '../telemetry/propagation.js';

export interface Rejection {
  topic: string;
  partition: number;
  message: KafkaMessage;
  reason: string;
  detail: string;
}

export class DeadLetterPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly codec: AvroCodec,
    private readonly topic: string,
    private readonly service: string,
    private readonly counter: Counter,
    private readonly log: Logger,
  ) {}

  /** `ctx` is the trace context of the batch that rejected the messages; it goes into the dead letters' headers. */
  async publish(rejections: Rejection[], ctx: Context = context.active()): Promise<void> {
    if (rejections.length === 0) return;
    const messages = rejections.map((r) => {
      const record: DeadLetter = {
        reason: r.reason,
        detail: r.detail,
        service: this.service,
        sourceTopic: r.topic,
        sourcePartition: r.partition,
        sourceOffset: Number(r.message.offset),
        sourceTimestamp: r.message.timestamp ? Number(r.message.timestamp) : null,
        key: r.message.key ?? null,
        value: r.message.value ?? null,
        headers: flattenHeaders(r.message.headers),
        rejectedAt: Date.now(),
      };
      return {
        key: `${r.topic}/${r.partition}/${r.message.offset}`,
        value: this.codec.encode('DeadLetter', record),
        headers: { ...traceHeaders(ctx), 'foresight-reason': r.reason },
      };
    });
    await this.producer.send({ topic: this.topic, acks: -1, messages });
    for (const r of rejections) {
      this.counter.add(1, { reason: r.reason, topic: r.topic });
      this.log.warn({ reason: r.reason, topic: r.topic, partition: r.partition, offset: r.message.offset, detail: r.detail }, 'message dead-lettered');
    }
  }
}

function flattenHeaders(headers: KafkaMessage['headers']): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined) out[k] = Buffer.isBuffer(last) ? last : Buffer.from(String(last));
  }
  return out;
}
