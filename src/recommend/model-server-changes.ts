/**
 * What the capacity model of a model server (policy/model-server-capacity.ts) changes in the
 * manifests, and what that costs, pure:
 *
 * - replicas: the autoscaler's floor, so the forecast peak is served when it arrives: a KEDA
 *   ScaledObject's minReplicaCount (its maxReplicaCount raised when the floor passes it, its
 *   trigger threshold set to the queue-depth SLO), else the HPA's minReplicas, else
 *   spec.replicas. Priced as Δreplicas × one replica's requests (GPUs included) at the GPU
 *   pool's unit prices.
 * - the GPU of a replica: a MIG slice (`nvidia.com/mig-<profile>` requested and `nvidia.com/gpu`
 *   proposed at 0, which the committer removes from the manifest; in requests and limits alike as
 *   the API server requires of extended resources),
 *   or time-slicing (the nodeSelector `nvidia.com/gpu.sharing-strategy: time-slicing`, the label
 *   NVIDIA's GPU feature discovery puts on nodes whose GPUs the device plugin shares). Priced
 *   as the GPU-hours given back: replicas × GPUs per replica × (share − 1) × the GPU-hour price.
 *   A MIG slice is priced by its compute share (slices ÷ 7), as clouds price fractional GPUs.
 */
import type { FieldChange } from '../codec/generated-types.js';
import type { GpuSizing, ReplicaPlan, ResolvedModelServer } from '../policy/model-server-capacity.js';
import { changeCost, replicasCostDelta, type CostEstimate, type PodResources } from '../money/cost-model.js';
import type { PoolPrices } from '../windows/billing.js';
import { containerRequest, type ResolvedWorkload } from '../manifests/manifests.js';
import { GPU_RESOURCE } from '../money/workload-facts.js';

/** The autoscaling values in force, from the manifests (manifests.ts currentValue); null where absent. */
export interface ScalingInForce {
  kedaMin: number | null;
  kedaMax: number | null;
  kedaThreshold: string | null;
  hpaMin: number | null;
  replicas: number | null;
}

export interface ProposedChange {
  changes: FieldChange[];
  cost: CostEstimate;
  reasons: string[];
}

export const TIME_SLICING_LABEL = 'nvidia.com/gpu.sharing-strategy';

/** The replica change of a plan, against what is in force; undefined when nothing would change. */
export function replicaChange(
  plan: ReplicaPlan,
  now: ScalingInForce,
  server: Pick<ResolvedModelServer, 'queueDepthSlo'>,
  perReplica: PodResources | undefined,
  prices: PoolPrices,
): ProposedChange | undefined {
  const changes: FieldChange[] = [];
  const push = (field: string, current: number | string | null, proposed: number | string): void => {
    if (current === null || String(current) !== String(proposed))
      changes.push({ field, current: current === null ? null : String(current), proposed: String(proposed) });
  };
  let from: number;
  if (now.kedaMin !== null) {
    from = now.kedaMin;
    push('keda.minReplicaCount', now.kedaMin, plan.replicas);
    if (now.kedaMax !== null && now.kedaMax < plan.replicas) push('keda.maxReplicaCount', now.kedaMax, plan.replicas);
    if (now.kedaThreshold !== null && Number(now.kedaThreshold) !== server.queueDepthSlo) push('keda.threshold', now.kedaThreshold, server.queueDepthSlo);
  } else if (now.hpaMin !== null) {
    from = now.hpaMin;
    push('minReplicas', now.hpaMin, plan.replicas);
  } else {
    from = now.replicas ?? 1;
    push('replicas', now.replicas, plan.replicas);
  }
  if (changes.length === 0) return undefined;
  return { changes, cost: replicasCostDelta(perReplica, from, plan.replicas, prices), reasons: plan.reasons };
}

/**
 * The GPUs one replica holds: the container's `nvidia.com/gpu` request, else its limit (a GPU is
 * often given as a limit only, and the API server then sets the request to it; manifests.ts
 * containerRequest, as the cost model reads it), wherever the manifest is known (`resolved`); the
 * policy's `gpusPerReplica` only where Foresight has no manifest to read. Null when the manifest
 * gives the container no GPU.
 */
export function replicaGpus(resolved: ResolvedWorkload | undefined, container: string | null, policyGpus: number): number | null {
  if (resolved === undefined) return policyGpus;
  const held = containerRequest(resolved, GPU_RESOURCE, container);
  const n = held === null ? NaN : Number(held);
  return Number.isFinite(n) ? n : null;
}

/** What the manifest gives the container as `nvidia.com/gpu` request and limit (null: no such line), for the change's current values. */
export interface GpuLines {
  request: string | null;
  limit: string | null;
}

/**
 * The GPU change of a sizing for a replica on whole GPUs; undefined when it keeps them (a replica on more than one GPU cannot share one).
 * `lines`: the manifest's `nvidia.com/gpu` lines, the changes' current values (a GPU given as a limit only has no request line to
 * show as 1); without a manifest, both read as the replica's GPUs.
 */
export function gpuChange(sizing: GpuSizing, replicas: number, gpusPerReplica: number, prices: PoolPrices, lines?: GpuLines): ProposedChange | undefined {
  if (sizing.kind === 'whole-gpu' || gpusPerReplica !== 1) return undefined;
  const gpusBack: PodResources = { cpuCores: 0, memoryBytes: 0, gpus: replicas * gpusPerReplica * (sizing.gpuShare - 1) };
  const cost = changeCost(gpusBack, prices);
  if (sizing.kind === 'mig') {
    const mig = sizing.resource;
    return {
      // the slice first, then the whole GPU's 0 (the committer removes that key: manifests/plan.ts removesKey)
      changes: [
        { field: `requests.${mig}`, current: null, proposed: '1' },
        { field: `limits.${mig}`, current: null, proposed: '1' },
        { field: 'requests.nvidia.com/gpu', current: lines ? lines.request : String(gpusPerReplica), proposed: '0' },
        { field: 'limits.nvidia.com/gpu', current: lines ? lines.limit : String(gpusPerReplica), proposed: '0' },
      ],
      cost,
      reasons: [sizing.reason],
    };
  }
  return { changes: [{ field: `nodeSelector.${TIME_SLICING_LABEL}`, current: null, proposed: 'time-slicing' }], cost, reasons: [sizing.reason] };
}
