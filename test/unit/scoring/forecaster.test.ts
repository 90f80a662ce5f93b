/**
 * Python ↔ TypeScript parity on golden vectors written by training/train.py (features within
 * 1e-9 relative, model outputs within 1e-4: the model runs in float32), the served forecasts
 * (expert mix and recalibration, 1e-3), causality of the backtest, and the CPU fallback when
 * CUDA is requested and not available.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { backtest, recalibrated } from '../../../src/scoring/backtest.js';
import { COARSE_HOURS, forecastFeatures, HourlyMeans, N_FEATURES } from '../../../src/scoring/features.js';
import { Forecaster } from '../../../src/scoring/forecaster.js';
import { resample } from '../../../src/scoring/resample.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';

interface Golden {
  horizon_steps: number;
  vectors: {
    series: string;
    t: number;
    start_s: number;
    history: number[];
    coarse: (number | null)[];
    features: number[];
    scale: number;
    raw_quantiles: number[];
  }[];
}
const golden = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'forecaster-golden.json'), 'utf8')) as Golden;

describe('forecaster serving', () => {
  it('builds the same features as the training code (golden vectors, 1e-9 relative)', () => {
    assert.ok(golden.vectors.length >= 6);
    for (const g of golden.vectors) {
      const coarse = g.coarse.map((x) => x ?? NaN);
      const { features, scale } = forecastFeatures(g.history, g.start_s + g.t * 300, golden.horizon_steps, undefined, coarse);
      assert.ok(Math.abs(scale - g.scale) <= 1e-9 * Math.abs(g.scale), `${g.series}@${g.t} scale`);
      assert.equal(features.length, N_FEATURES);
      features.forEach((f, i) =>
        assert.ok(Math.abs(f - g.features[i]) <= 1e-9 * Math.max(1, Math.abs(g.features[i])), `${g.series}@${g.t} feature ${i}: ${f} vs ${g.features[i]}`),
      );
    }
  });

  it('gives the same model outputs as the training code (1e-4)', async () => {
    const f = await Forecaster.load();
    const batch = new Float32Array(golden.vectors.flatMap((g) => g.features));
    const out = await f.runFeatures(batch, golden.vectors.length);
    golden.vectors.forEach((g, i) =>
      g.raw_quantiles.forEach((q, j) =>
        assert.ok(Math.abs(out[i * 3 + j] - q) <= 1e-4 * Math.max(1, Math.abs(q)), `${g.series}@${g.t} q${j}: ${out[i * 3 + j]} vs ${q}`),
      ),
    );
  });

  it('is causal: the forecast at row t is the same when the input is cut after row t', async () => {
    const f = await Forecaster.load();
    const n = 400;
    const values = Float64Array.from({ length: n }, (_, i) => 10 + 5 * Math.sin(i / 20) + (i % 7));
    const full = await backtest(values, 0, 300_000, f);
    for (const t of [287, 300, 350, 399]) {
      const cut = await backtest(values.slice(0, t + 1), 0, 300_000, f);
      // Equal up to float32 rounding: the inference batches differ (1024 rows against t-286),
      // and a GEMM's summation order may change with the batch size.
      for (const k of ['q50', 'q90', 'q99'] as const) {
        assert.ok(
          Math.abs(cut[t].forecast[k] - full[t].forecast[k]) <= 1e-5 * Math.abs(full[t].forecast[k]),
          `row ${t} ${k}: ${cut[t].forecast[k]} vs ${full[t].forecast[k]}`,
        );
      }
    }
    // rows before a day of history are forecast from the first row's value repeated, as the live loop fills a new series
    assert.deepEqual(Array.from(full[0].history), Array(288).fill(values[0]));
    assert.equal(full[5].history[282], values[0]);
    assert.equal(full[5].history[287], values[5]);
    assert.equal(full[n - 1].horizonPeak, undefined, 'no horizon peak past the end');
    assert.equal(full[0].horizonPeak, Math.max(...values.slice(1, 13)));
  });

  it('serves what the training evaluation scores: backtest, expert mix and recalibration on a cluster aggregate and a spiky VM (1e-3)', async () => {
    const goldens = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'forecaster-backtest-golden.json'), 'utf8')) as {
      series: string;
      values: number[];
      start_s: number;
      rows: number[];
      q: [number, number, number][];
    }[];
    const f = await Forecaster.load();
    assert.equal(goldens.length, 2);
    assert.ok(f.online.mix, 'the shipped model mixes experts');
    for (const g of goldens) {
      const out = await backtest(Float64Array.from(g.values), g.start_s * 1000, 300_000, f);
      // the training evaluation starts at the first full day (row 287); the live loop and the
      // backtest start at the series' first step, so start there here
      const warm = 287;
      const q = recalibrated(out.slice(warm), 300_000, f.horizonSteps, f.online.gamma, f.online.mix);
      g.rows.forEach((t, i) =>
        (['q50', 'q90', 'q99'] as const).forEach((k, j) =>
          assert.ok(Math.abs(q[t - warm][k] - g.q[i][j]) <= 1e-3 * Math.abs(g.q[i][j]), `${g.series} row ${t} ${k}: ${q[t - warm][k]} vs ${g.q[i][j]}`),
        ),
      );
    }
  });

  it('falls back to CPU with one info line (not a warning) when the CUDA library is not installed', async () => {
    const lines: unknown[][] = [];
    const warnings: unknown[][] = [];
    const log = { info: (...a: unknown[]) => lines.push(a), warn: (...a: unknown[]) => warnings.push(a) };
    const f = await Forecaster.load(undefined, ['cuda', 'cpu'], log);
    assert.equal(f.provider, 'cpu');
    assert.equal(lines.length, 1);
    assert.match(String(lines[0][1]), /models run on cpu: execution provider cuda is not available here/);
    assert.equal(warnings.length, 0);
    // why, in words a user can act on (ONNX Runtime says only "Failed to load shared library"): on
    // this machine no GPU at all, or the provider library is not installed, or its CUDA libraries are missing
    assert.match(
      f.fallbackReason ?? '',
      /no NVIDIA GPU or driver on this host|CUDA provider is not installed \(.*scripts\/cuda-provider\.sh|CUDA provider is installed but its CUDA libraries did not load/,
    );
    assert.equal((lines[0][0] as { reason: string }).reason, f.fallbackReason);
  });

  it('builds the coarse context from complete clock hours before the current one (hand-computed)', () => {
    // 5-minute steps from 00:30 UTC: hour 0 holds steps 0-5 (values 0..5, mean 2.5), hour 1 steps 6-17
    const values = Float64Array.from({ length: 30 }, (_, i) => i);
    const hourly = new HourlyMeans(values, 1800);
    const at = (t: number): number[] => Array.from(hourly.coarseAt(t));
    // step 16 ends at 02:00 - 5 min: only hour 0 is complete
    assert.deepEqual(at(16).slice(-1), [2.5]);
    assert.ok(at(16).slice(0, -1).every(Number.isNaN));
    // step 17 ends at 02:00: hours 0 and 1 are complete (hour 1: mean of 6..17 = 11.5)
    assert.deepEqual(at(17).slice(-2), [2.5, 11.5]);
    assert.equal(at(17).length, COARSE_HOURS);
    // the features: unknown hours take the first known hour's mean; known_share = 2/168
    const withC = forecastFeatures(Array(288).fill(10), 1800 + 17 * 300, 12, undefined, hourly.coarseAt(17)).features;
    const k = N_FEATURES - 7;
    assert.deepEqual(
      Array.from(withC.slice(k)).map((x) => +x.toFixed(9)),
      [0.25, 0.25, 0.25, +((2.5 * 167 + 11.5) / 168 / 10).toFixed(9), 1.15, 0.25, +(2 / 168).toFixed(9)],
    );
    // without any coarse context, every hour is the 24-hour mean
    const none = forecastFeatures(Array(288).fill(10), 0, 12).features;
    assert.deepEqual(
      Array.from(none.slice(k)).map((x) => +x.toFixed(9)),
      [1, 1, 1, 1, 1, 1, 0],
    );
  });

  it('resamples irregular rows to the step: bucket means, gaps forward-filled', () => {
    const { startMs, values } = resample(
      [
        { timeMs: 1000, value: 1 },
        { timeMs: 1100, value: 3 },
        { timeMs: 1000 + 900, value: 5 },
      ],
      300,
    );
    assert.equal(startMs, 1000);
    assert.deepEqual([...values], [2, 2, 2, 5]);
  });
});
