/**
 * What the manifest in force says about a workload's money, pure: the resources of one
 * replica, the node pool it runs on, and the team it belongs to.
 *
 * - Node pool: the value of the first of POOL_LABELS in the pod template's nodeSelector (the
 *   labels the managed node pools and Karpenter put on nodes), else the policy's
 *   `replicas.nodePool`. Billing rows name their pool with the `node-pool` tag (else
 *   `k8s.node.pool`, else the ResourceId; windows/billing.ts), so tag the rows of a node pool
 *   with the same name the nodeSelector uses.
 * - Team: the `foresight.dev/team` label, else `team`, on the workload's metadata, else on its
 *   pod template. Metric series carry no team (their ids are cluster/namespace/kind/name/
 *   container/metric), so the manifest is the one place it is read from.
 */
import { containerRequest, currentValue, get, hpaCpuMetric, requestOrLimit, type ResolvedWorkload } from '../manifests/manifests.js';
import { parseQuantity } from '../manifests/quantity.js';
import { COMPUTE_SLICES } from '../policy/mig-profiles.js';
import type { CpuHpa, PodResources } from './cost-model.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import type { PolicySet } from '../policy/policy-set.js';

export const POOL_LABELS = [
  'node-pool',
  'karpenter.sh/nodepool',
  'cloud.google.com/gke-nodepool',
  'eks.amazonaws.com/nodegroup',
  'kubernetes.azure.com/agentpool',
];
export const TEAM_LABELS = ['foresight.dev/team', 'team'];
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** nvidia.com/mig-<slices>g.<memory>gb (NVIDIA device plugin, "mixed" MIG strategy) */
const MIG_RESOURCE = /^nvidia\.com\/mig-([1-7])g\.\d+gb$/;

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** One container's request of a resource: the request, else the limit (the API server's default; manifests.ts requestOrLimit). */
function request(c: Obj, resource: string): number | undefined {
  const v = requestOrLimit(c.resources, resource);
  return v === null ? undefined : parseQuantity(v);
}

/**
 * The resources of one replica: the sum of every container's requests, per resource the limit
 * where no request is given, a Helm chart's mapped values alike (init containers run before,
 * not beside, the others and are left out; native sidecars count), a MIG slice counted as its share of a GPU
 * (slices ÷ 7). Undefined when the manifest is not known or gives no CPU, memory or GPU request
 * at all.
 */
export function podResources(w: ResolvedWorkload | undefined): PodResources | undefined {
  if (!w) return undefined;
  if (w.helm) {
    // per resource, the request the mapping names, else its limit
    const [cpu, mem, gpu] = ['cpu', 'memory', GPU_RESOURCE].map((r) => containerRequest(w, r, null));
    if (cpu === null && mem === null && gpu === null) return undefined;
    return { cpuCores: parseQuantity(cpu ?? '0') ?? 0, memoryBytes: parseQuantity(mem ?? '0') ?? 0, gpus: parseQuantity(gpu ?? '0') ?? 0 };
  }
  const containers = get(w.workload?.merged, ['spec', 'template', 'spec', 'containers']);
  if (!Array.isArray(containers)) return undefined;
  // native sidecars (init containers with restartPolicy: Always, Kubernetes 1.28+: istio-proxy and the like) run
  // beside the containers for the pod's life and the scheduler reserves their requests too; other init containers end
  const init = get(w.workload?.merged, ['spec', 'template', 'spec', 'initContainers']);
  const sidecars = (Array.isArray(init) ? init : []).map(asObj).filter((c) => c.restartPolicy === 'Always');
  const out: PodResources = { cpuCores: 0, memoryBytes: 0, gpus: 0 };
  let any = false;
  for (const c of [...containers.map(asObj), ...sidecars]) {
    for (const [key, resource] of [
      ['cpuCores', 'cpu'],
      ['memoryBytes', 'memory'],
      ['gpus', GPU_RESOURCE],
    ] as const) {
      const v = request(c, resource);
      if (v !== undefined) {
        out[key] += v;
        any = true;
      }
    }
    // MIG slices count as their compute share of a GPU (as model-server-changes.ts prices a slice)
    const res = asObj(c.resources);
    for (const r of new Set([...Object.keys(asObj(res.requests)), ...Object.keys(asObj(res.limits))])) {
      const m = MIG_RESOURCE.exec(r);
      const v = m ? request(c, r) : undefined;
      if (m && v !== undefined) {
        out.gpus += (v * Number(m[1])) / COMPUTE_SLICES;
        any = true;
      }
    }
  }
  return any ? out : undefined;
}

/**
 * The CPU request of each container of the pod template that runs for the pod's life (its containers and native
 * sidecars; a limit standing in for a missing request; undefined where neither is given): a CPU-utilisation HPA
 * judges the pod, the sum of their usage over the sum of these. A Helm chart's mapping names one container's: empty.
 */
export function containerCpuRequests(w: ResolvedWorkload): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  if (w.helm) return out;
  const spec = asObj(get(w.workload?.merged, ['spec', 'template', 'spec']));
  const init = Array.isArray(spec.initContainers) ? spec.initContainers.map(asObj).filter((c) => c.restartPolicy === 'Always') : [];
  for (const c of [...(Array.isArray(spec.containers) ? spec.containers.map(asObj) : []), ...init])
    if (typeof c.name === 'string') out.set(c.name, request(c, 'cpu'));
  return out;
}

/**
 * Node labels a pod template pins: its nodeSelector, and the required node affinity's `key In
 * [value]` expressions when there is one term (several terms are alternatives, ORed, so none is
 * pinned).
 */
function pinnedLabels(w: ResolvedWorkload | undefined): { selector: Record<string, string>; affinity: Record<string, string> } {
  const spec = asObj(get(w?.workload?.merged, ['spec', 'template', 'spec']));
  const selector: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObj(spec.nodeSelector))) if (typeof v === 'string' && v !== '') selector[k] = v;
  const affinity: Record<string, string> = {};
  const terms = get(spec, ['affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms']);
  if (Array.isArray(terms) && terms.length === 1) {
    const exprs = asObj(terms[0]).matchExpressions;
    for (const e of (Array.isArray(exprs) ? exprs : []).map(asObj)) {
      if (
        typeof e.key === 'string' &&
        e.operator === 'In' &&
        Array.isArray(e.values) &&
        e.values.length === 1 &&
        typeof e.values[0] === 'string' &&
        e.values[0] !== ''
      )
        affinity[e.key] = e.values[0];
    }
  }
  return { selector, affinity };
}

/**
 * Node selectors that put a pod on spot capacity, as the autoscalers and managed node pools label
 * their nodes: Karpenter (the default `spot.nodeSelector`), GKE Spot VMs, AKS spot node pools, EKS
 * managed node groups.
 */
export const SPOT_SELECTORS: Record<string, string>[] = [
  { 'karpenter.sh/capacity-type': 'spot' },
  { 'cloud.google.com/gke-spot': 'true' },
  { 'kubernetes.azure.com/scalesetpriority': 'spot' },
  { 'eks.amazonaws.com/capacityType': 'SPOT' },
];

/**
 * Whether the manifest in force puts the workload on spot capacity: its nodeSelector or required
 * node affinity pins every label of the policy's `spot.nodeSelector`, or of one of SPOT_SELECTORS.
 */
export function onSpot(w: ResolvedWorkload | undefined, spotSelector: Record<string, string>): boolean {
  const { selector, affinity } = pinnedLabels(w);
  const pinned = { ...affinity, ...selector };
  return [spotSelector, ...SPOT_SELECTORS].some((s) => Object.keys(s).length > 0 && Object.entries(s).every(([k, v]) => pinned[k] === v));
}

/**
 * The node pool of the workload: on spot capacity (onSpot), the policy's `spot.nodePool` (where a
 * SPOT move priced it); else the value of the first of POOL_LABELS in its nodeSelector, else in a
 * required node affinity that pins it to one value (`key In [pool]`, as Karpenter NodePools are
 * chosen), else the fallback (the policy's replicas.nodePool).
 */
export function nodePoolOf(w: ResolvedWorkload | undefined, fallback: string, spot?: { nodeSelector: Record<string, string>; nodePool: string }): string {
  if (spot && onSpot(w, spot.nodeSelector)) return spot.nodePool;
  const { selector, affinity } = pinnedLabels(w);
  for (const pins of [selector, affinity]) for (const k of POOL_LABELS) if (pins[k]) return pins[k];
  return fallback;
}

/** The workload's labels: its pod template's, overridden by its own metadata's (known future events match on them). */
export function labelsOf(w: ResolvedWorkload | undefined): Record<string, string> {
  const merged = w?.workload?.merged;
  const out: Record<string, string> = {};
  for (const labels of [get(merged, ['spec', 'template', 'metadata', 'labels']), get(merged, ['metadata', 'labels'])].map(asObj)) {
    for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/**
 * The policy in force for a workload: resolved with its team (teamOf), so team-scoped policy
 * files take effect. The processor (money.ts policyOf), the committer (policyOfRecommendation)
 * and the report (report-data.ts) resolve a workload's policy here.
 */
export function policyOfWorkload(policies: PolicySet, w: ResolvedWorkload | undefined, ref: { namespace: string; kind: string; name: string }): ResolvedPolicy {
  return policies.resolve({ namespace: ref.namespace, kind: ref.kind, name: ref.name, team: teamOf(w) });
}

/** The team label of the workload, when it has one. */
export function teamOf(w: ResolvedWorkload | undefined): string | undefined {
  const merged = w?.workload?.merged;
  for (const labels of [get(merged, ['metadata', 'labels']), get(merged, ['spec', 'template', 'metadata', 'labels'])].map(asObj)) {
    for (const k of TEAM_LABELS) if (typeof labels[k] === 'string' && labels[k] !== '') return labels[k] as string;
  }
  return undefined;
}

/**
 * The workload's HPA when it scales on CPU utilisation (targetCPUUtilization in the manifest or
 * the chart's mapped values), with its bounds (minReplicas defaults to 1, as in the API) and, for a
 * ContainerResource metric, the container it judges; `several` where it has more than one CPU
 * utilisation metric (it scales on the largest: no one target tells what a request does); not
 * under a KEDA ScaledObject, whose triggers are not read for this.
 */
export function cpuHpaOf(w: ResolvedWorkload | undefined): CpuHpa | undefined {
  if (!w || w.scaledObject || helmAutoscalingOff(w)) return undefined;
  const metric = w.hpa ? hpaCpuMetric(get(w.hpa.merged, ['spec', 'metrics'])) : undefined;
  const [min, max] = ['minReplicas', 'maxReplicas'].map((f) => Number(currentValue(w, f, null) ?? NaN));
  if (!Number.isFinite(max)) return undefined;
  const bounds = { minReplicas: Number.isFinite(min) ? min : 1, maxReplicas: max };
  if (metric && 'several' in metric) return { ...bounds, several: metric.several };
  const target = Number(currentValue(w, 'targetCPUUtilization', null) ?? NaN);
  if (!(target > 0)) return undefined;
  return { ...bounds, targetUtilization: target / 100, ...(metric?.container ? { container: metric.container } : {}) };
}

/**
 * A Helm chart whose values switch its HPA off: an `enabled` value false beside the mapped CPU target (the layout of
 * `helm create`'s scaffold, `autoscaling.enabled` beside `autoscaling.targetCPUUtilizationPercentage`).
 */
function helmAutoscalingOff(w: ResolvedWorkload): boolean {
  const target = w.helm?.fields.targetCPUUtilization;
  if (!target) return false;
  const enabled = get(w.helm!.value, [...target.split('.').slice(0, -1), 'enabled']);
  return enabled === false || enabled === 'false';
}

/**
 * Does an HPA or a KEDA ScaledObject scale the workload (its replicas follow demand)? A Helm chart's
 * when its mapping names a replica bound, a CPU target or a KEDA field (whether the chart's values
 * switch autoscaling on is not read: such a chart counts as autoscaled).
 */
export function autoscaled(w: ResolvedWorkload): boolean {
  if (w.helm) return Object.keys(w.helm.fields).some((f) => ['minReplicas', 'maxReplicas', 'targetCPUUtilization'].includes(f) || f.startsWith('keda.'));
  return w.scaledObject !== undefined || w.hpa !== undefined;
}

/**
 * Current replicas: a KEDA ScaledObject's minReplicaCount, else the HPA's minReplicas, else
 * spec.replicas, else 1. A floor of 0 (KEDA's scale to zero) says nothing of the replicas that run
 * while it is active: the next source is read instead, at least 1, so a cost is never a known 0.
 */
export function currentReplicas(w: ResolvedWorkload | undefined): number {
  if (!w) return 1;
  for (const field of ['keda.minReplicaCount', 'minReplicas', 'replicas']) {
    const v = currentValue(w, field, null);
    const n = v === null ? NaN : Number(v);
    if (Number.isFinite(n) && n > 0) return n;
  }
  return 1;
}
