/** Anomaly model: Python ↔ TypeScript parity on golden vectors, and causality. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { anomalyWindow, WINDOW } from '../../../src/scoring/anomaly-features.js';
import { AnomalyModel } from '../../../src/scoring/anomaly-model.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';

const golden = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'anomaly-golden.json'), 'utf8')) as {
  vectors: { series: string; t: number; raw: number[]; normalised: number[]; score: number }[];
};

describe('anomaly model serving', () => {
  it('normalises windows as the training code does (1e-9) and scores the same (1e-4)', async () => {
    const model = await AnomalyModel.load();
    const batch = new Float32Array(golden.vectors.length * WINDOW);
    golden.vectors.forEach((g, k) => {
      const w = anomalyWindow(g.raw);
      w.forEach((x, i) => assert.ok(Math.abs(x - g.normalised[i]) <= 1e-9 * Math.max(1, Math.abs(g.normalised[i])), `${g.series}@${g.t}[${i}]`));
      batch.set(w, k * WINDOW);
    });
    const out = await model.runWindows(batch, golden.vectors.length);
    golden.vectors.forEach((g, k) => assert.ok(Math.abs(out[k] - g.score) <= 1e-4, `${g.series}@${g.t}: ${out[k]} vs ${g.score}`));
    for (const s of out) assert.ok(s >= 0 && s < 1);
  });

  it('is causal: the score of row t is the same when the input is cut after row t', async () => {
    const model = await AnomalyModel.load();
    const values = Array.from({ length: 300 }, (_, i) => 50 + 10 * Math.sin(i / 9) + (i === 200 ? 80 : 0));
    const full = await model.scoreSeries(values);
    for (const t of [47, 150, 200, 299]) {
      const cut = await model.scoreSeries(values.slice(0, t + 1));
      assert.ok(Math.abs(cut[t] - full[t]) <= 1e-6, `row ${t}: ${cut[t]} vs ${full[t]}`);
    }
    assert.equal(full[10], 0, 'warm-up rows score 0');
    assert.ok(full[200] > 0.8, `the spike scores high: ${full[200]}`);
    assert.ok(full[150] < 0.5, `a normal point scores low: ${full[150]}`);
  });
});
