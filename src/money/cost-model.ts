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

export type CostEstimate =
  | {
      known: true;
      monthly: number;
      pool: string;
      currency?: string;
      /** rules saying how commitments priced a change (changeCost), for the recommendation's rules */
      rules?: string[];
      /** the resources priced, all in `pool` (changeCost; not a move between pools): a reader adds up changes of one pool with it */
      amount?: PodResources;
    }
  | { known: false; reason: string; pool: string };

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
 * What a change of resources (a delta: raises positive, cuts negative) costs or saves per month at the margin. Where
 * no commitment covers the pool's usage of a unit this is the blended price (monthlyCost). Where one does
 * (PoolPrices.committed: reservations, savings plans, committed-use discounts, as the FOCUS rows name them):
 *
 *   - a raise is paid at the marginal price (the rate of the usage no commitment covered): the commitments are taken
 *     by the usage already there;
 *   - a cut saves that price only on what it sheds of the usage no commitment covered, hour by hour over the last
 *     billed hours; below it is committed capacity, paid whether used or not until the commitment ends.
 *
 * Each change is priced alone: several cuts of one pool each count the same on-demand usage (foresight report counts
 * them together: report-data.ts countedTogether).
 *   - a raise takes first, hour by hour, what the commitments left unused in the last billed hours (paid either way)
 *     where that hour paid nothing on demand; only the rest is paid at the marginal price. Each raise is priced alone:
 *     several raises of one pool each take the same unused commitment.
 *
 * Each unit so priced adds a rule `commitment:<unit>:marginal=<price>:covered=<percent>%`, with `:cut-capped` when
 * a cut went below the on-demand usage in some hour, `:raise-into-unused` when a raise took unused commitment
 * (committer/explain.ts says it in words).
 */
export function changeCost(delta: PodResources, prices: PoolPrices): CostEstimate {
  const blended = monthlyCost(delta, prices);
  if (!blended.known) return blended;
  if (!prices.committed) return { ...blended, amount: delta };
  let hourly = 0;
  const rules: string[] = [];
  for (const u of UNITS) {
    const amount = delta[u.key] * u.scale;
    if (amount === 0) continue;
    const c = prices.committed[u.price];
    if (!c) {
      hourly += amount * prices[u.price]!;
      continue;
    }
    const hours = c.onDemandByHour;
    // no hour billed of late (billing a week late, rows backfilled): how much of a cut is on demand is not known
    if (amount < 0 && hours.length === 0)
      return {
        known: false,
        reason: `cost unknown: commitments cover ${Math.round(c.coveredShare * 100)}% of pool ${prices.pool}'s ${u.unit}s and none of its last days' hours is billed, so what a cut sheds past them is not known`,
        pool: prices.pool,
      };
    // a cut: the mean over the hours of what it sheds of each hour's on-demand usage; a raise: of what it adds past
    // each hour's unused commitment (none known, hours not billed of late: all of it). Unused commitment beside usage
    // paid on demand in the same hour did not apply to this pool's usage (another instance family, region or scope):
    // it is no free capacity there
    const unused = c.unusedByHour.map((v, i) => (hours[i] > 0 ? 0 : v));
    const paid =
      amount > 0
        ? unused.some((v) => v > 0)
          ? unused.reduce((a, v) => a + Math.max(0, amount - v), 0) / unused.length
          : amount
        : -hours.reduce((a, v) => a + Math.min(-amount, v), 0) / hours.length;
    const capped = amount < 0 && paid > amount + 1e-12;
    const intoUnused = amount > 0 && paid < amount - 1e-12;
    hourly += paid * c.marginal;
    rules.push(
      `commitment:${u.unit}:marginal=${+c.marginal.toPrecision(4)}:covered=${Math.round(c.coveredShare * 100)}%${capped ? ':cut-capped' : ''}${intoUnused ? ':raise-into-unused' : ''}`,
    );
  }
  return { ...blended, monthly: hourly * HOURS_PER_MONTH, amount: delta, ...(rules.length ? { rules } : {}) };
}

/**
 * The rule an HPA recommendation that moves only maxReplicas carries: a ceiling costs nothing
 * until the HPA scales to it, so its projected cost is 0 (committer/explain.ts says why).
 */
export const CEILING_ONLY_RULE = 'ceiling-only:no-cost-until-used';

/** Changing the replica count (the HPA floor): Δreplicas × per-replica resources; no change costs nothing, whatever is known. */
export function replicasCostDelta(perReplica: PodResources | undefined, fromReplicas: number, toReplicas: number, prices: PoolPrices): CostEstimate {
  if (toReplicas === fromReplicas) return { known: true, monthly: 0, pool: prices.pool, currency: prices.currency, amount: NO_RESOURCES };
  if (!perReplica) return { known: false, reason: "cost unknown: the workload's container requests are not in the GitOps repository", pool: prices.pool };
  return changeCost(scaleResources(perReplica, toReplicas - fromReplicas), prices);
}

/** Changing a container's requests: Δrequests × replicas. */
export function requestsCostDelta(delta: PodResources | undefined, replicas: number, prices: PoolPrices): CostEstimate {
  if (!delta) return { known: false, reason: 'cost unknown: the current requests are not in the GitOps repository', pool: prices.pool };
  return changeCost(scaleResources(delta, replicas), prices);
}

/**
 * An HPA that scales on CPU utilisation (a Resource or ContainerResource metric `cpu` with `averageUtilization`), with its
 * replica bounds: a CPU request change may move its replicas. With several such metrics it scales on the largest of them
 * (`several`: how many), which no single target tells.
 */
export type CpuHpa = { minReplicas: number; maxReplicas: number } & (
  | {
      /** its target, a fraction of the request (averageUtilization 70 → 0.7) */
      targetUtilization: number;
      /** a ContainerResource metric: the one container whose usage ÷ request it judges (absent: the pod's, all containers) */
      container?: string;
    }
  | { several: number }
);

/** Moving the same replicas from one pool to another (SPOT): what they add there minus what leaving here saves (changeCost). */
export function movePoolCostDelta(perReplica: PodResources | undefined, replicas: number, from: PoolPrices, to: PoolPrices): CostEstimate {
  if (!perReplica) return { known: false, reason: "cost unknown: the workload's container requests are not in the GitOps repository", pool: from.pool };
  const amount = scaleResources(perReplica, replicas);
  const leaving = changeCost(scaleResources(amount, -1), from);
  if (!leaving.known) return leaving;
  const there = changeCost(amount, to);
  if (!there.known) return { ...there, pool: from.pool };
  if (leaving.currency && there.currency && leaving.currency !== there.currency)
    return {
      known: false,
      reason: `cost unknown: pools ${from.pool} (${leaving.currency}) and ${to.pool} (${there.currency}) are billed in different currencies`,
      pool: from.pool,
    };
  const rules = [...(leaving.rules ?? []), ...(there.rules ?? [])];
  return {
    known: true,
    monthly: there.monthly + leaving.monthly,
    pool: from.pool,
    currency: leaving.currency ?? there.currency,
    ...(rules.length ? { rules } : {}),
  };
}
