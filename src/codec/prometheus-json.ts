/**
 * The Prometheus-to-Kafka adapter's JSON samples (telefonica/prometheus-kafka-adapter, JSON
 * serialization): {"timestamp":"2026-11-27T10:00:00Z","value":"0.25","name":"cpu_usage",
 * "labels":{"__name__":"cpu_usage","namespace":"shop","deployment":"checkout",...}}.
 * The value is a string (Prometheus renders NaN and ±Inf as text).
 *
 * Workload identity from the labels: namespace ← `namespace`; kind and name ← the first of
 * `deployment`, `statefulset`, `daemonset`, `job`, `cronjob` present (as kube-state-metrics
 * and most relabelling conventions name them), else `workload` + `workload_kind`; container ←
 * `container`; cluster ← `cluster` (default "default"). Unit ← `unit` label, else "1".
 */
import { RejectedMessage } from '../util/errors.js';
import type { MetricSample } from './generated-types.js';

const KIND_LABELS: [string, string][] = [
  ['deployment', 'Deployment'], ['statefulset', 'StatefulSet'], ['daemonset', 'DaemonSet'], ['job', 'Job'], ['cronjob', 'CronJob'],
];

interface AdapterSample {
  timestamp?: unknown;
  value?: unknown;
  name?: unknown;
  labels?: unknown;
}

export function decodePrometheusJson(value: Buffer | null): MetricSample[] {
  let doc: AdapterSample;
  try {
    doc = JSON.parse((value ?? Buffer.alloc(0)).toString('utf8')) as AdapterSample;
  } catch (err) {
    throw new RejectedMessage('undecodable', `not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new RejectedMessage('undecodable', 'expected a JSON object');
  if (typeof doc.name !== 'string' || doc.name === '') throw new RejectedMessage('invalid-field', 'field "name" missing or not a string');
  if (typeof doc.timestamp !== 'string') throw new RejectedMessage('invalid-field', 'field "timestamp" missing or not an RFC 3339 string');
  const eventTime = Date.parse(doc.timestamp);
  if (Number.isNaN(eventTime)) throw new RejectedMessage('invalid-field', `field "timestamp" ${JSON.stringify(doc.timestamp)} is not an RFC 3339 time`);
  if (typeof doc.value !== 'string' && typeof doc.value !== 'number') throw new RejectedMessage('invalid-field', 'field "value" missing');
  const v = Number(doc.value);
  const labels = (typeof doc.labels === 'object' && doc.labels !== null ? doc.labels : {}) as Record<string, string>;
  const namespace = labels.namespace;
  if (!namespace) throw new RejectedMessage('invalid-field', 'label "namespace" missing: cannot attribute the sample to a workload');
  let kind: string | undefined;
  let name: string | undefined;
  for (const [label, k] of KIND_LABELS) {
    if (labels[label]) {
      kind = k;
      name = labels[label];
      break;
    }
  }
  if (!name && labels.workload) {
    name = labels.workload;
    kind = labels.workload_kind ?? 'Deployment';
  }
  if (!kind || !name) throw new RejectedMessage('invalid-field', 'no workload label (deployment, statefulset, daemonset, job, cronjob or workload)');
  const attributes: Record<string, string> = {};
  for (const [k, val] of Object.entries(labels)) {
    if (!['__name__', 'namespace', 'container', 'cluster', 'unit', 'workload', 'workload_kind', ...KIND_LABELS.map((x) => x[0])].includes(k)) attributes[k] = String(val);
  }
  return [{
    cluster: labels.cluster ?? 'default',
    namespace,
    kind,
    name,
    container: labels.container ?? null,
    metric: doc.name,
    unit: labels.unit ?? '1',
    value: v,
    eventTime,
    attributes,
  }];
}
