/**
 * What a model server did, read from its windows (1-minute buckets) for the capacity model
 * (policy/model-server-capacity.ts): demand per second per step (a counter's bucket maxima
 * turned into rates, a gauge's bucket mean), requests waiting and running per step, and the
 * policy's percentile of GPU memory and engine activity over the range.
 */
import { isCounter, counterRates } from '../codec/model-server-metrics.js';
import { seriesIdOf } from '../codec/metric-sample.js';
import { wholeGpuActivity, type GpuUse, type ResolvedModelServer, type ServerStep } from '../policy/model-server-capacity.js';
import { FINE, bucketIndex } from '../windows/resolutions.js';
import { quantile, type Summary } from '../windows/sketch.js';
import { rangeSummary } from '../windows/window-query.js';
import type { WindowStore } from '../windows/window-store.js';

export interface ServerRef {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  container: string | null;
}

export interface ServerFacts {
  /** one per minute of [fromMs, toMs]; steps without demand or queue data are left out */
  steps: (ServerStep & { startMs: number; running: number | undefined })[];
  /** undefined when a GPU series is missing */
  gpu: GpuUse | undefined;
}

export async function readServerFacts(
  store: WindowStore,
  topic: string,
  partitions: number,
  server: ServerRef,
  policy: ResolvedModelServer,
  range: { fromMs: number; toMs: number },
  /** replicas serving in a step (from the manifests or a replicas series) */
  replicasAt: (startMs: number) => number,
  /** compute slices of the GPU instance the replica has now (7: a whole GPU), to read MIG activity */
  currentSlices = 7,
): Promise<ServerFacts> {
  // minute buckets (kept 2 h): the range is the capacity model's hour (LOOKBACK_MS)
  const n = bucketIndex(FINE, range.toMs) - bucketIndex(FINE, range.fromMs) + 1;
  const firstStart = bucketIndex(FINE, range.fromMs) * FINE.bucketMs;
  const buckets = async (metric: string): Promise<(Summary | null)[]> => {
    const seriesId = seriesIdOf({ ...server, metric });
    const ref = await store.locate(topic, partitions, seriesId);
    if (!ref) return new Array<Summary | null>(n).fill(null);
    const [b] = await store.lastBuckets([{ ref, seriesId, resolution: 'fine', n, endMs: range.toMs }]);
    return b;
  };
  const mean = (b: Summary | null): number | undefined => (b && b.count > 0 ? b.sum / b.count : undefined);
  const demandBuckets = await buckets(policy.demandMetric);
  const demand = isCounter(policy.demandMetric)
    ? counterRates(
        demandBuckets.map((b) => (b && b.count > 0 ? b.max : undefined)),
        FINE.bucketMs / 1000,
      )
    : demandBuckets.map(mean);
  const queue = (await buckets(policy.queueMetric)).map(mean);
  const running = (await buckets(policy.runningMetric)).map(mean);
  const steps: ServerFacts['steps'] = [];
  for (let i = 0; i < n; i++) {
    const d = demand[i];
    const q = queue[i];
    if (d === undefined || q === undefined) continue;
    const startMs = firstStart + i * FINE.bucketMs;
    steps.push({ startMs, demand: d, queue: q, running: running[i], replicas: replicasAt(startMs) });
  }
  const percentileOf = async (metric: string): Promise<number | undefined> => {
    const seriesId = seriesIdOf({ ...server, metric });
    const ref = await store.locate(topic, partitions, seriesId);
    if (!ref) return undefined;
    const { summary } = await rangeSummary(store, ref, seriesId, 'fine', range.fromMs, range.toMs);
    return summary.count > 0 ? quantile(summary, policy.percentile) : undefined;
  };
  const memoryMiB = await percentileOf(policy.gpuMemoryMetric);
  const activity = await percentileOf(policy.gpuActivityMetric);
  const gpu =
    memoryMiB !== undefined && activity !== undefined
      ? { memoryMiB, activity: wholeGpuActivity(policy.gpuActivityMetric, activity, currentSlices) }
      : undefined;
  return { steps, gpu };
}
