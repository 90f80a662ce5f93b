/**
 * Model-server recommendations in the live loop (loop.ts): for a workload whose resolved
 * policy has a `modelServer` block, at each closed 5-minute step of its demand series
 * (e.g. vllm:generation_tokens_total of the serving container):
 *
 *   the last hour of its windows (model-server-facts.ts: demand per second, queue, running,
 *   GPU memory and activity percentiles) + the forecast of its demand
 *   → the capacity model (policy/model-server-capacity.ts) → what changes in the manifests and
 *   what it costs (model-server-changes.ts) → candidates the loop publishes with the hysteresis
 *   and cooldown of every other recommendation (loop.ts publishOnce):
 *
 * - HPA: the autoscaler's floor (KEDA minReplicaCount/maxReplicaCount/threshold, else the
 *   HPA's minReplicas, else spec.replicas), moved by at most `change.maxStepPercent` of what
 *   is in force per step like every replica change. A raise goes out at once (urgent: the
 *   warm-up leaves no time to wait), a cut after the cooldown. Critical per the policy's
 *   `critical.changePercentAbove` and `critical.monthlyCostIncreaseAbove`.
 * - RESOURCES: the replica's GPU moved to a MIG slice or a time-slicing share, once the hour
 *   holds at least MIN_GPU_MINUTES minutes of the server's data. Always critical
 *   (a pull request, rule `critical:gpu-sharing`): the node pool must be partitioned (MIG
 *   strategy "mixed") or its device plugin configured for time-slicing before such a pod can
 *   be scheduled, which Foresight cannot see from the manifests.
 * - SPOT: only where the policy allows spot GPUs (modelServer.spot.allowed), at least
 *   spot.minReplicas (≥ 2) serve and one replica fewer still serves the forecast peak
 *   (policy/model-server-capacity.ts spotGpuRule): the node selector of the spot GPU pool (the
 *   edit every SPOT makes, sizing.ts spotChanges), priced as the replicas in force moved from the
 *   GPU pool's prices to the spot pool's. Critical per `critical.spot` (default: a pull request).
 *
 * Every price is the pool's unit prices from billing, the GPU-hour that of the policy's GPU
 * model where billing rows name it (money/money.ts gpuPrices); a price that is missing makes the
 * cost unknown, with the reason.
 *
 * The demand forecast: a counter's 5-minute history is turned into per-second rates (the
 * difference of consecutive step means ÷ 300 s; a reset or a forward-filled step keeps the last rate) and forecast
 * by the same model (one more forecaster call per model server and step); the peak at the policy's SLO risk over
 * the forecaster's horizon (1 hour, longer than any warm-up) is taken as arriving within the
 * warm-up, so the floor is in place before it. Per-replica throughput: the policy's, else learnt
 * from the hour's steps with a queue; with neither, no replica recommendation.
 */
import type { Recommendation } from '../codec/generated-types.js';
import { isCounter } from '../codec/model-server-metrics.js';
import { currentValue, type ResolvedWorkload } from '../manifests/manifests.js';
import { GPU_RESOURCE } from '../money/workload-facts.js';
import {
  learnThroughput,
  modelServerOf,
  modelServerReplicas,
  sizeGpu,
  spotGpuOf,
  spotGpuRule,
  type ResolvedModelServer,
} from '../policy/model-server-capacity.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { forecastAtRisk, type PeakForecast } from '../policy/rules.js';
import type { Forecaster } from '../scoring/forecaster.js';
import type { PartitionRef, WindowStore } from '../windows/window-store.js';
import { movePoolCostDelta, type CostEstimate } from '../money/cost-model.js';
import { gpuChange, replicaChange, replicaGpus, type ScalingInForce } from './model-server-changes.js';
import { readServerFacts } from './model-server-facts.js';
import { Money } from '../money/money.js';
import type { SeriesIdentity } from '../codec/series-id.js';
import type { Logger } from '../telemetry/log.js';
import { claimDecider } from '../windows/decider-claim.js';
import type { Redis } from '../windows/redis-client.js';
import { deciderKey } from '../windows/redis-keys.js';
import { recommendationOf, spotChanges, type Candidate, type RecommendationBasis } from './sizing.js';

const STEP_MS = 300_000;
/** the range of windows the capacity model reads: an hour of 1-minute steps */
export const LOOKBACK_MS = 3_600_000;
/** minutes of the server's data (demand and queue) in the hour before its GPU is sized: a percentile of a few minutes is no evidence */
export const MIN_GPU_MINUTES = 10;

type ServerType = 'HPA' | 'RESOURCES' | 'SPOT';

export interface ModelServerDeps {
  windows: WindowStore;
  money: Money;
  forecaster: Forecaster;
  partitionsOf: (topic: string) => number;
  redis: Redis;
  prefix: string;
  log: Pick<Logger, 'warn'>;
}

/** A deciding demand series silent this long gives the role up to another (a renamed or removed container). */
export const DECIDER_TTL_MS = 24 * 3_600_000;

/**
 * Is this due series a demand series of a model server under this policy? With `modelServer.container`
 * only that container's is; without, every series with the demand metric is a candidate, and the
 * loop lets one of them decide (deciderKey: the first to claim it).
 */
export function isModelServerDemand(id: SeriesIdentity, policy: ResolvedPolicy): boolean {
  const server = modelServerOf(policy);
  return server !== undefined && id.metric === server.demandMetric && (server.container === undefined || id.container === server.container);
}

/** Per-second rates of a counter's 5-minute step means; a decrease (a reset) or a repeated (forward-filled) step reads as the neighbour's rate. */
export function stepRates(history: ArrayLike<number>): Float64Array {
  const out = new Float64Array(history.length).fill(NaN);
  let last = NaN;
  for (let i = 1; i < history.length; i++) {
    const d = history[i] - history[i - 1];
    if (d > 0) last = d / (STEP_MS / 1000);
    out[i] = last;
  }
  const first = out.find((v) => Number.isFinite(v)) ?? 0;
  for (let i = 0; i < out.length && !Number.isFinite(out[i]); i++) out[i] = first;
  return out;
}

/** The autoscaling values in force in the manifest (nulls when the workload is not in the repository). */
export function scalingInForce(w: ResolvedWorkload | undefined): ScalingInForce {
  const v = (field: string): string | null => (w ? currentValue(w, field, null) : null);
  const n = (field: string): number | null => (v(field) === null ? null : Number(v(field)));
  return {
    kedaMin: n('keda.minReplicaCount'),
    kedaMax: n('keda.maxReplicaCount'),
    kedaThreshold: v('keda.threshold'),
    hpaMin: n('minReplicas'),
    replicas: n('replicas'),
  };
}

export class ModelServerRecommender {
  /** demand series told once that another series of their workload decides */
  private readonly warned = new Set<string>();

  constructor(private readonly d: ModelServerDeps) {}

  /**
   * Whether this demand series decides its model server. With `modelServer.container` set,
   * isModelServerDemand already picked the one series. Without it, two series of a workload with
   * the demand metric (two containers, or a workload-level series beside a container's) would
   * both decide from different partitions, each withholding the other's proposals by the
   * cooldown: a container's series takes the role from a workload-level one, and among
   * containers the first to claim keeps it while it reports (lua/claimDecider-1.lua).
   */
  async decides(id: SeriesIdentity, seriesId: string, policy: ResolvedPolicy): Promise<boolean> {
    if (modelServerOf(policy)!.container !== undefined) return true;
    // a container's series outranks a workload-level one (the container's is the server's own)
    const rank = id.container === null ? 0 : 1;
    const { held, holder } = await claimDecider(this.d.redis, deciderKey(this.d.prefix, id.workload, 'model-server'), seriesId, DECIDER_TTL_MS, rank);
    if (!held && !this.warned.has(seriesId)) {
      this.warned.add(seriesId);
      this.d.log.warn(
        { workload: id.workload, series: seriesId, deciding: holder },
        `two series of ${id.workload} carry the model server's demand metric: ${holder} decides, ${seriesId} is skipped; set modelServer.container in the policy to choose`,
      );
    }
    return held;
  }

  /** The HPA and RESOURCES candidates of a model server at this step (none when nothing would change). */
  async candidates(
    ref: PartitionRef,
    id: SeriesIdentity,
    stepEndMs: number,
    history: ArrayLike<number>,
    raw: PeakForecast,
    policy: ResolvedPolicy,
    traceparent: string | undefined,
  ): Promise<Candidate[]> {
    const server = modelServerOf(policy)!;
    const facts = this.d.money.workload(id);
    const inForce = scalingInForce(facts.resolved);
    const replicasNow = inForce.kedaMin ?? inForce.hpaMin ?? inForce.replicas ?? 1;
    const serverFacts = await readServerFacts(
      this.d.windows,
      ref.topic,
      this.d.partitionsOf(ref.topic),
      id,
      server,
      { fromMs: stepEndMs - LOOKBACK_MS, toMs: stepEndMs - 1 },
      () => replicasNow,
    );
    const prices = await this.d.money.gpuPrices(server.gpuPool, server.gpuModel, stepEndMs);
    const f = isCounter(server.demandMetric) ? (await this.d.forecaster.forecast([{ history: stepRates(history), timeS: stepEndMs / 1000 }]))[0] : raw;
    const out: Candidate[] = [];
    const base = (type: ServerType, container: string | null, changes: Recommendation['changes'], rules: string[], cost: CostEstimate, critical: boolean) =>
      this.recommendation(id, type, container, changes, {
        server,
        policy,
        f,
        rules,
        cost,
        critical,
        stepEndMs,
        traceparent,
        source: facts.resolved ? 'MANIFEST' : 'UNKNOWN',
      });

    const throughput = server.perReplicaThroughput ?? learnThroughput(serverFacts.steps);
    const now = serverFacts.steps.at(-1);
    const peak = Math.max(forecastAtRisk(f, policy).value, now?.demand ?? 0);
    if (throughput !== undefined && now) {
      const plan = modelServerReplicas({
        forecast: [{ tMs: stepEndMs, demand: peak }],
        nowMs: stepEndMs,
        throughput,
        queue: now.queue,
        running: now.running ?? 0,
        replicas: replicasNow,
        server,
        min: policy.replicas.min,
        max: policy.replicas.max,
      });
      // by at most change.maxStepPercent of what is in force per step, as every replica change (decide-replicas.ts)
      const maxDelta = Math.max(1, Math.floor((replicasNow * policy.change.maxStepPercent) / 100));
      const replicas = Math.min(replicasNow + maxDelta, Math.max(replicasNow - maxDelta, plan.replicas));
      const change = replicaChange({ ...plan, replicas }, inForce, server, facts.perReplica, prices);
      if (change) {
        const rules = [...change.reasons, server.perReplicaThroughput ? 'throughput:policy' : 'throughput:learnt'];
        if (replicas !== plan.replicas) rules.push(`max-step: ${policy.change.maxStepPercent}% of ${replicasNow} → ${replicas}`);
        const stepPercent = replicasNow > 0 ? (100 * Math.abs(replicas - replicasNow)) / replicasNow : Infinity;
        const byCost = change.cost.known && change.cost.monthly > policy.critical.monthlyCostIncreaseAbove;
        const byStep = stepPercent > policy.critical.changePercentAbove;
        if (byCost) rules.push('critical:cost-increase');
        if (byStep) rules.push('critical:change-percent');
        out.push({
          type: 'HPA',
          container: null,
          rec: base('HPA', null, change.changes, rules, change.cost, byCost || byStep),
          values: { replicas },
          urgentRaises: ['replicas'],
        });
      }
    }

    // the GPU of a replica, while it has whole GPUs: as many as the manifest gives the container (request, else limit; the policy's count without a manifest)
    const gpusNow = replicaGpus(facts.resolved, id.container, server.gpusPerReplica);
    if (serverFacts.gpu && serverFacts.steps.length >= MIN_GPU_MINUTES && gpusNow !== null && gpusNow > 0) {
      const sizing = sizeGpu(serverFacts.gpu, server);
      const lines = facts.resolved && {
        request: currentValue(facts.resolved, `requests.${GPU_RESOURCE}`, id.container),
        limit: currentValue(facts.resolved, `limits.${GPU_RESOURCE}`, id.container),
      };
      const change = gpuChange(sizing, replicasNow, gpusNow, prices, lines);
      if (change && sizing.kind !== 'whole-gpu') {
        const rules = [...change.reasons, 'critical:gpu-sharing'];
        out.push({
          type: 'RESOURCES',
          container: id.container,
          rec: base('RESOURCES', id.container, change.changes, rules, change.cost, true),
          values: { gpu: sizing.kind === 'mig' ? sizing.resource : `time-slicing/${sizing.replicasPerGpu}` },
        });
      }
    }
    // spot GPUs, where the policy allows them and an interruption would cost no capacity the forecast needs
    const spot = spotGpuOf(policy);
    const verdict = spot && now ? spotGpuRule({ replicas: replicasNow, throughput, peakDemand: peak, spot }) : undefined;
    const moves = verdict?.move ? spotChanges(facts.resolved, spot!.nodeSelector) : [];
    if (verdict?.move && moves.length > 0) {
      // the replicas in force, priced in the spot pool instead of the GPU pool (GPU-hours of the policy's GPU model)
      const cost = movePoolCostDelta(facts.perReplica, replicasNow, prices, await this.d.money.gpuPrices(spot!.nodePool, server.gpuModel, stepEndMs));
      // a move that saves nothing (the GPU pool's commitments are paid either way, or spot is dearer) is no opportunity
      if (cost.known && cost.monthly >= 0) return out;
      const rules = [...verdict.reasons, ...(policy.critical.spot ? ['critical:spot'] : [])];
      out.push({
        type: 'SPOT',
        container: null,
        rec: base('SPOT', null, moves, rules, cost, policy.critical.spot),
        values: Object.fromEntries(moves.map((c) => [c.field, c.proposed])),
      });
    }
    return out;
  }

  private recommendation(
    id: SeriesIdentity,
    type: ServerType,
    container: string | null,
    changes: Recommendation['changes'],
    o: Pick<RecommendationBasis, 'policy' | 'rules' | 'cost' | 'critical' | 'stepEndMs' | 'traceparent' | 'source'> & {
      server: ResolvedModelServer;
      f: PeakForecast;
    },
  ): Recommendation {
    const { server, f, ...basis } = o;
    return recommendationOf(id, type, container, changes, {
      ...basis,
      metric: isCounter(server.demandMetric) ? `rate(${server.demandMetric})` : server.demandMetric,
      f,
      rules: ['model-server', ...o.rules],
      confidence: f.q99 > 0 ? Math.max(0, Math.min(1, 1 - (f.q99 - f.q50) / f.q99)) : 0,
      modelVersion: this.d.forecaster.info.version,
      horizonSeconds: this.d.forecaster.horizonSteps * this.d.forecaster.stepSeconds,
    });
  }
}
