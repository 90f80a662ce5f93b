/**
 * The capacity model of a GPU model server (vLLM, Triton), pure.
 *
 * Replicas scale on demand (tokens/s or requests/s) and queue depth, never on GPU utilisation:
 * an LLM server's GPU reads busy at low and high load alike (continuous batching keeps it
 * occupied), so utilisation says nothing about how many replicas the demand needs. GPU memory
 * and engine activity size each replica's GPU instead (a MIG slice or a time-slicing share).
 *
 * - Per-replica throughput: the policy's, else learnt: the median demand served per replica in
 *   the steps where requests were waiting (a queue means every replica was at its limit, so what
 *   it served is what it can serve at the batch size the server chose).
 * - Replicas for demand: a replica asked for now serves only after its warm-up, so the count now
 *   must cover the forecast peak over [now, now + warm-up]: ⌈peak ÷ throughput⌉.
 * - Replicas for the queue: above the SLO (waiting requests per replica), the excess waits for
 *   slots; a replica serves `running ÷ replicas` requests at once, so ⌈excess ÷ that⌉ more.
 * - The larger of the two, within the policy's replicas.min/max.
 */
import { COMPUTE_SLICES, gpuMemoryGiB, MIG_PROFILES, type GpuModel, type MigProfile } from './mig-profiles.js';
import type { ModelServerSpec, ResolvedPolicy } from './policy-schema.js';

export type ResolvedModelServer = Required<Omit<ModelServerSpec, 'perReplicaThroughput' | 'gpuModel' | 'spot' | 'container'>> &
  Pick<ModelServerSpec, 'perReplicaThroughput' | 'gpuModel' | 'spot' | 'container'>;

export const MODEL_SERVER_DEFAULTS: Omit<ResolvedModelServer, 'perReplicaThroughput' | 'gpuModel' | 'spot' | 'container'> = {
  demandMetric: 'vllm:generation_tokens_total',
  queueMetric: 'vllm:num_requests_waiting',
  runningMetric: 'vllm:num_requests_running',
  queueDepthSlo: 4,
  warmupMinutes: 5,
  gpusPerReplica: 1,
  gpuMemoryMetric: 'DCGM_FI_DEV_FB_USED',
  gpuActivityMetric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
  sharing: 'none',
  percentile: 0.95,
  headroom: 0.1,
  gpuPool: 'gpu',
};

/** The model-server settings in force, or undefined when no policy declares the workload a model server. */
export function modelServerOf(policy: ResolvedPolicy): ResolvedModelServer | undefined {
  return policy.modelServer ? { ...MODEL_SERVER_DEFAULTS, ...policy.modelServer } : undefined;
}

/** One step of what the server did: demand served (per second), requests waiting, replicas running. */
export interface ServerStep {
  demand: number;
  queue: number;
  replicas: number;
}

/** Fewer saturated steps than this and the throughput is not learnt (one burst is not a measurement). */
export const MIN_SATURATED_STEPS = 3;

/** Median demand per replica over the steps with a queue; undefined with fewer than MIN_SATURATED_STEPS. */
export function learnThroughput(steps: readonly ServerStep[]): number | undefined {
  const perReplica = steps
    .filter((s) => s.queue > 0 && s.replicas > 0 && Number.isFinite(s.demand))
    .map((s) => s.demand / s.replicas)
    .sort((a, b) => a - b);
  if (perReplica.length < MIN_SATURATED_STEPS) return undefined;
  const mid = perReplica.length >> 1;
  return perReplica.length % 2 ? perReplica[mid] : (perReplica[mid - 1] + perReplica[mid]) / 2;
}

export interface ReplicaInput {
  /** forecast demand per second at future times (the quantile the SLO risk picks) */
  forecast: readonly { tMs: number; demand: number }[];
  nowMs: number;
  throughput: number;
  /** now: requests waiting, requests running, replicas */
  queue: number;
  running: number;
  replicas: number;
  server: Pick<ResolvedModelServer, 'warmupMinutes' | 'queueDepthSlo'>;
  min: number;
  max: number;
}

export interface ReplicaPlan {
  replicas: number;
  forDemand: number;
  forQueue: number;
  peakDemand: number;
  peakAtMs: number;
  /** why, in words, for the pull request */
  reasons: string[];
}

export function modelServerReplicas(x: ReplicaInput): ReplicaPlan {
  if (!(x.throughput > 0)) throw new RangeError('per-replica throughput must be positive');
  const until = x.nowMs + x.server.warmupMinutes * 60_000;
  const ahead = x.forecast.filter((p) => p.tMs >= x.nowMs && p.tMs <= until);
  const window = ahead.length > 0 ? ahead : x.forecast.slice(0, 1);
  let peak = { tMs: x.nowMs, demand: 0 };
  for (const p of window) if (p.demand > peak.demand) peak = p;
  const forDemand = Math.ceil(peak.demand / x.throughput - 1e-9);
  const reasons = [
    `forecast peak ${round(peak.demand)}/s within the ${x.server.warmupMinutes}-minute warm-up ÷ ${round(x.throughput)}/s per replica → ${forDemand}`,
  ];
  let forQueue = 0;
  const allowed = x.server.queueDepthSlo * x.replicas;
  if (x.replicas > 0 && x.queue > allowed) {
    const perReplicaSlots = Math.max(x.running / x.replicas, 1);
    forQueue = x.replicas + Math.ceil((x.queue - allowed) / perReplicaSlots - 1e-9);
    reasons.push(
      `${x.queue} waiting > SLO ${x.server.queueDepthSlo} × ${x.replicas} replicas; ${round(perReplicaSlots)} requests served at once per replica → ${forQueue}`,
    );
  }
  const replicas = Math.min(x.max, Math.max(x.min, forDemand, forQueue));
  if (replicas !== Math.max(forDemand, forQueue)) reasons.push(`held within replicas ${x.min}..${x.max} → ${replicas}`);
  return { replicas, forDemand, forQueue, peakDemand: peak.demand, peakAtMs: peak.tMs, reasons };
}

/** The KEDA ScaledObject values of a plan: the forecast floor, a ceiling at least as high, the queue SLO as the trigger's threshold. */
export function kedaValues(plan: ReplicaPlan, server: Pick<ResolvedModelServer, 'queueDepthSlo'>, policyMax: number): Record<string, number> {
  return { minReplicaCount: plan.replicas, maxReplicaCount: Math.max(policyMax, plan.replicas), threshold: server.queueDepthSlo };
}

/**
 * GPU engine activity as a fraction of a whole GPU. DCGM_FI_DEV_GPU_UTIL is a percentage;
 * DCGM's profiling fields (DCGM_FI_PROF_GR_ENGINE_ACTIVE) are ratios and, on a MIG instance,
 * relative to that instance, so they are scaled by the instance's share of the GPU.
 */
export function wholeGpuActivity(metric: string, value: number, currentSlices = COMPUTE_SLICES): number {
  const ratio = metric === 'DCGM_FI_DEV_GPU_UTIL' ? value / 100 : value;
  return (ratio * currentSlices) / COMPUTE_SLICES;
}

export interface GpuUse {
  /** the policy's percentile of GPU memory in use, MiB */
  memoryMiB: number;
  /** the policy's percentile of engine activity, as a fraction of a whole GPU */
  activity: number;
}

export type GpuSizing =
  | { kind: 'mig'; profile: MigProfile; resource: string; gpuShare: number; reason: string }
  | { kind: 'time-slicing'; replicasPerGpu: number; gpuShare: number; reason: string }
  | { kind: 'whole-gpu'; reason: string };

/**
 * The smallest GPU slice a replica fits with the headroom: the smallest MIG profile (fewest
 * compute slices, then least memory) whose memory holds `memoryMiB × (1 + headroom)` and whose
 * slices hold `activity × (1 + headroom)`; or, for time-slicing (no memory isolation), the most
 * replicas per GPU such that each one's memory and activity, with the headroom, fit a 1/n share.
 * A replica that needs the whole GPU keeps it. `gpuShare` prices the slice (its compute share).
 */
export function sizeGpu(use: GpuUse, server: Pick<ResolvedModelServer, 'sharing' | 'headroom' | 'gpuModel'>): GpuSizing {
  const mem = (use.memoryMiB / 1024) * (1 + server.headroom);
  const act = use.activity * (1 + server.headroom);
  const needs = `p-memory ${round(use.memoryMiB / 1024)} GiB, activity ${round(use.activity * 100)}% of a GPU, +${round(server.headroom * 100)}% headroom`;
  if (server.sharing === 'mig') {
    const model = server.gpuModel as GpuModel;
    const fit = MIG_PROFILES[model].find((p) => p.memoryGiB >= mem && p.slices / COMPUTE_SLICES >= act);
    if (!fit || fit.slices === COMPUTE_SLICES) return { kind: 'whole-gpu', reason: `${needs}: needs a whole ${model}` };
    return {
      kind: 'mig',
      profile: fit,
      resource: `nvidia.com/mig-${fit.profile}`,
      gpuShare: fit.slices / COMPUTE_SLICES,
      reason: `${needs}: fits ${fit.profile} (${fit.memoryGiB} GiB, ${fit.slices}/${COMPUTE_SLICES} of the compute)`,
    };
  }
  if (server.sharing === 'time-slicing') {
    if (!server.gpuModel) return { kind: 'whole-gpu', reason: `${needs}: the GPU's memory is unknown (set modelServer.gpuModel)` };
    const share = Math.max(mem / gpuMemoryGiB(server.gpuModel), act);
    const n = share > 0 ? Math.floor(1 / share + 1e-9) : 1;
    if (n < 2) return { kind: 'whole-gpu', reason: `${needs}: needs a whole ${server.gpuModel}` };
    return { kind: 'time-slicing', replicasPerGpu: n, gpuShare: 1 / n, reason: `${needs}: ${n} replicas fit one ${server.gpuModel} by time-slicing` };
  }
  return { kind: 'whole-gpu', reason: 'modelServer.sharing is none' };
}

/** Spot GPU capacity a policy allows for a model server (modelServer.spot), with its defaults filled. */
export interface SpotGpu {
  nodePool: string;
  nodeSelector: Record<string, string>;
  minReplicas: number;
}

/** Fewest replicas serving for a move to spot GPUs by default: with one, an interruption stops all serving. */
export const SPOT_GPU_MIN_REPLICAS = 2;

/** The spot GPU pool the policy allows, or undefined (the default: a model server stays where it is). */
export function spotGpuOf(policy: ResolvedPolicy): SpotGpu | undefined {
  const s = policy.modelServer?.spot;
  if (s?.allowed !== true || s.nodePool === undefined) return undefined;
  return { nodePool: s.nodePool, nodeSelector: s.nodeSelector ?? policy.spot.nodeSelector, minReplicas: s.minReplicas ?? SPOT_GPU_MIN_REPLICAS };
}

export type SpotGpuVerdict = { move: true; reasons: string[] } | { move: false; reason: string };

/**
 * May a model server move to spot GPUs now? Spot capacity can be reclaimed at any time (with
 * 30 s to 2 min of notice), and a replacement replica serves only after its warm-up. So:
 * - at least `minReplicas` replicas serve (never fewer than 2: with one, an interruption stops all serving);
 * - with the per-replica throughput known, one replica fewer still serves the forecast peak
 *   (`(replicas − 1) × throughput ≥ peak`), so an interruption costs no capacity the forecast needs.
 * Without a throughput (not given, not learnt yet) only the replica count is checked.
 */
export function spotGpuRule(x: { replicas: number; throughput: number | undefined; peakDemand: number; spot: Pick<SpotGpu, 'minReplicas'> }): SpotGpuVerdict {
  const min = Math.max(SPOT_GPU_MIN_REPLICAS, x.spot.minReplicas);
  if (x.replicas < min) return { move: false, reason: `${x.replicas} replica(s) serving < ${min}: an interruption would stop too much of the serving` };
  if (x.throughput === undefined) return { move: true, reasons: [`spot-gpu: ${x.replicas} replicas ≥ ${min}`] };
  const left = (x.replicas - 1) * x.throughput;
  if (left < x.peakDemand)
    return {
      move: false,
      reason: `one replica interrupted leaves ${x.replicas - 1} × ${round(x.throughput)}/s = ${round(left)}/s < forecast peak ${round(x.peakDemand)}/s`,
    };
  return {
    move: true,
    reasons: [
      `spot-gpu: ${x.replicas} replicas ≥ ${min}; one interrupted leaves ${x.replicas - 1} × ${round(x.throughput)}/s ≥ forecast peak ${round(x.peakDemand)}/s`,
    ],
  };
}

const round = (v: number): number => Math.round(v * 100) / 100;
