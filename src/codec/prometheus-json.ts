/**
 * The Prometheus-to-Kafka adapter's JSON samples (telefonica/prometheus-kafka-adapter, JSON
 * serialization): {"timestamp":"2026-11-27T10:00:00Z","value":"0.25","name":"cpu_usage",
 * "labels":{"__name__":"cpu_usage","namespace":"shop","deployment":"checkout",...}}.
 * The value is a string (Prometheus renders NaN and ±Inf as text).
 *
 * Workload identity from the labels: namespace ← `namespace`; kind and name ← the first of
 * `deployment`, `statefulset`, `daemonset`, `job`, `cronjob` present (as kube-state-metrics
 * and most relabelling conventions name them), else `workload` + `workload_kind`, else the
 * owner of the `pod` (pod-owner.ts: how GPU and model-server exporters label series);
 * container ← `container`; cluster ← `cluster` (default "default"). Unit ← `unit` label, else "1".
 *
 * `exported_namespace`, `exported_pod` and `exported_container` win over the plain labels:
 * Prometheus renames an exporter's own `namespace`/`pod`/`container` to `exported_*` when the
 * scrape's target labels (the DCGM exporter's own pod) collide with them and honor_labels is
 * false (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config),
 * so the exported ones name the workload that uses the GPU.
 */
import { RejectedMessage } from '../util/errors.js';
import { parseIsoTime } from '../util/iso-time.js';
import type { MetricSample } from './generated-types.js';
import { parseJsonMessage } from './limits.js';
import { ownerOfPod } from './pod-owner.js';

const KIND_LABELS: [string, string][] = [
  ['deployment', 'Deployment'],
  ['statefulset', 'StatefulSet'],
  ['daemonset', 'DaemonSet'],
  ['job', 'Job'],
  ['cronjob', 'CronJob'],
];

const IDENTITY_LABELS = new Set([
  '__name__',
  'namespace',
  'container',
  'pod',
  'exported_namespace',
  'exported_container',
  'exported_pod',
  'cluster',
  'unit',
  'workload',
  'workload_kind',
  ...KIND_LABELS.map((x) => x[0]),
]);

interface AdapterSample {
  timestamp?: unknown;
  value?: unknown;
  name?: unknown;
  labels?: unknown;
}

export function decodePrometheusJson(value: Buffer | null): MetricSample[] {
  const doc = parseJsonMessage(value) as AdapterSample;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RejectedMessage('undecodable', 'expected a JSON object');
  if (typeof doc.name !== 'string' || doc.name === '') throw new RejectedMessage('invalid-field', 'field "name" missing or not a string');
  if (typeof doc.timestamp !== 'string') throw new RejectedMessage('invalid-field', 'field "timestamp" missing or not an RFC 3339 string');
  const eventTime = parseIsoTime(doc.timestamp);
  if (typeof eventTime !== 'number') throw new RejectedMessage('invalid-field', `field "timestamp" ${JSON.stringify(doc.timestamp)} is ${eventTime.problem}`);
  if (typeof doc.value !== 'string' && typeof doc.value !== 'number') throw new RejectedMessage('invalid-field', 'field "value" missing');
  const labels = (typeof doc.labels === 'object' && doc.labels !== null ? doc.labels : {}) as Record<string, unknown>;
  // Prometheus label values are strings; anything else (an array, an object) is not a sample
  for (const [k, val] of Object.entries(labels)) {
    if (typeof val !== 'string')
      throw new RejectedMessage(
        'invalid-field',
        `label ${JSON.stringify(k.slice(0, 100))} is ${Array.isArray(val) ? 'an array' : typeof val}; label values are strings`,
      );
  }
  return [sampleOf(doc.name, eventTime, Number(doc.value), labels as Record<string, string>)];
}

function sampleOf(metric: string, eventTime: number, v: number, labels: Record<string, string>): MetricSample {
  const namespace = labels.exported_namespace || labels.namespace;
  const pod = labels.exported_pod || labels.pod;
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
  if (!name && pod) {
    const owner = ownerOfPod(pod);
    if (!owner)
      throw new RejectedMessage(
        'invalid-field',
        `pod ${JSON.stringify(pod.slice(0, 100))} is not named like a Deployment's or StatefulSet's pod; add a workload label (deployment, statefulset, daemonset, job, cronjob or workload)`,
      );
    ({ kind, name } = owner);
  }
  if (!kind || !name) throw new RejectedMessage('invalid-field', 'no workload label (deployment, statefulset, daemonset, job, cronjob, workload or pod)');
  const attributes: Record<string, string> = {};
  for (const [k, val] of Object.entries(labels)) {
    if (!IDENTITY_LABELS.has(k)) attributes[k] = val;
  }
  if (pod) attributes.pod = pod; // the workload's pod (exported_pod when the scrape renamed it)
  return {
    cluster: labels.cluster ?? 'default',
    namespace,
    kind,
    name,
    container: labels.exported_container || labels.container || null,
    metric,
    unit: labels.unit ?? '1',
    value: v,
    eventTime,
    attributes,
  };
}
