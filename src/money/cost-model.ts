/**
 * The cost model, pure: what a change does to a workload's monthly bill.
 *
 *   monthly cost = replicas × (Σ containers' requests) × unit prices of the node pool × 730 h
 *
 * - Per-replica resources are the requests of every container of the pod template as deployed
 *   (patches merged over bases): `cpu` (cores), `memory` (bytes) and `nvidia.com/gpu`. A
 *   resource with a limit and no request gets the limit as its request, as the API server
 *   defaults it (https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#requests-and-limits);
 *   GPUs are usually given as limits only.
 * - Unit prices (CPU core-hour, GiB-hour, GPU-hour) come from the FOCUS billing rows of the
 *   pool (windows/billing.ts: EffectiveCost / ConsumedQuantity per `node-pool` tag and unit).
 * - A price is needed only for a resource the change moves. When one is missing the cost is
 *   unknown and says why ("cost unknown: no billing rows for pool gpu-a100", "… pool p1 is
 *   billed in EUR and USD"); it is never 0.
 */
import type { PoolPrices, UnitKind } from '../windows/billing.js';

/** Hours in a month as cloud providers bill them (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/** Resources of one replica (pod), or a change of them. */
export interface PodResources {
  cpuCores: number;
  memoryBytes: number;
  gpus: number;
}

export const NO_RESOURCES: PodResources = { cpuCores: 0, memoryBytes: 0, gpus: 0 };

export type CostEstimate = { known: true; monthly: number; pool: string; currency?: string } | { known: false; reason: string; pool: string };

const GiB = 2 ** 30;
const UNITS: { key: keyof PodResources; price: 'cpuCoreHour' | 'memoryGibHour' | 'gpuHour'; unit: UnitKind; scale: number }[] = [
  { key: 'cpuCores', price: 'cpuCoreHour', unit: 'cpu-core-hour', scale: 1 },
  { key: 'memoryBytes', price: 'memoryGibHour', unit: 'memory-gib-hour', scale: 1 / GiB },
  { key: 'gpus', price: 'gpuHour', unit: 'gpu-hour', scale: 1 },
];

export const scaleResources = (r: PodResources, k: number): PodResources => ({ cpuCores: r.cpuCores * k, memoryBytes: r.memoryBytes * k, gpus: r.gpus * k });
export const subtractResources = (a: PodResources, b: PodResources): PodResources => ({
  cpuCores: a.cpuCores - b.cpuCores,
  memoryBytes: a.memoryBytes - b.memoryBytes,
  gpus: a.gpus - b.gpus,
});

/** Monthly cost of an amount of resources (a whole workload, or a change of it) at a pool's prices. */
export function monthlyCost(amount: PodResources, prices: PoolPrices): CostEstimate {
  const needed = UNITS.filter((u) => amount[u.key] !== 0);
  const missing = needed.filter((u) => prices[u.price] === undefined);
  if (missing.length > 0) {
    const none = prices.cpuCoreHour === undefined && prices.memoryGibHour === undefined && prices.gpuHour === undefined;
    const when = prices.period ? ` in ${prices.period}` : '';
    const reason = prices.currencies
      ? `cost unknown: pool ${prices.pool} is billed in ${prices.currencies.join(' and ')}${when}`
      : none && prices.perInstanceHour
        ? `cost unknown: pool ${prices.pool} is billed per instance-hour (no per-core/GiB price)`
        : none
          ? `cost unknown: no billing rows for pool ${prices.pool}${when}`
          : `cost unknown: no ${missing.map((u) => u.unit).join(', ')} price for pool ${prices.pool}${when}`;
    return { known: false, reason, pool: prices.pool };
  }
  const hourly = needed.reduce((sum, u) => sum + amount[u.key] * u.scale * prices[u.price]!, 0);
  return { known: true, monthly: hourly * HOURS_PER_MONTH, pool: prices.pool, currency: prices.currency };
}

/**
 * The rule an HPA recommendation that moves only maxReplicas carries: a ceiling costs nothing
 * until the HPA scales to it, so its projected cost is 0 (committer/explain.ts says why).
 */
export const CEILING_ONLY_RULE = 'ceiling-only:no-cost-until-used';

/** Changing the replica count (the HPA floor): Δreplicas × per-replica resources; no change costs nothing, whatever is known. */
export function replicasCostDelta(perReplica: PodResources | undefined, fromReplicas: number, toReplicas: number, prices: PoolPrices): CostEstimate {
  if (toReplicas === fromReplicas) return { known: true, monthly: 0, pool: prices.pool, currency: prices.currency };
  if (!perReplica) return { known: false, reason: "cost unknown: the workload's container requests are not in the GitOps repository", pool: prices.pool };
  return monthlyCost(scaleResources(perReplica, toReplicas - fromReplicas), prices);
}

/** Changing a container's requests: Δrequests × replicas. */
export function requestsCostDelta(delta: PodResources | undefined, replicas: number, prices: PoolPrices): CostEstimate {
  if (!delta) return { known: false, reason: 'cost unknown: the current requests are not in the GitOps repository', pool: prices.pool };
  return monthlyCost(scaleResources(delta, replicas), prices);
}

/** An HPA that scales on CPU utilisation (a Resource metric `cpu` with `averageUtilization`), with its replica bounds. */
export interface CpuHpa {
  minReplicas: number;
  maxReplicas: number;
}

/**
 * The replicas an HPA scaling on CPU utilisation settles at once a pod's CPU request changes:
 * utilisation is usage ÷ request, so the same usage on `newCpu` reads `oldCpu ÷ newCpu` times
 * the utilisation, and the HPA's desired replicas are ⌈replicas × current ÷ target utilisation⌉
 * (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details):
 * ⌈replicas × oldCpu ÷ newCpu⌉, within its minReplicas and maxReplicas.
 */
export function cpuHpaReplicas(replicas: number, oldCpu: number, newCpu: number, hpa: CpuHpa): number {
  if (!(oldCpu > 0 && newCpu > 0) || oldCpu === newCpu) return replicas;
  const desired = Math.ceil(replicas * (oldCpu / newCpu) - 1e-9); // 1e-9: 3 × 2 ÷ 1.5 is 4, not 4.000000000000001
  return Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, desired));
}

/**
 * What a change of one container's requests costs, and the replicas it leaves: Δrequests ×
 * replicas, except under an HPA that scales on CPU, where a CPU request change moves the
 * replicas too (cpuHpaReplicas): the pod's new requests × the replicas it settles at − its
 * requests today × the replicas today. A CPU cut under such an HPA can cost more, not less.
 */
export function requestsChangeCost(
  delta: PodResources | undefined,
  w: { perReplica?: PodResources; replicas: number; cpuHpa?: CpuHpa },
  prices: PoolPrices,
): { cost: CostEstimate; replicas: number } {
  const replicas =
    delta && w.perReplica && w.cpuHpa ? cpuHpaReplicas(w.replicas, w.perReplica.cpuCores, w.perReplica.cpuCores + delta.cpuCores, w.cpuHpa) : w.replicas;
  if (!delta || replicas === w.replicas || !w.perReplica) return { cost: requestsCostDelta(delta, w.replicas, prices), replicas };
  const after = scaleResources(
    { cpuCores: w.perReplica.cpuCores + delta.cpuCores, memoryBytes: w.perReplica.memoryBytes + delta.memoryBytes, gpus: w.perReplica.gpus + delta.gpus },
    replicas,
  );
  return { cost: monthlyCost(subtractResources(after, scaleResources(w.perReplica, w.replicas)), prices), replicas };
}

/** Moving the same replicas from one pool to another (SPOT): cost there minus cost here. */
export function movePoolCostDelta(perReplica: PodResources | undefined, replicas: number, from: PoolPrices, to: PoolPrices): CostEstimate {
  if (!perReplica) return { known: false, reason: "cost unknown: the workload's container requests are not in the GitOps repository", pool: from.pool };
  const amount = scaleResources(perReplica, replicas);
  const here = monthlyCost(amount, from);
  if (!here.known) return here;
  const there = monthlyCost(amount, to);
  if (!there.known) return { ...there, pool: from.pool };
  if (here.currency && there.currency && here.currency !== there.currency)
    return {
      known: false,
      reason: `cost unknown: pools ${from.pool} (${here.currency}) and ${to.pool} (${there.currency}) are billed in different currencies`,
      pool: from.pool,
    };
  return { known: true, monthly: there.monthly - here.monthly, pool: from.pool, currency: here.currency ?? there.currency };
}
