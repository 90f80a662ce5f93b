/**
 * What an outcome measures for each kind of change Foresight commits, pure: the demand series
 * and the capacity the change holds in force before and after it (the "capacity and demand"
 * adapter of the one outcome engine: figures.ts computes the same figures for every kind).
 *
 *   kind (fields)                                demand (5-minute steps)                 capacity per step                        amount held (capacity-hours)   priced resources
 *   replicas: HPA minReplicas/replicas, IDLE     the policy's replicas.metric            replicas × perReplicaCapacity ×          replicas (replica-hours)       replicas × one replica's
 *                                                (workload series)                        targetUtilization (null without it)                                      requests, in its pool
 *   SPOT (nodeSelector.*)                        the same                                the same, replicas in force both sides   replicas                       the same, in the workload's
 *                                                                                                                                                                   pool before, spot.nodePool after
 *   RESOURCES requests.cpu (requests.memory,     the container's cpu series (memory      the request of one replica (the series   request × replicas             the changed requests ×
 *   limits.memory)                               series for a memory-only change),       holds one sample per pod: its step       (core- or GiB-hours)           replicas
 *                                                mean per pod; with CPU and memory both  mean is the usage of one replica);
 *                                                moved, the memory series too            memory above requests.memory too
 *   model server HPA (keda.minReplicaCount,      rate of the demand counter (tokens/s    replicas × modelServer.perReplica-       replicas                       replicas × one replica's
 *   keda.*, minReplicas, replicas)               or requests/s), or the demand gauge;    Throughput (null when only learnt);                                     requests (GPUs too), GPU pool
 *                                                and the queue-depth series              a step whose queue is above
 *                                                                                        queueDepthSlo × replicas is under-provisioned too
 *   model server RESOURCES (MIG slice,           the same                                the same, replicas in force both sides   GPUs held (a MIG slice: slices  GPUs held, GPU pool
 *   time-slicing)                                                                                                                    ÷ 7; time-slicing: unknown)
 *
 * A value the manifests do not give (a current request, a replica count) leaves the capacity
 * (or the priced resources) unknown, never 0; the tracker says why in `costUnknown`.
 */
import type { Recommendation } from '../codec/generated-types.js';
import { isCounter } from '../codec/model-server-metrics.js';
import { parseQuantity } from '../manifests/quantity.js';
import { COMPUTE_SLICES, MIG_PROFILES } from '../policy/mig-profiles.js';
import { modelServerOf } from '../policy/model-server-capacity.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { scaleResources, type PodResources } from '../money/cost-model.js';
import type { SeriesIdentity } from '../codec/series-id.js';

/** What a change holds in one window: figures.ts Held without the price, plus what the price is of. */
export interface Holding {
  /** per 5-minute step, in the demand's unit; null when unknown */
  capacity: number | null;
  /** per hour: capacity-hours = amount × hours */
  amount: number;
  /** the limit of the measure's secondary series in this window; undefined: not judged */
  secondaryLimit?: number;
  /** the resources priced, and the pool whose prices apply; undefined with `unpriced` saying why */
  resources?: PodResources;
  unpriced?: string;
  pool: string;
}

export interface Measure {
  /** for people: what was judged against what */
  what: string;
  /** the demand series (its metric and container; the workload is the change's) */
  metric: string;
  container: string | null;
  /** the series is a counter: the demand is its per-second rate */
  counter: boolean;
  /**
   * a secondary series (the same container) judged beside the demand, a step above its limit
   * (Holding.secondaryLimit) being under-provisioned too: a model server's queue depth (limit
   * queueDepthSlo × replicas), a container's memory usage when a RESOURCES change moves both
   * CPU and memory (limit requests.memory)
   */
  secondary?: { metric: string };
  before: Holding;
  after: Holding;
  /** a replica change on the workload's demand: a regressed outcome tightens the replica calibration (decide-replicas.ts) */
  calibrates: boolean;
}

/** The change as followed (lifecycle.ts Tracked.rec). */
export type ChangeOf = Pick<Recommendation, 'type' | 'container' | 'changes' | 'rules'>;

/** The workload as the manifest in force has it, and its node pools. */
export interface MeasureFacts {
  policy: ResolvedPolicy;
  /** the series that followed the change (it published it) */
  series: Pick<SeriesIdentity, 'metric' | 'container'>;
  /** replicas in force (currentReplicas of the manifest) */
  replicas: number;
  /** one replica's requests as the manifest in force has them */
  perReplica: PodResources | undefined;
  /** the workload's pool when the change was published; for SPOT also the pool it moved to */
  pool: string;
  poolAfter?: string;
}

const REPLICA_FIELDS = ['keda.minReplicaCount', 'minReplicas', 'replicas'];
const NO_REQUESTS = "the workload's container requests are not in the GitOps repository";

const num = (v: string | null | undefined): number | undefined => (v === null || v === undefined ? undefined : parseQuantity(v));

/** Which measure a change gets; undefined for a kind that changes no capacity (BUDGET). */
export function measureOf(c: ChangeOf, f: MeasureFacts): Measure | undefined {
  const fields = c.changes.map((x) => x.field);
  const server = c.rules.includes('model-server') ? modelServerOf(f.policy) : undefined;
  if (server) return serverMeasure(c, f, server);
  if (c.type === 'RESOURCES') return fields.some((x) => /^(requests|limits)\.(cpu|memory)$/.test(x)) ? requestsMeasure(c, f) : undefined;
  if (c.type === 'SPOT') {
    const h = replicaHolding(f, f.replicas, f.pool);
    return { ...workloadDemand(f, 'replicas in force'), before: h, after: { ...h, pool: f.poolAfter ?? f.policy.spot.nodePool }, calibrates: true };
  }
  if (c.type === 'HPA' || c.type === 'IDLE') {
    const field = c.changes.find((x) => REPLICA_FIELDS.includes(x.field));
    if (!field) return undefined;
    return {
      ...workloadDemand(f, field.field),
      before: replicaHolding(f, num(field.current), f.pool),
      after: replicaHolding(f, num(field.proposed), f.pool),
      calibrates: true,
    };
  }
  return undefined;
}

/** The workload's demand series against replicas × the usable capacity of one replica. */
function workloadDemand(f: MeasureFacts, replicas: string): Pick<Measure, 'what' | 'metric' | 'container' | 'counter'> {
  const r = f.policy.replicas;
  const per = r.perReplicaCapacity === undefined ? 'an unknown capacity per replica' : `${r.perReplicaCapacity * r.targetUtilization} per replica`;
  return { what: `${r.metric} against ${replicas} × ${per}`, metric: r.metric, container: null, counter: false };
}

function replicaHolding(f: MeasureFacts, replicas: number | undefined, pool: string): Holding {
  const r = f.policy.replicas;
  const usable = r.perReplicaCapacity === undefined ? undefined : r.perReplicaCapacity * r.targetUtilization;
  if (replicas === undefined) return { capacity: null, amount: 0, unpriced: 'the replicas in force are not in the GitOps repository', pool };
  return {
    capacity: usable === undefined ? null : replicas * usable,
    amount: replicas,
    ...(f.perReplica ? { resources: scaleResources(f.perReplica, replicas) } : { unpriced: NO_REQUESTS }),
    pool,
  };
}

/** A container's requests: the usage of one replica (its cpu series, else memory) against the request. */
function requestsMeasure(c: ChangeOf, f: MeasureFacts): Measure {
  const res = f.policy.resources;
  const change = (field: string) => c.changes.find((x) => x.field === field);
  const judged = change('requests.cpu') ? 'requests.cpu' : 'requests.memory';
  const GiB = 2 ** 30;
  const holding = (side: 'current' | 'proposed'): Holding => {
    // the changed requests, each at its value on this side (a request the change does not name costs the same on both sides: left out)
    const cpu = change('requests.cpu');
    const mem = change('requests.memory');
    const cpuV = cpu ? num(cpu[side]) : 0;
    const memV = mem ? num(mem[side]) : 0;
    const req = judged === 'requests.cpu' ? cpuV : memV;
    const known = cpuV !== undefined && memV !== undefined;
    // CPU and memory both moved: the memory usage is judged against its request too
    const secondary = judged === 'requests.cpu' && mem && memV !== undefined ? { secondaryLimit: memV } : {};
    return {
      ...secondary,
      capacity: req ?? null,
      amount: req === undefined ? 0 : (judged === 'requests.cpu' ? req : req / GiB) * f.replicas,
      ...(known
        ? { resources: { cpuCores: cpuV * f.replicas, memoryBytes: memV * f.replicas, gpus: 0 } }
        : { unpriced: 'the current requests are not in the GitOps repository' }),
      pool: f.pool,
    };
  };
  const metric = judged === 'requests.cpu' ? res.cpuMetric : res.memoryMetric;
  const both = judged === 'requests.cpu' && change('requests.memory') !== undefined;
  return {
    what: `${metric} of container ${c.container ?? '?'} per replica against ${judged}${both ? `; ${res.memoryMetric} against requests.memory` : ''}`,
    metric,
    container: c.container,
    counter: false,
    ...(both ? { secondary: { metric: res.memoryMetric } } : {}),
    before: holding('current'),
    after: holding('proposed'),
    calibrates: false,
  };
}

/** A model server: its demand (a counter's rate) against replicas × the policy's throughput per replica. */
function serverMeasure(c: ChangeOf, f: MeasureFacts, server: NonNullable<ReturnType<typeof modelServerOf>>): Measure | undefined {
  const per = server.perReplicaThroughput;
  const counter = isCounter(server.demandMetric);
  const demand = counter ? `rate(${server.demandMetric})` : server.demandMetric;
  const base = {
    metric: server.demandMetric,
    container: f.series.container,
    counter,
    secondary: { metric: server.queueMetric },
    calibrates: false,
  };
  const holding = (replicas: number | undefined, gpusPerReplica: number | undefined): Holding => {
    if (replicas === undefined) return { capacity: null, amount: 0, unpriced: 'the replicas in force are not in the GitOps repository', pool: server.gpuPool };
    const held = {
      capacity: per === undefined ? null : replicas * per,
      amount: replicas,
      secondaryLimit: server.queueDepthSlo * replicas,
      pool: server.gpuPool,
    };
    if (!f.perReplica) return { ...held, unpriced: NO_REQUESTS };
    if (gpusPerReplica === undefined) return { ...held, unpriced: 'the GPU share of a time-sliced replica is not known' };
    return { ...held, resources: scaleResources({ ...f.perReplica, gpus: gpusPerReplica }, replicas) };
  };
  const what = (replicas: string): string =>
    `${demand} against ${replicas} × ${per === undefined ? 'a learnt throughput (not judged)' : `${per}/s per replica`}; ${server.queueMetric} against its SLO of ${server.queueDepthSlo} per replica`;
  if (c.type === 'HPA') {
    const field = c.changes.find((x) => REPLICA_FIELDS.includes(x.field));
    if (!field) return undefined;
    return {
      ...base,
      what: what(field.field),
      before: holding(num(field.current), f.perReplica?.gpus),
      after: holding(num(field.proposed), f.perReplica?.gpus),
    };
  }
  // a GPU moved to a MIG slice (priced by its compute share, slices ÷ 7, as the recommendation is) or to time-slicing
  const mig = c.changes.find((x) => /^requests\.nvidia\.com\/mig-/.test(x.field))?.field.slice('requests.nvidia.com/mig-'.length);
  const profile = mig === undefined ? undefined : Object.values(MIG_PROFILES).flatMap((ps) => ps.find((p) => p.profile === mig) ?? [])[0];
  return {
    ...base,
    what: what(`replicas in force`) + (mig ? `, GPU → MIG ${mig}` : ', GPU → time-slicing'),
    before: holding(f.replicas, server.gpusPerReplica),
    after: holding(f.replicas, profile ? profile.slices / COMPUTE_SLICES : undefined),
  };
}
