/**
 * The online expert mix of scoring/recalibration.ts on hand-computed cases (the parity with
 * training/train.py online_quantiles on real series is in forecaster.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyRecalibration, recalibrate, type RecalibrationState } from '../../../src/scoring/recalibration.js';

const STEP = 300_000;
const MIX = { decay: 0.5, rate: 1 };
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

describe('expert mix', () => {
  it('starts with equal weights on the model, the last hour’s peak and the same hour a day ago', () => {
    // a day of history: the first hour (the horizon a day ago) at 20, the rest at 10
    const history = Array.from({ length: 288 }, (_, i) => (i < 12 ? 20 : 10));
    const { forecast, state } = recalibrate(emptyRecalibration(), { q50: 5, q90: 8, q99: 12 }, history, STEP, STEP, 12, 0, MIX);
    close(forecast.q50, (5 + 10 + 20) / 3, 'q50');
    close(forecast.q90, (8 + 10 + 20) / 3, 'q90');
    close(forecast.q99, (12 + 10 + 20) / 3, 'q99');
    assert.deepEqual(state.pending[0].experts, [5, 8, 12, 10, 20]);
  });

  it('leans on the expert with the smaller trailing loss once a horizon has passed', () => {
    const history = Array(288).fill(10); // flat: the naive and seasonal forecasts (10) are exact
    let st: RecalibrationState = emptyRecalibration();
    let f = { q50: 0, q90: 0, q99: 0 };
    for (let t = 1; t <= 13; t++) ({ forecast: f, state: st } = recalibrate(st, { q50: 5, q90: 8, q99: 12 }, history, t * STEP, STEP, 12, 0, MIX));
    // at step 13 the forecasts of step 1 are checked against the peak 10: the model's pinball
    // losses are 0.5·5 = 2.5, 0.9·2 = 1.8, 0.01·2 = 0.02; the baselines' 0. Per quantile
    // z = −rate · L / mean(L) = (−3, 0, 0): weights e⁻³ : 1 : 1
    const w = Math.exp(-3);
    close(st.losses![0][0], 2.5, 'model loss q50');
    close(st.losses![0][1], 1.8, 'model loss q90');
    close(st.losses![1][1], 0, 'naive loss q90');
    close(f.q50, (5 * w + 20) / (w + 2), 'q50');
    close(f.q90, (8 * w + 20) / (w + 2), 'q90');
    close(f.q99, (12 * w + 20) / (w + 2), 'q99');
    // one more check: the losses decay by half before the new one is added
    ({ state: st } = recalibrate(st, { q50: 5, q90: 8, q99: 12 }, history, 14 * STEP, STEP, 12, 0, MIX));
    close(st.losses![0][0], 2.5 * 0.5 + 2.5, 'decayed model loss q50');
  });

  it('recalibrates the mixed forecast; a state saved before the mix existed starts with equal weights', () => {
    const history = Array(288).fill(10);
    const { forecast } = recalibrate(emptyRecalibration(), { q50: 40, q90: 40, q99: 40 }, history, STEP, STEP, 12, 0.1, MIX);
    close(forecast.q50, 20, 'q50');
    close(forecast.q90, 20, 'q90');
    // a state saved before the mix existed (no losses): equal weights, its multipliers applied
    const old = { logMult: [0, Math.log(2), 0] as [number, number, number], pending: [] };
    const { forecast: g, state } = recalibrate(old, { q50: 1, q90: 4, q99: 7 }, history, STEP, STEP, 12, 0.1, MIX);
    close(g.q90, 2 * 8, 'q90 × its multiplier');
    assert.equal(state.losses!.length, 3);
  });

  it('without a mix recalibrates the model alone, as before', () => {
    const { forecast, state } = recalibrate(emptyRecalibration(), { q50: 5, q90: 8, q99: 12 }, Array(288).fill(10), STEP, STEP, 12, 0.1);
    assert.deepEqual(forecast, { q50: 5, q90: 8, q99: 12 });
    assert.equal(state.losses, undefined);
    assert.equal(state.pending[0].experts, undefined);
  });
});
