/**
 * Steady-state Redis memory of the windows, per series: what a series costs once every window
 * is full and every chunk past its retention has expired.
 *
 * K sample series are written through the processor's own window path (aggregateBatch, then
 * WindowStore.applyBatch and its Lua script, one call per 5 minutes of event time) at one
 * sample per `intervalS` seconds, over the longest retention plus two days of simulated event
 * time ending now. Chunk expiries are event-time based (PEXPIREAT), so a chunk whose retention
 * ended before now is deleted by Redis as it is written: the keys left are exactly those of
 * steady state. Kafka is left out on purpose: what is measured is the bytes the windows keep,
 * which do not depend on how the events arrived, and 35 days at 15 s is 200k events a series.
 *
 * Values: real 5-minute data (data/samples/alibaba2018_cluster_avg_5min.csv, its five columns,
 * each series at its own offset), linearly interpolated between 5-minute points, times
 * log-normal noise whose σ is the column's median absolute log change between consecutive
 * 5-minute points (computed from the file). How many sketch bins an hour occupies, and so the
 * bytes, depends on that spread; the figure is for data like this.
 *
 * Then MEMORY USAGE (SAMPLES 0: every field) of every key, grouped by key type, divided by K.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { scanKeys, type Redis } from '../windows/redis-client.js';
import { PROJECT_ROOT } from '../util/paths.js';
import { aggregateBatch, type WindowEvent } from '../windows/aggregate.js';
import { RESOLUTIONS } from '../windows/resolutions.js';
import { ExpiryCache, WindowStore } from '../windows/window-store.js';

const STEP_MS = 300_000;
export const TRACE_FILE = path.join(PROJECT_ROOT, 'data', 'samples', 'alibaba2018_cluster_avg_5min.csv');

export interface KeyTypeUsage {
  keys: number;
  bytes: number;
  /** hash fields (window buckets), where the type is a hash */
  fields: number;
  encodings: Record<string, number>;
}

export interface SteadyState {
  series: number;
  intervalS: number;
  simulatedDays: number;
  events: number;
  bytes: number;
  bytesPerSeries: number;
  /** key type (window resolution tag, "series", "applied") → usage */
  byType: Record<string, KeyTypeUsage>;
}

/** The trace's columns, each with its noise σ (median |log change| between consecutive points). */
export function loadTrace(file = TRACE_FILE): { columns: number[][]; sigma: number[] } {
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((l) => l.split(',').map(Number));
  const columns = rows[0].map((_, c) => rows.map((r) => Math.max(r[c], 1e-6)));
  const sigma = columns.map((col) => {
    const ch = col
      .slice(1)
      .map((v, i) => Math.abs(Math.log(v / col[i])))
      .sort((a, b) => a - b);
    return ch[Math.floor(ch.length / 2)];
  });
  return { columns, sigma };
}

/** A small deterministic PRNG (mulberry32) and a standard normal from it (Box–Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Series k's value at time t (ms): its column of the trace from its own offset, interpolated, with noise. */
export function traceValue(trace: { columns: number[][]; sigma: number[] }, k: number, t: number, noise: () => number): number {
  const c = k % trace.columns.length;
  const col = trace.columns[c];
  const pos = t / STEP_MS + k * 137;
  const i = Math.floor(pos);
  const a = col[((i % col.length) + col.length) % col.length];
  const b = col[(((i + 1) % col.length) + col.length) % col.length];
  return (a + (b - a) * (pos - i)) * Math.exp(trace.sigma[c] * noise());
}

/** Which key type a window key is: its resolution tag, or the partition key's last part. */
export function keyType(key: string): string {
  const w = /:w2:.*:([a-z0-9]+):-?\d+$/.exec(key);
  return w ? `window:${w[1]}` : (key.split(':').at(-1) ?? key);
}

/** MEMORY USAGE of every key under `prefix`, grouped by keyType. */
export async function memoryByType(redis: Redis, prefix: string): Promise<{ bytes: number; byType: Record<string, KeyTypeUsage> }> {
  const byType: Record<string, KeyTypeUsage> = {};
  let bytes = 0;
  // each master of a cluster holds its slots' keys; the keyless MEMORY USAGE goes to that node
  for await (const { node, keys: ks } of scanKeys(redis, `${prefix}:*`)) {
    const pipeline = node.pipeline();
    for (const k of ks) {
      pipeline.memory('USAGE', k, 'SAMPLES', '0');
      pipeline.object('ENCODING', k);
      pipeline.type(k);
    }
    const replies = (await pipeline.exec()) ?? [];
    const lens = node.pipeline();
    ks.forEach((k, i) => {
      const [, used] = replies[3 * i];
      const [, encoding] = replies[3 * i + 1];
      const u = (byType[keyType(k)] ??= { keys: 0, bytes: 0, fields: 0, encodings: {} });
      u.keys++;
      u.bytes += Number(used ?? 0);
      bytes += Number(used ?? 0);
      u.encodings[String(encoding)] = (u.encodings[String(encoding)] ?? 0) + 1;
      if (replies[3 * i + 2][1] === 'hash') lens.hlen(k);
      else lens.echo('0');
    });
    const fieldReplies = (await lens.exec()) ?? [];
    ks.forEach((k, i) => (byType[keyType(k)].fields += Number(fieldReplies[i][1] ?? 0)));
  }
  return { bytes, byType };
}

/**
 * Writes `series` sample series at steady state under `prefix` (one partition of topic
 * `topic`) and measures them. `now`: the end of the simulated time.
 */
export async function steadyStateMemory(
  redis: Redis,
  opts: { prefix: string; series: number; intervalS: number; now?: number; progress?: (m: string) => void },
): Promise<SteadyState> {
  const trace = loadTrace();
  const store = new WindowStore(redis, opts.prefix);
  const ref = { topic: `${opts.prefix}.metrics`, partition: 0 };
  const retention = Math.max(...RESOLUTIONS.map((r) => r.retentionMs));
  const simulatedMs = retention + 2 * 86_400_000;
  const end = Math.floor((opts.now ?? Date.now()) / STEP_MS) * STEP_MS;
  const start = end - simulatedMs;
  const intervalMs = opts.intervalS * 1000;
  const noise = normals(20_26);
  const watermarks = new Map<string, number>();
  const expiring = new ExpiryCache();
  let applied = -1n;
  let events = 0;
  for (let t0 = start; t0 < end; t0 += STEP_MS) {
    const batch: WindowEvent[] = [];
    for (let t = t0; t < t0 + STEP_MS; t += intervalMs) {
      for (let k = 0; k < opts.series; k++) batch.push({ message: batch.length, seriesId: `steady-${k}`, eventTime: t, value: traceValue(trace, k, t, noise) });
    }
    const agg = aggregateBatch(batch, watermarks, 0);
    const next = applied + 1n;
    const out = await store.applyBatch(ref, applied, next.toString(), agg, end - retention, expiring);
    if (out.status !== 'applied') throw new Error(`steady-state fill: the apply script answered ${out.status}`);
    applied = next;
    for (const [id, w] of agg.watermarks) watermarks.set(id, w);
    events += batch.length;
    if (opts.progress && (t0 - start) % (7 * 86_400_000) === 0)
      opts.progress(`  steady state: day ${Math.round((t0 - start) / 86_400_000)} of ${simulatedMs / 86_400_000}`);
  }
  const { bytes, byType } = await memoryByType(redis, opts.prefix);
  return {
    series: opts.series,
    intervalS: opts.intervalS,
    simulatedDays: simulatedMs / 86_400_000,
    events,
    bytes,
    bytesPerSeries: Math.round(bytes / opts.series),
    byType,
  };
}
