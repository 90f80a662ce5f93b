/**
 * The shapes of the parts of a Kubernetes object Foresight reads and edits, checked once when
 * the repository is indexed, so that a document of another shape (`containers` written as a
 * mapping rather than a list, `resources: 500m`) is reported as "file:line: unsupported
 * manifest shape …" (the committer's dead letter, the scoring path's "no workload") instead
 * of failing later, deep in a lookup, with a TypeError. The shapes are those of the API
 * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodSpec,
 * autoscaling/v2 HorizontalPodAutoscalerSpec, KEDA's ScaledObject spec). Absent or null parts
 * are fine: a patch holds only what it changes, and a null deletes.
 */
import { isMap, isScalar, type Document } from 'yaml';

type Shape = 'mapping' | 'list' | 'value';

/** Dotted paths; `*` stands for every item of a list or every value of a mapping. */
type Rules = readonly (readonly [string, Shape])[];

const POD_TEMPLATE: Rules = [
  ['spec', 'mapping'],
  ['spec.replicas', 'value'],
  ['spec.template', 'mapping'],
  ['spec.template.spec', 'mapping'],
  ['spec.template.spec.nodeSelector', 'mapping'],
  ['spec.template.spec.nodeSelector.*', 'value'],
  ['spec.template.spec.containers', 'list'],
  ['spec.template.spec.containers.*', 'mapping'],
  ['spec.template.spec.containers.*.name', 'value'],
  ['spec.template.spec.containers.*.resources', 'mapping'],
  ['spec.template.spec.containers.*.resources.requests', 'mapping'],
  ['spec.template.spec.containers.*.resources.requests.*', 'value'],
  ['spec.template.spec.containers.*.resources.limits', 'mapping'],
  ['spec.template.spec.containers.*.resources.limits.*', 'value'],
];

const RULES: Record<string, Rules> = {
  Deployment: POD_TEMPLATE,
  StatefulSet: POD_TEMPLATE,
  DaemonSet: POD_TEMPLATE,
  ReplicaSet: POD_TEMPLATE,
  HorizontalPodAutoscaler: [
    ['spec', 'mapping'],
    ['spec.scaleTargetRef', 'mapping'],
    ['spec.minReplicas', 'value'],
    ['spec.maxReplicas', 'value'],
    ['spec.metrics', 'list'],
    ['spec.metrics.*', 'mapping'],
    ['spec.metrics.*.resource', 'mapping'],
    ['spec.metrics.*.resource.target', 'mapping'],
    ['spec.metrics.*.resource.target.averageUtilization', 'value'],
    ['spec.metrics.*.containerResource', 'mapping'],
    ['spec.metrics.*.containerResource.target', 'mapping'],
    ['spec.metrics.*.containerResource.target.averageUtilization', 'value'],
  ],
  ScaledObject: [
    ['spec', 'mapping'],
    ['spec.scaleTargetRef', 'mapping'],
    ['spec.minReplicaCount', 'value'],
    ['spec.maxReplicaCount', 'value'],
    ['spec.triggers', 'list'],
    ['spec.triggers.*', 'mapping'],
    ['spec.triggers.*.metadata', 'mapping'],
    ['spec.triggers.*.metadata.threshold', 'value'],
  ],
};

export interface ShapeProblem {
  /** the concrete path, e.g. ['spec', 'template', 'spec', 'containers'] */
  path: (string | number)[];
  message: string;
}

const shapeOf = (v: unknown): Shape => (Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : 'value');
const A: Record<Shape, string> = { mapping: 'a mapping', list: 'a list', value: 'a single value' };

/** "spec.template.spec.containers[0].resources" */
export function pathLabel(path: readonly (string | number)[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** The first part of `value` (one object document as plain data) whose shape is not the one the rules expect, in rule order. */
function firstProblem(value: unknown, rules: Rules): ShapeProblem | undefined {
  for (const [pattern, expected] of rules) {
    for (const { path, v } of expand(value, pattern.split('.'))) {
      if (v === undefined || v === null) continue;
      const found = shapeOf(v);
      if (found !== expected) return { path, message: `${pathLabel(path)} is ${A[found]} where Kubernetes expects ${A[expected]}${hint(pattern, found)}` };
    }
  }
  return undefined;
}

function hint(pattern: string, found: Shape): string {
  if (pattern === 'spec.template.spec.containers' && found === 'mapping') return ' (one "- name: …" entry per container)';
  return '';
}

/** Every concrete path the pattern names in `value`, with what is there; a path through a part of another shape stops (that part is reported by its own rule). */
function expand(value: unknown, segments: string[], prefix: (string | number)[] = []): { path: (string | number)[]; v: unknown }[] {
  if (segments.length === 0) return [{ path: prefix, v: value }];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = segments;
  if (head === '*') {
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    return entries.flatMap(([k, v]) => expand(v, rest, [...prefix, k]));
  }
  // a number segment is a list index (Helm values paths such as containers.0.resources)
  if (Array.isArray(value)) return /^\d+$/.test(head) ? expand(value[Number(head)], rest, [...prefix, Number(head)]) : [];
  return expand((value as Record<string, unknown>)[head], rest, [...prefix, head]);
}

/**
 * "unsupported manifest shape: …" with its 1-based line in the file, for a document of a kind
 * Foresight edits; undefined when its shape is fine or the kind is none of those.
 */
export function manifestShapeError(kind: string, value: Record<string, unknown>, doc: Document.Parsed, lineOf: (pos: number) => number): string | undefined {
  const rules = RULES[kind];
  const problem = rules && firstProblem(value, rules);
  if (!problem) return undefined;
  return `${lineAt(doc, problem.path, lineOf)}: unsupported manifest shape: ${kind} ${problem.message}`;
}

/**
 * The shape of one Helm values path (the mapping's `helm.fields`): every part above it a
 * mapping (a list where the next segment is an index: `containers.0.resources.requests.cpu`)
 * and the value itself a single value. Returns the problem's line and message.
 */
export function helmValueShapeError(
  values: Record<string, unknown>,
  dottedPath: string,
  doc: Document.Parsed,
  lineOf: (pos: number) => number,
): string | undefined {
  const segments = dottedPath.split('.');
  const above = (i: number): Shape => (/^\d+$/.test(segments[i + 1]) ? 'list' : 'mapping');
  const rules: [string, Shape][] = segments.map((_, i) => [segments.slice(0, i + 1).join('.'), i === segments.length - 1 ? 'value' : above(i)]);
  const problem = firstProblem(values, rules);
  return (
    problem &&
    `${lineAt(doc, problem.path, lineOf)}: unsupported values shape: ${problem.message.replace('where Kubernetes expects', 'where Foresight expects')}`
  );
}

/** The line of the key (or list item) at `path`, else of its nearest ancestor in the document, 1-based. */
function lineAt(doc: Document.Parsed, path: (string | number)[], lineOf: (pos: number) => number): number {
  for (let n = path.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    if (typeof last === 'string' && isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lineOf(range[0]);
    }
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lineOf(node.range[0]);
  }
  return 1;
}
