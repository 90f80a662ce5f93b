/**
 * On a host where the CUDA provider loads (a GPU, scripts/cuda-provider.sh), the forecaster the
 * processor uses keeps a CPU session beside the CUDA one and routes by batch size
 * (forecaster.ts GPU_MIN_BATCH): the processor's own call, forecast(), is checked against runs
 * forced onto each session (the two differ in the last digits, so which one ran shows). Skipped
 * where CUDA does not load (CI: no GPU), with the reason.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { HISTORY } from '../../../src/scoring/features.js';
import { Forecaster, GPU_MIN_BATCH, type ForecastInput } from '../../../src/scoring/forecaster.js';

/** n series of a daily wave at different levels, each its own features row */
function inputs(n: number): ForecastInput[] {
  return Array.from({ length: n }, (_, s) => ({
    history: Array.from({ length: HISTORY }, (_, i) => 10 + (s % 17) + 5 * Math.sin((2 * Math.PI * (i + s)) / 288) + ((i * 7 + s) % 5) * 0.1),
    timeS: 1_764_000_000 + s * 300,
  }));
}

describe('forecaster on CUDA', () => {
  let f: Forecaster;
  let skip: string | false = false;
  before(async () => {
    f = await Forecaster.load(undefined, ['cuda', 'cpu']);
    if (f.provider !== 'cuda') skip = `CUDA did not load here: ${f.fallbackReason ?? 'no reason given'}`;
  });

  it('runs batches under GPU_MIN_BATCH on the CPU session beside it and larger ones on CUDA, as forecast() calls them', async (t) => {
    if (skip) return t.skip(skip);
    assert.equal(f.providerFor(GPU_MIN_BATCH - 1), 'cpu');
    assert.equal(f.providerFor(GPU_MIN_BATCH), 'cuda');
    for (const [n, expected] of [
      [16, 'cpu'],
      [GPU_MIN_BATCH, 'cuda'],
    ] as const) {
      const batch = inputs(n);
      const served = (await f.forecast(batch)).flatMap((q) => [q.q50, q.q90, q.q99]);
      // the same rows forced onto each session: the served forecast equals the expected one's exactly
      const onCpu = await forced(f, batch, 'cpu');
      const onCuda = await forced(f, batch, 'cuda');
      assert.ok(
        onCpu.some((v, i) => v !== onCuda[i]),
        'CPU and CUDA outputs differ somewhere (else the check shows nothing)',
      );
      assert.deepEqual(served, expected === 'cpu' ? onCpu : onCuda, `a batch of ${n} ran on ${expected}`);
      // float32 kernels that sum in another order: the same forecast to about 1e-3 of its size
      const largest = Math.max(...onCpu.map((v, i) => Math.abs(v - onCuda[i]) / Math.max(1, Math.abs(v))));
      assert.ok(largest < 2e-3, `CUDA agrees with the CPU (largest relative difference ${largest})`);
    }
  });
});

/** forecast()'s q50/q90/q99 per series, with the inference forced onto one session */
async function forced(f: Forecaster, batch: ForecastInput[], on: 'cpu' | 'cuda'): Promise<number[]> {
  const run = f.runFeatures.bind(f);
  f.runFeatures = (features, n) => run(features, n, on);
  try {
    return (await f.forecast(batch)).flatMap((q) => [q.q50, q.q90, q.q99]);
  } finally {
    f.runFeatures = run;
  }
}
