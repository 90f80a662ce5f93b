import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidateBases, selectBase, SELECTION_WARMUP, COST_STEPS, type BaseSelection } from '../../../src/policy/base-selection.js';
import { decideStep, initialState } from '../../../src/policy/decide-replicas.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { replicaStateFields, replicaStateOf } from '../../../src/windows/batch-state.js';
import { MODEL, STEP } from './plan-rows.js';

const policy: ResolvedPolicy = { ...structuredClone(DEFAULT_POLICY), sloRisk: 0.01, sloAdaptation: 0.1 };
// adaptScale moves the log multiplier by γ(1 − r) after a miss, −γr otherwise; r = 0.8 × 0.01
const r = 0.008;

describe('base selection (the adaptive calibration chooses its base per series by recent calibrated cost)', () => {
  it('candidate bases: the forecast-led base, q90, the last hour’s peak', () => {
    const history = [1, 9, 2, ...Array(12).fill(3)];
    const [forecastLed, q90, recent] = candidateBases({ q50: 2, q90: 5, q99: 8 }, history, 12);
    assert.equal(q90, 5);
    assert.equal(recent, 3); // the 9 lies more than 12 steps back
    assert.ok(forecastLed >= 3, 'last value plus volatility');
  });

  it('each candidate is judged on what would have been in force with it, and its multiplier moves by the calibration step', () => {
    const prev: BaseSelection = { logScale: [0, 0], last: [10, 20, 5], cost: [10, 20, 5], steps: 1, chosen: 0 };
    // in force 12 (change rules held the chosen candidate's 10 up): judged 12, 24, 6; demand 8 misses only candidate 2 (6)
    const s = selectBase(prev, 0, [10, 10, 10], 8, 100, 100, policy, 12);
    assert.ok(Math.abs(s.logScale0 - -0.1 * r) < 1e-12);
    assert.ok(Math.abs(s.selection.logScale[0] - -0.1 * r) < 1e-12);
    assert.ok(Math.abs(s.selection.logScale[1] - 0.1 * (1 - r)) < 1e-12);
    // a miss beyond the cap in force (capBefore 7) does not wind the multiplier up
    const capped = selectBase(prev, 0, [10, 10, 10], 8, 7, 100, policy, 12);
    assert.equal(capped.selection.logScale[1], 0);
    // capacities are capped at the peak cap; the trailing cost moves by 1/COST_STEPS of the difference
    assert.deepEqual(
      s.selection.last.map((c) => +c.toFixed(6)),
      [10 * Math.exp(-0.1 * r), 10 * Math.exp(-0.1 * r), 10 * Math.exp(0.1 * (1 - r))].map((c) => +c.toFixed(6)),
    );
    assert.ok(Math.abs(s.selection.cost[1] - (20 + (s.selection.last[1] - 20) / COST_STEPS)) < 1e-9);
    const low = selectBase(prev, 0, [10, 10, 10], 8, 100, 6, policy, 12);
    assert.deepEqual(low.selection.last, [6, 6, 6]);
  });

  it('uses candidate 0 during the warm-up, then the one cheapest on trailing average', () => {
    const prev: BaseSelection = { logScale: [0, 0], last: [10, 10, 10], cost: [10, 12, 4], steps: SELECTION_WARMUP - 1, chosen: 0 };
    const warm = selectBase(prev, 0, [10, 12, 4], 0, 100, 100, policy, 10);
    assert.equal(warm.selection.chosen, 0);
    assert.equal(warm.demand, warm.selection.last[0]);
    const after = selectBase(warm.selection, warm.logScale0, [10, 12, 4], 0, 100, 100, policy, 10);
    assert.equal(after.selection.chosen, 2);
    assert.equal(after.demand, after.selection.last[2]);
  });

  it('the engine picks the cheaper base on a jumpy series, keeps the state through the workload hash, and never exceeds the cap', () => {
    let s = initialState();
    // a series alternating 1 and 10: the forecast-led base carries the volatility margin, the last hour's peak (10) is cheaper
    const values: number[] = Array.from({ length: 288 }, (_, i) => (i % 2 ? 10 : 1));
    let capacity = 0;
    for (let t = 0; t < 2 * SELECTION_WARMUP; t++) {
      values.push(t % 2 ? 10 : 1);
      const history = values.slice(-288);
      const { state, decision } = decideStep(s, { stepEndMs: (t + 1) * STEP, history, forecast: { q50: 5, q90: 9, q99: 12 } }, policy, MODEL);
      s = replicaStateOf(replicaStateFields(state, undefined)); // as the live loop stores it
      capacity = decision.capacity;
      assert.ok(capacity <= 10 * 1.2 + 1e-9);
    }
    assert.ok(s.bases && s.bases.chosen !== 0, `chosen ${s.bases?.chosen}`);
    assert.ok(capacity < 20);
  });
});
