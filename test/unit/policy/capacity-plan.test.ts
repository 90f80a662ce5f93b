import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarisePlan } from '../../../src/policy/backtest-summary.js';
import { planCapacity } from '../../../src/policy/capacity-plan.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';

const policy = (over: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({ ...structuredClone(DEFAULT_POLICY), ...over });
const STEP = 300_000;

describe('capacity plan', () => {
  it('raises at once, cuts only past hysteresis and cooldown, by at most the max step', () => {
    const p = policy({ change: { maxStepPercent: 50, cooldownMinutes: 10, hysteresisPercent: 10 } });
    const f = [100, 150, 140, 20, 20, 20, 20, 20].map((v) => ({ q99: v }));
    const plan = planCapacity(f, p, STEP);
    assert.deepEqual(plan.map((s) => s!.capacity), [100, 150, 150, 75, 75, 37.5, 37.5, 20]);
    assert.ok(plan[0]!.rules.includes('initial') && plan[1]!.rules.includes('raise'));
    assert.ok(plan[2]!.rules.includes('hysteresis-or-cooldown'), 'within 10%: held');
    assert.ok(plan[3]!.rules.includes('max-step'), 'a cut, halved: the cooldown (2 steps) has passed');
    assert.ok(plan[4]!.rules.includes('hysteresis-or-cooldown'), 'cooldown after the cut');
    assert.ok(plan[7]!.rules.includes('cut'));
  });

  it('uses the quantile the SLO risk asks for, in whole replicas within bounds', () => {
    const p = policy({ sloRisk: 0.1, replicas: { min: 2, max: 5, perReplicaCapacity: 1, targetUtilization: 0.5, metric: 'cpu_usage', nodePool: 'default' } });
    const plan = planCapacity([{ q90: 1.2, q99: 9 }, { q90: 9, q99: 20 }], p, STEP);
    assert.deepEqual(plan.map((s) => [s!.replicas, s!.capacity]), [[3, 1.5], [5, 2.5]]);
  });

  it('summarises under-provisioning and capacity-hours against static peak and VPA-style', () => {
    const values = Array.from({ length: 3000 }, (_, i) => 10 + (i % 288 < 144 ? 5 : 0));
    const plan = values.map(() => ({ capacity: 16, rules: [] as string[] }));
    plan[2000] = { capacity: 1, rules: [] };
    const s = summarisePlan(values, plan, STEP, 1000);
    assert.equal(s.rows, 2000);
    assert.equal(s.under_provisioned_share, 0.0005);
    const h = STEP / 3_600_000;
    assert.equal(s.static_peak_capacity_hours, +(15 * h * 2000).toFixed(4));
    assert.equal(s.capacity_hours, +((1999 * 16 + 1) * h).toFixed(4));
    assert.equal(s.saving_vs_static_peak, +(1 - (1999 * 16 + 1) / (15 * 2000)).toFixed(4));
    assert.ok(s.vpa_capacity_hours > 0 && s.vpa_under_provisioned_share >= 0);
  });
});
