/**
 * The dead-letter publisher: every rejected message goes to deadletter.v1 with its reason
 * code and where it came from, and is counted. The original key, value and headers are kept
 * byte for byte, unless the dead letter would exceed FORESIGHT_DEADLETTER_MAX_BYTES: then a
 * prefix is kept with the original lengths and SHA-256 (deadletter-fit.ts), and the record's
 * `foresight-truncated` header says so. Publishing waits for the broker's acknowledgement
 * before the source offset may advance; one produce request carries at most
 * FORESIGHT_DEADLETTER_MAX_BYTES of dead letters (Kafka's max.message.bytes bounds a whole
 * record batch, not one record).
 *
 * The counter is exact; the log is a digest (telemetry/log-digest.ts): the first dead letter
 * of a reason is logged at once, then one line per reason per 10 s with the count and the
 * latest example.
 */
import { context, type Context, type Counter } from '@opentelemetry/api';
import type { KafkaMessage, Message, Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import { LogDigest } from '../telemetry/log-digest.js';
import { scrub, type Logger } from '../telemetry/log.js';
import { traceHeaders } from '../telemetry/propagation.js';
import { fitDeadLetter, RECORD_OVERHEAD_BYTES } from './deadletter-fit.js';

/** What FORESIGHT_DEADLETTER_MAX_BYTES defaults to. */
export const DEFAULT_DEADLETTER_MAX_BYTES = 262_144;

export interface Rejection {
  topic: string;
  partition: number;
  message: KafkaMessage;
  reason: string;
  detail: string;
}

export class DeadLetterPublisher {
  private readonly digest: LogDigest;

  constructor(
    private readonly producer: Producer,
    private readonly codec: AvroCodec,
    private readonly topic: string,
    private readonly service: string,
    private readonly counter: Counter,
    log: Logger,
    private readonly maxBytes = DEFAULT_DEADLETTER_MAX_BYTES,
  ) {
    this.digest = new LogDigest(log, 'message dead-lettered', 'messages dead-lettered (count in the interval, one example)');
  }

  /** `ctx` is the trace context of the batch that rejected the messages; it goes into the dead letters' headers. */
  async publish(rejections: Rejection[], ctx: Context = context.active()): Promise<void> {
    if (rejections.length === 0) return;
    const messages = rejections.map((r): Message => {
      const { record, body } = fitDeadLetter(
        {
          reason: r.reason,
          detail: scrub(r.detail), // an error text may echo a credential (a remote's reply): never into Kafka
          service: this.service,
          sourceTopic: r.topic,
          sourcePartition: r.partition,
          sourceOffset: Number(r.message.offset),
          sourceTimestamp: r.message.timestamp ? Number(r.message.timestamp) : null,
          key: r.message.key ?? null,
          value: r.message.value ?? null,
          headers: flattenHeaders(r.message.headers),
          rejectedAt: Date.now(),
          truncation: null,
        },
        this.maxBytes,
      );
      return {
        key: `${r.topic}/${r.partition}/${r.message.offset}`,
        value: this.codec.frame('DeadLetter', body),
        headers: { ...traceHeaders(ctx), 'foresight-reason': r.reason, ...(record.truncation ? { 'foresight-truncated': 'true' } : {}) },
      };
    });
    for (const chunk of chunks(messages, this.maxBytes)) await this.producer.send({ topic: this.topic, acks: -1, messages: chunk });
    for (const r of rejections) {
      this.counter.add(1, { reason: r.reason, topic: r.topic });
      this.digest.add(r.reason, { reason: r.reason, topic: r.topic, partition: r.partition, offset: r.message.offset, detail: r.detail.slice(0, 300) });
    }
  }

  /** Writes the dead-letter counts not yet logged (on stop). */
  close(): void {
    this.digest.flush();
  }
}

/** A record's size in a batch: value, key, headers, and 64 bytes for its length varints and attributes. */
function recordSize(m: Message): number {
  let n = (m.value as Buffer).length + Buffer.byteLength(m.key as string) + 64;
  for (const [k, v] of Object.entries(m.headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(String(v)) + 10;
  return n;
}

/**
 * Under Kafka's default max.message.bytes (1 MiB, the broker's and each topic's): one produce
 * request's record batch per partition must stay below it, or the whole request fails.
 */
export const PRODUCE_CHUNK_BYTES = 900_000;

/** Consecutive runs of messages whose record sizes add up to at most `maxBytes` less a batch header. */
export function chunks(messages: Message[], maxBytes: number): Message[][] {
  const out: Message[][] = [];
  let current: Message[] = [];
  let size = RECORD_OVERHEAD_BYTES;
  for (const m of messages) {
    const n = recordSize(m);
    if (current.length > 0 && size + n > maxBytes) {
      out.push(current);
      current = [];
      size = RECORD_OVERHEAD_BYTES;
    }
    current.push(m);
    size += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function flattenHeaders(headers: KafkaMessage['headers']): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined) out[k] = Buffer.isBuffer(last) ? last : Buffer.from(String(last));
  }
  return out;
}
