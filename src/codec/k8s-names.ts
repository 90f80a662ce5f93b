/**
 * Kubernetes name rules, as the API server validates them
 * (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain,
 * IsValidLabelValue), for the fields that make a series' identity. A name that Kubernetes
 * would refuse cannot belong to a real workload, and none of these rules admits "/", so the
 * "/"-joined series id (metric-sample.ts) is unambiguous.
 *
 * Each check returns why the value is invalid, or undefined when it is valid.
 */

/** RFC 1123 label: namespaces (and container names in Kubernetes itself). */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;
/** RFC 1123 subdomain: names of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, ReplicaSets. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_SUBDOMAIN_MAX = 253;
/** Label value (non-empty here): container and cluster names as metrics carry them. */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
export const LABEL_VALUE_MAX = 63;
/** A Kind: CamelCase letters and digits (Deployment, StatefulSet, ...). */
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
export const KIND_MAX = 63;
/**
 * A metric name: Prometheus's [a-zA-Z_:][a-zA-Z0-9_:]* or an OpenTelemetry instrument name
 * ([a-zA-Z][a-zA-Z0-9_.\-/]*, at most 255). The metric is the last field of a series id, so
 * its "/" is unambiguous.
 */
const METRIC = /^[A-Za-z_:][A-Za-z0-9_.:/-]*$/;
export const METRIC_MAX = 255;

/** A value shown in an error: JSON-quoted, at most 80 characters of it. */
function shown(v: string): string {
  return v.length > 80 ? `${JSON.stringify(v.slice(0, 80))}… (${v.length} characters)` : JSON.stringify(v);
}

function check(v: unknown, re: RegExp, max: number, rule: string): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is missing or empty';
  if (v.length > max) return `${shown(v)} is longer than ${max} characters (${rule})`;
  if (!re.test(v)) return `${shown(v)} is not valid (${rule})`;
  return undefined;
}

const NAMESPACE_RULE = `a Kubernetes namespace is an RFC 1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most ${DNS1123_LABEL_MAX}`;
const WORKLOAD_RULE = `a Kubernetes object name is an RFC 1123 subdomain: lowercase letters, digits, "-" and ".", at most ${DNS1123_SUBDOMAIN_MAX}`;
const LABEL_VALUE_RULE = `a label value: letters, digits, "-", "_" and ".", starting and ending with a letter or digit, at most ${LABEL_VALUE_MAX}`;
const KIND_RULE = `a Kubernetes kind: letters and digits, such as Deployment, at most ${KIND_MAX}`;
const METRIC_RULE = `a Prometheus or OpenTelemetry metric name: letters, digits, "_", ":", ".", "-" and "/", at most ${METRIC_MAX}`;

export function namespaceProblem(v: unknown): string | undefined {
  return check(v, DNS1123_LABEL, DNS1123_LABEL_MAX, NAMESPACE_RULE);
}

export function workloadNameProblem(v: unknown): string | undefined {
  return check(v, DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MAX, WORKLOAD_RULE);
}

/** Container and cluster names: Kubernetes label-value rules. */
export function labelValueProblem(v: unknown): string | undefined {
  return check(v, LABEL_VALUE, LABEL_VALUE_MAX, LABEL_VALUE_RULE);
}

export function kindProblem(v: unknown): string | undefined {
  return check(v, KIND, KIND_MAX, KIND_RULE);
}

export function metricNameProblem(v: unknown): string | undefined {
  return check(v, METRIC, METRIC_MAX, METRIC_RULE);
}
