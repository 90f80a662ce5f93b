/**
 * Producing a CSV trace to metrics.v1 as one workload's metric: Avro MetricSample in the
 * Confluent wire format, keyed by series id, with a W3C traceparent header per event (the
 * start of the trace that follows the event through the pipeline).
 *
 * Event times: by default the trace is shifted so that its last row is "now" (windows and
 * the processor's clock-skew check then see live-looking data); `keepTime` keeps the file's
 * own times. `speed` paces the replay at that multiple of real time; without it, as fast as
 * Kafka takes it.
 */
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { MetricSample } from '../codec/generated-types.js';
import { identityProblem, seriesIdOf } from '../codec/metric-sample.js';
import { traceHeaders } from '../telemetry/propagation.js';
import * as S from '../telemetry/semconv.js';
import { ForesightError } from '../util/errors.js';
import { sleep } from '../util/retry.js';
import type { TraceRow } from './csv-trace.js';

export interface Workload {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  container: string | null;
}

/** Parses ns/kind/name[/container]. */
export function parseWorkload(spec: string, cluster: string): Workload {
  const parts = spec.split('/');
  if (parts.length < 3 || parts.length > 4 || parts.some((p) => p.trim() === '')) {
    throw new ForesightError(
      'INPUT_INVALID',
      `--workload ${JSON.stringify(spec)}: expected namespace/kind/name[/container], for example shop/Deployment/checkout/app`,
    );
  }
  const workload = { cluster, namespace: parts[0], kind: parts[1], name: parts[2], container: parts[3] ?? null };
  // the processor would dead-letter every event of a name Kubernetes refuses: say so now
  const problem = identityProblem({ ...workload, metric: 'm' });
  if (problem) throw new ForesightError('INPUT_INVALID', `--workload ${JSON.stringify(spec)} / --cluster ${JSON.stringify(cluster)}: ${problem}`);
  return workload;
}

export interface ReplayOptions {
  topic: string;
  workload: Workload;
  metric: string;
  unit: string;
  keepTime: boolean;
  /** when shifting: put the last row at now (history, the default) or the first row at now (a live run) */
  anchor?: 'end' | 'start';
  speed?: number;
  batchSize?: number;
  now?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ReplayResult {
  produced: number;
  firstEventTime: number;
  lastEventTime: number;
  seriesId: string;
  firstTraceparent: string | undefined;
}

export async function replayRows(rows: TraceRow[], producer: Producer, codec: AvroCodec, opts: ReplayOptions): Promise<ReplayResult> {
  if (rows.length === 0) throw new ForesightError('INPUT_INVALID', 'the trace has no rows to replay');
  const anchorRow = opts.anchor === 'start' ? rows[0] : rows[rows.length - 1];
  const shift = opts.keepTime ? 0 : (opts.now ?? Date.now()) - anchorRow.timeMs;
  const tracer = trace.getTracer('foresight');
  const seriesId = seriesIdOf({ ...opts.workload, metric: opts.metric });
  // paced: one row at a time, each sent when its time comes; otherwise as fast as the broker takes them
  const batchSize = opts.batchSize ?? (opts.speed ? 1 : 500);
  let firstTraceparent: string | undefined;
  const wallStart = Date.now();
  for (let i = 0; i < rows.length; i += batchSize) {
    const chunk = rows.slice(i, i + batchSize);
    if (opts.speed) {
      const due = wallStart + (chunk[0].timeMs - rows[0].timeMs) / opts.speed;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const messages = chunk.map((row) => {
      const sample: MetricSample = {
        ...opts.workload,
        metric: opts.metric,
        unit: opts.unit,
        value: row.value,
        eventTime: Math.round(row.timeMs + shift),
        attributes: { source: 'replay' },
      };
      const span = tracer.startSpan(`send ${opts.topic}`, {
        kind: SpanKind.PRODUCER,
        attributes: {
          [S.ATTR_MESSAGING_SYSTEM]: S.MESSAGING_SYSTEM_KAFKA,
          [S.ATTR_MESSAGING_DESTINATION_NAME]: opts.topic,
          [S.ATTR_MESSAGING_KAFKA_MESSAGE_KEY]: seriesId,
        },
      });
      const headers = traceHeaders(trace.setSpan(context.active(), span));
      span.end();
      firstTraceparent ??= headers.traceparent;
      return { key: seriesId, value: codec.encode('MetricSample', sample), headers };
    });
    await producer.send({ topic: opts.topic, acks: -1, messages });
    opts.onProgress?.(Math.min(i + batchSize, rows.length), rows.length);
  }
  return { produced: rows.length, firstEventTime: rows[0].timeMs + shift, lastEventTime: rows[rows.length - 1].timeMs + shift, seriesId, firstTraceparent };
}
