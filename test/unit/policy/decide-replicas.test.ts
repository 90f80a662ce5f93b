import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMoney, decideStep, initialState, type ReplicaState } from '../../../src/policy/decide-replicas.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { replicaStateFields, replicaStateOf } from '../../../src/windows/batch-state.js';
import { recalibrate, emptyRecalibration } from '../../../src/scoring/recalibration.js';
import { MODEL, STEP } from './plan-rows.js';

const hpa = (over: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({
  ...structuredClone(DEFAULT_POLICY),
  replicas: { min: 2, max: 20, perReplicaCapacity: 1, targetUtilization: 0.5, metric: 'cpu_usage', nodePool: 'default', peakMargin: 0.2 },
  ...over,
});
const flat = (v: number): number[] => Array(288).fill(v);

describe('decision engine', () => {
  it('HPA: minReplicas for the demand at risk in whole usable replicas, maxReplicas for the q99 with headroom, within bounds', () => {
    const p = hpa({ sloAdaptation: 0 });
    const { decision } = decideStep(
      initialState(),
      { stepEndMs: STEP, history: flat(4), forecast: { q50: 2, q90: 3, q99: 4 }, current: { minReplicas: 6, maxReplicas: 10 } },
      p,
      MODEL,
    );
    assert.deepEqual(decision.proposed, { level: 8, maxReplicas: 10 }); // q99 4 / 0.5 = 8; max ceil(4.8 / 0.5) = 10
    assert.ok(decision.publish && decision.rules.includes('raise'));
    const bounded = decideStep(
      initialState(),
      { stepEndMs: STEP, history: flat(100), forecast: { q50: 0, q90: 0, q99: 100 }, current: { minReplicas: 20, maxReplicas: 20 } },
      p,
      MODEL,
    );
    assert.equal(bounded.decision.publish, false);
    assert.ok(bounded.decision.rules.includes('replica-bounds'));
  });

  it('does not repeat a proposal the manifest has not taken yet', () => {
    const p = hpa({ sloAdaptation: 0 });
    const input = { stepEndMs: STEP, history: flat(4), forecast: { q50: 2, q90: 3, q99: 4 }, current: { minReplicas: 6, maxReplicas: 10 } };
    const first = decideStep(initialState(), input, p, MODEL);
    const again = decideStep(first.state, { ...input, stepEndMs: 2 * STEP }, p, MODEL);
    assert.equal(again.decision.publish, false);
  });

  it('maxReplicas obeys the change rules: a cut only after a whole cooldown below the hysteresis, and only with a change of the floor (issue 11)', () => {
    // sloAdaptation 0: demand = min(q99, cap); cap = peak 1.2 × (1 + 0.2) = 1.44 → minReplicas ceil(1.44 / 0.5) = 3 (peak 1.6: 1.92 → 4);
    // maxReplicas target ceil(q99 × 1.2 / 0.5): q99 4.6 → 12 (11.04), 4.5 → 11 (10.8), 4.1 → 10 (9.84).
    // Defaults: hysteresis 5%, cooldown 15 min, step 50%; 5-minute steps.
    const p = hpa({ sloAdaptation: 0 });
    const q99s = [4.5, 4.6, 4.1, 4.5, 4.1, 4.5, 4.1];
    const run = (manifest: { minReplicas: number; maxReplicas: number }, lastPeak: number): { published: string[]; rules: string[][] } => {
      let state = initialState();
      const published: string[] = [];
      const rules: string[][] = [];
      q99s.forEach((q99, i) => {
        const peak = i === q99s.length - 1 ? lastPeak : 1.2;
        const step = decideStep(state, { stepEndMs: (i + 1) * STEP, history: flat(peak), forecast: { q50: 1, q90: 2, q99 }, current: manifest }, p, MODEL);
        state = step.state;
        rules.push(step.decision.rules);
        const { reference: r, proposed: n } = step.decision;
        if (step.decision.publish) published.push(`${i}:${r!.level}/${r!.maxReplicas}→${n.level}/${n.maxReplicas}`);
      });
      return { published, rules };
    };
    // in force 3/12, the floor stays 3: targets 11, 12, 10, 11, 10, 11 — below 12 by more than 5% from step 2 on; the window is
    // whole at step 5 (15 min), but a ceiling cut alone saves nothing: it waits; at step 6 the floor rises 3→4 and the cut to 10 goes with it
    const inForce = run({ minReplicas: 3, maxReplicas: 12 }, 1.6);
    assert.deepEqual(inForce.published, ['6:3/12→4/10']);
    assert.ok(inForce.rules[5].includes('maxReplicas:cut-waits-for-floor') && inForce.rules[1].every((r) => !r.startsWith('maxReplicas:')));
    // in force 2/12 and not merged (the manifest keeps it): the floor's raise 2→3 is published once, the ceiling holds at 12, and
    // nothing is re-proposed around the pending 3/12 (before: 3/11, 3/12, 3/10, 3/11, ... every 5 minutes)
    assert.deepEqual(run({ minReplicas: 2, maxReplicas: 12 }, 1.2).published, ['0:2/12→3/12']);
  });

  it('a ceiling raise is at once (12 = ceil(4.6 × 1.2 / 0.5) above 10)', () => {
    const p = hpa({ sloAdaptation: 0 });
    const input = { stepEndMs: STEP, history: flat(1.2), forecast: { q50: 1, q90: 2, q99: 4.6 }, current: { minReplicas: 3, maxReplicas: 10 } };
    const up = decideStep(initialState(), input, p, MODEL).decision;
    assert.deepEqual([up.publish, up.proposed], [true, { level: 3, maxReplicas: 12 }]);
    assert.ok(up.rules.includes('maxReplicas:raise'));
  });

  it('the adaptive multiplier is not wound up by misses the peak cap would not let it fix, and comes down after a burst', () => {
    const p = hpa({ sloAdaptation: 0.05, replicas: { ...hpa().replicas, max: 1000 }, change: { ...DEFAULT_POLICY.change, maxStepPercent: 1000 } });
    let s: ReplicaState = initialState();
    const run = (history: number[], n: number, t0: number): number => {
      for (let i = 0; i < n; i++) s = decideStep(s, { stepEndMs: (t0 + i) * STEP, history, forecast: { q50: 4, q90: 5, q99: 6 } }, p, MODEL).state;
      return s.logScale;
    };
    run(flat(4), 10, 1);
    const before = s.logScale;
    // a burst far above anything the history holds: capacity at the cap, misses do not raise the multiplier
    const burst = [...flat(4).slice(1), 400];
    run(burst, 1, 20);
    assert.ok(s.logScale <= before, 'a miss at the cap does not wind up');
    // a burst of misses below the cap (4.5, under the cap 4 × 1.2): it rises, then comes back down
    const climb = [...flat(4).slice(1), 4.5];
    s = { ...s, level: 2 }; // capacity 1 in force: a miss
    const up = run(climb, 1, 40);
    assert.ok(up > before);
    const quiet = Math.ceil((up - before) / (0.05 * 0.8 * 0.01)) + 10;
    const down = run(flat(4), quiet, 50);
    assert.ok(down <= before + 1e-9, `back to ${down} from ${up} after ${quiet} quiet steps`);
  });

  it('recalibrates the forecaster per series: a forecast checked H steps later against the peak since', () => {
    let st = emptyRecalibration();
    const history = flat(10);
    for (let t = 1; t <= 13; t++) st = recalibrate(st, { q50: 5, q90: 8, q99: 12 }, history, t * STEP, STEP, 12, 0.1).state;
    // at step 13 the forecast of step 1 (q50 5, q90 8 < 10: misses; q99 12: covered) was checked
    assert.ok(Math.abs(st.logMult[0] - 0.1 * 0.5) < 1e-12 && Math.abs(st.logMult[1] - 0.1 * 0.9) < 1e-12 && Math.abs(st.logMult[2] + 0.1 * 0.01) < 1e-12);
    assert.equal(st.pending.length, 12);
  });

  it('its state survives the round trip through the workload hash', () => {
    const s = decideStep(initialState(), { stepEndMs: STEP, history: flat(4), forecast: { q50: 2, q90: 3, q99: 4 } }, hpa(), { ...MODEL, gamma: 0.01 }).state;
    assert.deepEqual(JSON.parse(JSON.stringify(replicaStateOf(replicaStateFields(s, 'x')))), JSON.parse(JSON.stringify(s)));
  });

  it('flags a published change critical by its size and its cost (the budgets come after, money/money.ts guard)', () => {
    const p = hpa({ sloAdaptation: 0, critical: { changePercentAbove: 50, monthlyCostIncreaseAbove: 100, budgetBreach: true, spot: false } });
    const { decision } = decideStep(
      initialState(),
      { stepEndMs: STEP, history: flat(4), forecast: { q50: 2, q90: 3, q99: 4 }, current: { minReplicas: 1, maxReplicas: 10 } },
      p,
      MODEL,
    );
    assert.ok(decision.proposed.level > 1.5, `a raise of more than 50%: ${decision.proposed.level}`);
    const money = applyMoney(decision, p, 1460);
    assert.deepEqual(money, { monthlyCostDelta: 1460, critical: true });
    assert.ok(decision.rules.includes('critical:change-size') && decision.rules.includes('critical:cost-increase'), decision.rules.join());
  });
});
