/**
 * FinOps policies as code: the schema of one policy file (YAML in the GitOps repository,
 * `policies/*.yaml`). Every field is optional in a file; layering (policy-set.ts) fills what a
 * file leaves out from the broader scopes and finally from DEFAULT_POLICY.
 */
import { ANOMALY_THRESHOLD } from '../scoring/anomaly-detector.js';
import { z } from 'zod';

/**
 * Upper bounds: a value beyond them is a mistake, not a policy (`replicas.max: 1000000000`), and
 * the file is refused with file:line. Replicas: 10,000 per workload (Kubernetes' own tested
 * limits are 150,000 pods per cluster, 110 per node); money: 10^12 a month; durations: a year.
 */
export const MAX_REPLICAS = 10_000;
const MAX_MONEY = 1e12;
const YEAR_MINUTES = 365 * 24 * 60;
const fraction = z.number().min(0).max(1);
const percent = z.number().min(0).max(1000);
const positive = z.number().positive().max(1e12);
const name = z.string().min(1).max(253);

/** GPU families with a MIG profile table (mig-profiles.ts). */
export const GPU_MODELS = ['A100-40GB', 'A100-80GB', 'H100-80GB'] as const;

const modelServerSchema = z
  .object({
    /** the demand series (e.g. vllm:generation_tokens_total): a counter is turned into a per-second rate */
    demandMetric: name,
    /**
     * the serving container whose demand series decides; absent: a container's series before a workload-level one,
     * else the first seen with demandMetric (another one, e.g. a sidecar's, is skipped with a warning)
     */
    container: name,
    /** requests waiting (vllm:num_requests_waiting, nv_inference_pending_request_count) */
    queueMetric: name,
    /** requests being served (vllm:num_requests_running): a replica's concurrency, to size the queue's drain */
    runningMetric: name,
    /** demand one replica serves at the latency target (tokens/s); absent: learnt from the steps with a queue */
    perReplicaThroughput: positive,
    /** waiting requests per replica the server should stay under (the KEDA trigger's threshold) */
    queueDepthSlo: z.number().min(0).max(1e6),
    /** time from scheduling a replica to serving (image pull, weights load): scale that far ahead of a forecast peak */
    warmupMinutes: z
      .number()
      .min(0)
      .max(24 * 60),
    gpusPerReplica: z.number().int().min(1).max(16),
    gpuModel: z.enum(GPU_MODELS),
    /** GPU memory in use (MiB) and the engine's busy fraction, for right-sizing */
    gpuMemoryMetric: name,
    gpuActivityMetric: name,
    /** what a replica may be moved to when it fits a smaller slice */
    sharing: z.enum(['mig', 'time-slicing', 'none']),
    /** percentile of GPU memory and activity a slice must hold, plus the headroom */
    percentile: fraction,
    headroom: z.number().min(0).max(10),
    /** node pool whose GPU-hour price (from billing) prices the server */
    gpuPool: name,
    /**
     * Spot GPU capacity, only where `allowed` (model-server-capacity.ts spotGpuRule): the move to
     * `nodePool` (its billing rows price it) through `nodeSelector` (default: the policy's
     * spot.nodeSelector), while at least `minReplicas` replicas serve and one fewer still serves
     * the forecast peak (an interruption takes a replica away for its warm-up).
     */
    spot: z
      .object({
        allowed: z.boolean(),
        nodePool: name,
        nodeSelector: z.record(z.string(), z.string()),
        minReplicas: z.number().int().min(2).max(MAX_REPLICAS),
      })
      .strict()
      .partial()
      .refine((s) => s.allowed !== true || s.nodePool !== undefined, { message: 'allowed: true needs nodePool (the spot GPU pool)', path: ['allowed'] }),
  })
  .strict()
  .partial()
  .refine((m) => m.sharing !== 'mig' || m.gpuModel !== undefined, { message: 'sharing: mig needs gpuModel (the MIG profiles depend on it)', path: ['sharing'] })
  .refine((m) => m.sharing === undefined || m.sharing === 'none' || (m.gpusPerReplica ?? 1) === 1, {
    message: 'a replica with more than one GPU cannot share a GPU (MIG or time-slicing)',
    path: ['sharing'],
  });

export type ModelServerSpec = z.infer<typeof modelServerSchema>;

export const policySpecSchema = z
  .object({
    budget: z
      .object({
        monthly: z.number().nonnegative().max(MAX_MONEY).describe('monthly budget of the scope'),
        currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD'),
        /** a raise that would take the scope over its budget: withheld ("cap") or sent for review (policy/budgets.ts) */
        onBreach: z.enum(['cap', 'review']),
      })
      .strict()
      .partial(),
    /** share of intervals allowed to be under-provisioned; picks the forecast quantile */
    sloRisk: z.number().gt(0).lt(1),
    /**
     * 0: the SLO risk picks a fixed forecast quantile. > 0 (default 0.03): the rate γ of an online
     * calibration (adaptive conformal style): capacity = max(median forecast, last demand + 2 ×
     * its mean move over 3 hours) × a
     * multiplier that grows after an under-provisioned interval and shrinks otherwise, so that
     * the long-run share of under-provisioned intervals approaches 0.8 × sloRisk (rules.ts).
     */
    sloAdaptation: z.number().min(0).max(1),
    replicas: z
      .object({
        min: z.number().int().min(0).max(MAX_REPLICAS),
        max: z.number().int().min(1).max(MAX_REPLICAS),
        perReplicaCapacity: positive,
        targetUtilization: z.number().gt(0).max(1),
        /** the workload-level metric whose forecast sizes the replicas */
        metric: name,
        /** node pool whose CPU unit price (from billing) prices a replica's capacity */
        nodePool: name,
        /** capacity never exceeds the peak of the forecaster's 24-hour history × (1 + this) */
        peakMargin: z.number().min(0).max(10),
      })
      .strict()
      .partial()
      .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, { message: 'min must not exceed max', path: ['min'] }),
    change: z
      .object({
        maxStepPercent: percent,
        cooldownMinutes: z.number().int().min(0).max(YEAR_MINUTES),
        hysteresisPercent: percent,
      })
      .strict()
      .partial(),
    resources: z
      .object({
        /** container-level series: CPU usage in cores, memory in bytes, OOM kills (a count) */
        cpuMetric: name,
        memoryMetric: name,
        oomMetric: name,
        /** how much history the percentile is taken over */
        windowHours: z
          .number()
          .positive()
          .max(35 * 24),
        percentile: fraction,
        safetyMargin: z.number().min(0).max(10),
        oomBump: z
          .object({
            minBytes: z
              .number()
              .int()
              .min(0)
              .max(2 ** 50),
            factor: z.number().min(1).max(10),
          })
          .strict()
          .partial(),
        min: z
          .object({
            cpu: z.number().min(0).max(1024),
            memoryBytes: z
              .number()
              .int()
              .min(0)
              .max(2 ** 44),
          })
          .strict()
          .partial(),
      })
      .strict()
      .partial(),
    idle: z
      .object({
        cpuBelow: z.number().min(0).max(1024),
        hours: z
          .number()
          .positive()
          .max(365 * 24),
        action: z.enum(['scale-to-min', 'suggest-removal']),
      })
      .strict()
      .partial(),
    spot: z
      .object({
        eligibleLabels: z.record(z.string(), z.string()),
        statelessKinds: z.array(z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'])),
        maxCoefficientOfVariation: z.number().min(0).max(100),
        /** the node selector that puts pods on spot capacity */
        nodeSelector: z.record(z.string(), z.string()),
        /** node pool whose unit prices (from billing) price spot capacity */
        nodePool: name,
      })
      .strict()
      .partial(),
    /** a GPU model server (vLLM, Triton): replicas from demand and queue depth, GPU right-sizing (model-server-capacity.ts) */
    modelServer: modelServerSchema,
    critical: z
      .object({
        changePercentAbove: percent,
        monthlyCostIncreaseAbove: z.number().min(0).max(MAX_MONEY),
        budgetBreach: z.boolean(),
        /** moving a workload to spot capacity needs review */
        spot: z.boolean(),
      })
      .strict()
      .partial(),
    anomaly: z
      .object({
        threshold: fraction,
        suppressMinutes: z.number().int().min(0).max(YEAR_MINUTES),
      })
      .strict()
      .partial(),
  })
  .strict()
  .partial();

export const policyFileSchema = z
  .object({
    apiVersion: z.literal('foresight.dev/v1'),
    kind: z.literal('Policy'),
    metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a lowercase name') }).strict(),
    /** who the policy applies to: nothing (defaults), a namespace, a team, or one workload */
    scope: z
      .union([
        z.object({}).strict(),
        z.object({ namespace: z.string().min(1) }).strict(),
        z.object({ team: z.string().min(1) }).strict(),
        z.object({ workload: z.string().regex(/^[^/]+\/[^/]+\/[^/]+$/, 'namespace/kind/name') }).strict(),
      ])
      .default({}),
    spec: policySpecSchema,
  })
  .strict();

export type PolicySpec = z.infer<typeof policySpecSchema>;
export type PolicyFile = z.infer<typeof policyFileSchema>;

/** A policy with every field resolved. */
export interface ResolvedPolicy {
  budget: { monthly?: number; currency: string; onBreach: 'cap' | 'review' };
  sloRisk: number;
  sloAdaptation: number;
  replicas: { min: number; max: number; perReplicaCapacity?: number; targetUtilization: number; metric: string; nodePool: string; peakMargin: number };
  change: { maxStepPercent: number; cooldownMinutes: number; hysteresisPercent: number };
  resources: {
    cpuMetric: string;
    memoryMetric: string;
    oomMetric: string;
    windowHours: number;
    percentile: number;
    safetyMargin: number;
    oomBump: { minBytes: number; factor: number };
    min: { cpu: number; memoryBytes: number };
  };
  idle: { cpuBelow: number; hours: number; action: 'scale-to-min' | 'suggest-removal' };
  spot: {
    eligibleLabels: Record<string, string>;
    statelessKinds: string[];
    maxCoefficientOfVariation: number;
    nodeSelector: Record<string, string>;
    nodePool: string;
  };
  critical: { changePercentAbove: number; monthlyCostIncreaseAbove: number; budgetBreach: boolean; spot: boolean };
  anomaly: { threshold: number; suppressMinutes: number };
  /** set when a policy declares the workload a model server; defaults are filled by model-server-capacity.ts */
  modelServer?: ModelServerSpec;
  /** names of the policy files that shaped this one, broadest first */
  sources: string[];
}

/**
 * What holds when no file says otherwise: the Vertical Pod Autoscaler's OOM bump, 1% SLO risk
 * met by the adaptive calibration. Kept identical to deploy/gitops-example/policies/defaults.yaml
 * (test/unit/policy); the capacity parameters are the ones measured in the README's backtest table.
 */
export const DEFAULT_POLICY: ResolvedPolicy = {
  budget: { currency: 'USD', onBreach: 'cap' },
  sloRisk: 0.01,
  sloAdaptation: 0.03,
  replicas: { min: 1, max: 10, targetUtilization: 0.7, metric: 'cpu_usage', nodePool: 'default', peakMargin: 0.2 },
  change: { maxStepPercent: 50, cooldownMinutes: 15, hysteresisPercent: 5 },
  resources: {
    cpuMetric: 'cpu_usage',
    memoryMetric: 'memory_usage',
    oomMetric: 'oom_kills',
    windowHours: 24,
    percentile: 0.9,
    safetyMargin: 0.15,
    oomBump: { minBytes: 100 * 1024 * 1024, factor: 1.2 },
    min: { cpu: 0.01, memoryBytes: 64 * 1024 * 1024 },
  },
  idle: { cpuBelow: 0.02, hours: 24, action: 'scale-to-min' },
  spot: {
    eligibleLabels: {},
    statelessKinds: ['Deployment'],
    maxCoefficientOfVariation: 0.3,
    nodeSelector: { 'karpenter.sh/capacity-type': 'spot' },
    nodePool: 'spot',
  },
  critical: { changePercentAbove: 100, monthlyCostIncreaseAbove: 500, budgetBreach: true, spot: true },
  anomaly: { threshold: ANOMALY_THRESHOLD, suppressMinutes: 24 * 60 }, // the threshold and suppression NAB was scored with (training/nab_eval.py)
  sources: ['built-in defaults'],
};

/** The forecast quantile an SLO risk asks for: the smallest trained quantile covering 1 − risk. */
export function quantileForRisk(risk: number): 0.5 | 0.9 | 0.99 {
  if (risk >= 0.5) return 0.5;
  if (risk >= 0.1) return 0.9;
  return 0.99;
}
