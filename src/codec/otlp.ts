/**
 * OTLP metrics as the OpenTelemetry Collector's Kafka exporter writes them: `otlp_proto`
 * (an ExportMetricsServiceRequest in protobuf) and `otlp_json` (the same message in OTLP/JSON).
 * Parsing uses the protobufjs code generated from the official opentelemetry-proto
 * definitions, as shipped in @opentelemetry/otlp-transformer 0.57 (the `otlp-proto`
 * dependency), not a hand-written parser.
 *
 * On the wire (kafkaexporter v0.165, checked by test/integration/otel-collector.test.ts): one
 * record per exported batch with no key, or with `partition_metrics_by_resource_attributes`
 * one record per resource keyed by a 16-byte hash of its attributes; no headers unless
 * `include_metadata_keys`, `record_headers` or `signal_header` add some. Only the value is read.
 *
 * Mapping to samples:
 * - Gauge and Sum data points: one sample each (asDouble or asInt). Cumulative sums are kept
 *   as their values; turn counters into rates in the Collector (cumulativetodelta +
 *   deltatorate) when rates are wanted.
 * - Histogram data points: `<name>` = sum / count (the mean over the interval), and
 *   `<name>.max` when the point carries max.
 * - Event time: timeUnixNano, in ms.
 * - Workload identity from resource attributes, overridden by data point attributes:
 *   cluster ← k8s.cluster.name ("default" when absent), namespace ← k8s.namespace.name,
 *   kind/name ← k8s.deployment.name | k8s.statefulset.name | k8s.daemonset.name |
 *   k8s.job.name | k8s.cronjob.name | k8s.replicaset.name, else the owner of k8s.pod.name
 *   (pod-owner.ts; the Collector's prometheus receiver scraping vLLM, Triton or the DCGM
 *   exporter, with k8sattributes, gives the pod), container ← k8s.container.name.
 *   Other attributes go to the sample's attributes.
 */
import { createRequire } from 'node:module';
import { RejectedMessage } from '../util/errors.js';
import type { MetricSample } from './generated-types.js';
import { checkMessageSize, parseJsonMessage } from './limits.js';
import { ownerOfPod } from './pod-owner.js';

interface ProtoType {
  decode(buf: Uint8Array): unknown;
  fromObject(obj: unknown): unknown;
  verify(obj: unknown): string | null;
}

const require = createRequire(import.meta.url);
const root = require('otlp-proto/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { metrics: { v1: { ExportMetricsServiceRequest: ProtoType } } } } };
};
const ExportMetricsServiceRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

type LongLike = number | string | { toNumber(): number } | null | undefined;
interface AnyValue {
  stringValue?: string | null;
  intValue?: LongLike;
  doubleValue?: number | null;
  boolValue?: boolean | null;
}
interface KeyValue {
  key: string;
  value?: AnyValue | null;
}
interface NumberPoint {
  attributes?: KeyValue[];
  timeUnixNano?: LongLike;
  asDouble?: number | null;
  asInt?: LongLike;
}
interface HistogramPoint {
  attributes?: KeyValue[];
  timeUnixNano?: LongLike;
  count?: LongLike;
  sum?: number | null;
  max?: number | null;
}
interface Metric {
  name: string;
  unit?: string;
  gauge?: { dataPoints?: NumberPoint[] } | null;
  sum?: { dataPoints?: NumberPoint[] } | null;
  histogram?: { dataPoints?: HistogramPoint[] } | null;
}
interface Request {
  resourceMetrics?: { resource?: { attributes?: KeyValue[] } | null; scopeMetrics?: { metrics?: Metric[] }[] }[];
}

const WORKLOAD_ATTRS: [string, string][] = [
  ['k8s.deployment.name', 'Deployment'],
  ['k8s.statefulset.name', 'StatefulSet'],
  ['k8s.daemonset.name', 'DaemonSet'],
  ['k8s.job.name', 'Job'],
  ['k8s.cronjob.name', 'CronJob'],
  ['k8s.replicaset.name', 'ReplicaSet'],
];
const IDENTITY_ATTRS = new Set(['k8s.cluster.name', 'k8s.namespace.name', 'k8s.container.name', 'k8s.pod.name', ...WORKLOAD_ATTRS.map((w) => w[0])]);

function num(v: LongLike): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}

/** Nanoseconds since the epoch → whole milliseconds, exactly: today's nanoseconds are past 2^53, where a double is off by up to 256 ns (a millisecond early once divided). */
function millisOf(v: LongLike): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return Math.floor(v / 1e6);
  const digits = typeof v === 'string' ? v : String(v);
  return /^\d{1,20}$/.test(digits) ? Number(BigInt(digits) / 1_000_000n) : NaN;
}

function attrValue(v: AnyValue | null | undefined): string | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.intValue !== undefined && v.intValue !== null) return String(num(v.intValue));
  if (v.doubleValue !== undefined && v.doubleValue !== null) return String(v.doubleValue);
  if (v.boolValue !== undefined && v.boolValue !== null) return String(v.boolValue);
  return undefined;
}

function attrs(list: KeyValue[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const v = attrValue(kv.value);
    if (v !== undefined) out[kv.key] = v;
  }
  return out;
}

function workloadOf(metric: string, a: Record<string, string>): { kind: string; name: string } {
  const workload = WORKLOAD_ATTRS.find(([k]) => a[k]);
  if (workload) return { kind: workload[1], name: a[workload[0]] };
  const pod = a['k8s.pod.name'];
  const owner = pod ? ownerOfPod(pod) : undefined;
  if (owner) return owner;
  const why = pod ? `k8s.pod.name ${JSON.stringify(pod.slice(0, 100))} is not named like a Deployment's or StatefulSet's pod, and ` : '';
  throw new RejectedMessage('invalid-field', `metric ${metric}: ${why}no workload attribute (${WORKLOAD_ATTRS.map((w) => w[0]).join(', ')}, k8s.pod.name)`);
}

export function samplesFromRequest(req: Request): MetricSample[] {
  const out: MetricSample[] = [];
  for (const rm of req.resourceMetrics ?? []) {
    const resource = attrs(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const emit = (name: string, value: number, point: { attributes?: KeyValue[]; timeUnixNano?: LongLike }): void => {
          const a = { ...resource, ...attrs(point.attributes) };
          if (!a['k8s.namespace.name']) throw new RejectedMessage('invalid-field', `metric ${name}: attribute k8s.namespace.name missing`);
          const owner = workloadOf(name, a);
          const timeMs = millisOf(point.timeUnixNano);
          if (!Number.isFinite(timeMs) || timeMs <= 0) throw new RejectedMessage('invalid-field', `metric ${name}: timeUnixNano missing`);
          out.push({
            cluster: a['k8s.cluster.name'] ?? 'default',
            namespace: a['k8s.namespace.name'],
            kind: owner.kind,
            name: owner.name,
            container: a['k8s.container.name'] ?? null,
            metric: name,
            unit: m.unit || '1',
            value,
            eventTime: timeMs,
            attributes: Object.fromEntries(Object.entries(a).filter(([k]) => !IDENTITY_ATTRS.has(k))),
          });
        };
        for (const p of [...(m.gauge?.dataPoints ?? []), ...(m.sum?.dataPoints ?? [])]) {
          const v = p.asDouble !== undefined && p.asDouble !== null ? p.asDouble : num(p.asInt);
          emit(m.name, v, p);
        }
        for (const p of m.histogram?.dataPoints ?? []) {
          const count = num(p.count);
          if (count > 0 && p.sum !== undefined && p.sum !== null) emit(m.name, p.sum / count, p);
          if (p.max !== undefined && p.max !== null) emit(`${m.name}.max`, p.max, p);
        }
      }
    }
  }
  if (out.length === 0) throw new RejectedMessage('invalid-field', 'the OTLP request holds no gauge, sum or histogram data points');
  return out;
}

export function decodeOtlpProto(value: Buffer | null): MetricSample[] {
  checkMessageSize(value);
  let req: Request;
  try {
    // protobufjs recurses into nested messages (an AnyValue's arrayValue), so a deep enough
    // nesting overflows the stack: caught here like any other malformed input
    req = ExportMetricsServiceRequest.decode(value ?? Buffer.alloc(0)) as Request;
  } catch (err) {
    throw new RejectedMessage('undecodable', `not an OTLP ExportMetricsServiceRequest: ${(err as Error).message.slice(0, 200)}`);
  }
  return samplesFromRequest(req);
}

export function decodeOtlpJson(value: Buffer | null): MetricSample[] {
  const obj = parseJsonMessage(value); // depth-bounded: fromObject and verify recurse
  let req: Request;
  try {
    // verify() is strict about int64 strings, which OTLP/JSON uses; fromObject accepts them.
    req = ExportMetricsServiceRequest.fromObject(obj) as Request;
  } catch (err) {
    const problem = ExportMetricsServiceRequest.verify(obj);
    throw new RejectedMessage('undecodable', `not OTLP/JSON metrics: ${(problem ?? (err as Error).message).slice(0, 200)}`);
  }
  return samplesFromRequest(req);
}

/** Encodes a request object (OTLP/JSON shape) as protobuf: for tests and the benchmark. */
export function encodeOtlpProto(obj: unknown): Buffer {
  const msg = ExportMetricsServiceRequest.fromObject(obj);
  const T = ExportMetricsServiceRequest as unknown as { encode(m: unknown): { finish(): Uint8Array } };
  return Buffer.from(T.encode(msg).finish());
}
