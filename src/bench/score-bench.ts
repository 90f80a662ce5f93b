/**
 * `foresight bench score [--providers cuda]`: forecaster inference time per series at batch sizes 1, 64 and
 * 1024 on CPU or CUDA (the session as the processor uses it; features prepared beforehand from real
 * trace windows, so only inference is timed). Each size runs for about a second after a
 * warm-up. Also the anomaly detector's cost per scored series (one anomalyScore call on a window of
 * ANOMALY_WINDOW real steps, as serving runs it per series and closed step). The last line printed is one JSON object.
 */
import path from 'node:path';
import { readTrace } from '../replay/csv-trace.js';
import { ANOMALY_VERSION, ANOMALY_WINDOW, anomalyScore } from '../scoring/anomaly-detector.js';
import { forecastFeatures, HISTORY, HourlyMeans, N_FEATURES } from '../scoring/features.js';
import { Forecaster, GPU_MIN_BATCH } from '../scoring/forecaster.js';
import type { Provider } from '../scoring/onnx-session.js';
import { PROJECT_ROOT } from '../util/paths.js';

export async function benchScore(progress: (m: string) => void, providers: Provider[] = ['cpu']): Promise<Record<string, number | string>> {
  // a requested provider that cannot load (no GPU, no CUDA libraries) falls back to the CPU, said in the result
  const tried = [...new Set<Provider>([...providers, 'cpu'])];
  const f = await Forecaster.load(undefined, tried);
  const { rows } = readTrace(path.join(PROJECT_ROOT, 'data', 'samples', 'alibaba2018_cluster_avg_5min.csv'), {
    valueColumn: 'cpu_util_percent',
    stepSeconds: 300,
  });
  const values = Float64Array.from(rows.map((r) => r.value));
  const pool = new Float32Array(1024 * N_FEATURES);
  const row = new Float64Array(N_FEATURES);
  const hourly = new HourlyMeans(values, 0);
  for (let i = 0; i < 1024; i++) {
    const t = HISTORY - 1 + (i % (values.length - HISTORY));
    forecastFeatures(values.subarray(t - HISTORY + 1, t + 1), t * 300, f.horizonSteps, row, hourly.coarseAt(t));
    pool.set(row, i * N_FEATURES);
  }
  const result: Record<string, number | string> = { model: f.info.version, requested: providers.join(','), provider: f.provider };
  if (f.provider !== providers[0]) result.fallback = `${providers[0]} not available here, measured on ${f.provider}: ${f.fallbackReason}`;
  if (f.provider === 'cpu') {
    for (const batch of [1, 64, 1024]) result[`us_per_series_b${batch}`] = await microsPerSeries(f, pool, batch, 'cpu', progress);
  } else {
    // the same rows on the CPU: a GPU kernel that computes something else must not pass as fast
    result.max_abs_diff_vs_cpu = maxAbsDiff(await f.runFeatures(pool, 1024, f.provider), await f.runFeatures(pool, 1024, 'cpu'));
    progress(`${f.provider} vs cpu on 1024 rows: largest difference ${result.max_abs_diff_vs_cpu}`);
    // a GPU pays a fixed cost per call (launches, copies): each size on both, to see where it amortises (GPU_MIN_BATCH)
    for (const batch of [1, 16, 64, 256, 512, 1024, 2048, 4096, 16384]) {
      result[`us_per_series_b${batch}`] = await microsPerSeries(f, pool, batch, f.provider, progress);
      result[`cpu_us_per_series_b${batch}`] = await microsPerSeries(f, pool, batch, 'cpu', progress);
    }
    result.gpu_min_batch = GPU_MIN_BATCH;
  }
  result.speedup_b1024_vs_b1 = +((result.us_per_series_b1 as number) / (result.us_per_series_b1024 as number)).toFixed(1);
  result.anomaly_model = ANOMALY_VERSION;
  result.anomaly_us_per_series = +anomalyMicros(values).toFixed(3);
  progress(`anomaly detector: ${result.anomaly_us_per_series} µs per series`);
  return result;
}

/** µs per series of `batch` rows on `on`, timed for about a second after a warm-up. */
async function microsPerSeries(f: Forecaster, pool: Float32Array, batch: number, on: Provider, progress: (m: string) => void): Promise<number> {
  const input = batch <= 1024 ? pool.subarray(0, batch * N_FEATURES) : repeatRows(pool, batch);
  for (let i = 0; i < 20; i++) await f.runFeatures(input, batch, on); // warm-up
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000 || calls < 10) {
    await f.runFeatures(input, batch, on);
    calls++;
  }
  const us = ((performance.now() - t0) * 1000) / (calls * batch);
  progress(`${on} batch ${batch}: ${calls} calls, ${us.toFixed(3)} µs per series`);
  return +us.toFixed(3);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return +m.toExponential(2);
}

/** `batch` feature rows: the pool's 1024 rows repeated. */
function repeatRows(pool: Float32Array, batch: number): Float32Array {
  const out = new Float32Array(batch * N_FEATURES);
  for (let i = 0; i < batch; i += 1024) out.set(pool.subarray(0, Math.min(1024, batch - i) * N_FEATURES), i * N_FEATURES);
  return out;
}

/** µs per anomalyScore call on windows of ANOMALY_WINDOW steps cut from `values` (about a second after a warm-up). */
function anomalyMicros(values: Float64Array): number {
  const ends = Array.from({ length: 64 }, (_, i) => ANOMALY_WINDOW + ((i * 97) % (values.length - ANOMALY_WINDOW)));
  let sink = 0;
  for (const e of ends) sink += anomalyScore(values.subarray(e - ANOMALY_WINDOW, e));
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    for (const e of ends) sink += anomalyScore(values.subarray(e - ANOMALY_WINDOW, e));
    calls += ends.length;
  }
  if (!Number.isFinite(sink)) throw new Error('anomaly scores are not finite');
  return ((performance.now() - t0) * 1000) / calls;
}
