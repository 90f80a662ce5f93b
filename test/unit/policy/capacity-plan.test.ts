import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scaleToMisses, summarisePlan } from '../../../src/policy/backtest-summary.js';
import { planCapacity, type CapacityStep } from '../../../src/policy/capacity-plan.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { MODEL, planRows, STEP } from './plan-rows.js';

const policy = (over: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({ ...structuredClone(DEFAULT_POLICY), sloAdaptation: 0, ...over });
const step = (capacity: number): CapacityStep => ({ capacity, forecast: { q50: 0, q90: 0, q99: 0 }, rules: [], published: false });

describe('capacity plan', () => {
  it('raises at once; cuts only when wanted past the hysteresis for a whole cooldown, by at most the max step', () => {
    const p = policy({ change: { maxStepPercent: 50, cooldownMinutes: 10, hysteresisPercent: 10 } });
    const demand = Array(9).fill(100); // the peak cap (100 × 1.2) stays out of the way below 120
    const f = [100, 110, 105, 20, 20, 20, 20, 20, 20].map((v) => ({ q99: v }));
    const plan = planCapacity(planRows(demand, f), p, MODEL);
    assert.deepEqual(
      plan.map((s) => s!.capacity),
      [100, 110, 110, 110, 110, 55, 55, 55, 27.5],
    );
    assert.ok(plan[0]!.rules.includes('initial') && plan[1]!.rules.includes('raise'));
    assert.ok(!plan[2]!.published, 'within 10%: held');
    assert.ok(plan[3]!.rules.includes('stabilising') && plan[4]!.rules.includes('stabilising'), 'a cut waits for the cooldown (2 steps)');
    assert.ok(plan[5]!.rules.includes('max-step') && plan[5]!.published, 'then halves');
    assert.ok(plan[6]!.rules.includes('stabilising'), 'a new window after the cut');
  });

  it('uses the quantile the SLO risk asks for, in whole replicas within bounds', () => {
    const p = policy({
      sloRisk: 0.1,
      replicas: { min: 2, max: 5, perReplicaCapacity: 1, targetUtilization: 0.5, metric: 'cpu_usage', nodePool: 'default', peakMargin: 0.2 },
    });
    const plan = planCapacity(
      planRows(
        [10, 10],
        [
          { q90: 1.2, q99: 9 },
          { q90: 9, q99: 20 },
        ],
      ),
      p,
      MODEL,
    );
    assert.deepEqual(
      plan.map((s) => [s!.replicas, s!.capacity]),
      [
        [3, 1.5],
        [5, 2.5],
      ],
    );
    assert.ok(plan[1]!.rules.includes('replica-bounds'));
  });

  it('never holds more than the history peak × (1 + peakMargin)', () => {
    const p = policy({ replicas: { ...DEFAULT_POLICY.replicas, peakMargin: 0.2 }, change: { ...DEFAULT_POLICY.change, maxStepPercent: 1000 } });
    const plan = planCapacity(planRows([5, 10, 8], [{ q99: 50 }, { q99: 50 }, { q99: 50 }]), p, MODEL);
    assert.deepEqual(
      plan.map((s) => s!.capacity),
      [6, 12, 12],
    );
    assert.ok(plan.every((s) => s!.rules.includes('peak-cap')));
  });

  it('summarises under-provisioning, the scaled VPA-style baseline and the attainable saving', () => {
    const values = Array.from({ length: 3000 }, (_, i) => 10 + (i % 288 < 144 ? 5 : 0));
    const plan = values.map(() => step(16));
    plan[2000] = { ...step(1), published: true };
    plan[2001] = { ...step(16), published: true };
    plan[500] = { ...step(16), published: true }; // before the scored rows: not counted
    const s = summarisePlan(values, plan, STEP, 1000);
    assert.equal(s.changes_per_day, 0.288, '2 changes over 2000 five-minute rows (6.94 days)');
    // rows 1000 … 1999 only: the cut at row 2000 (in force for row 2001) and both changes fall outside
    const head = summarisePlan(values, plan, STEP, 1000, 2000);
    assert.equal(head.rows, 1000);
    assert.equal(head.under_provisioned_share, 0);
    assert.equal(head.changes_per_day, 0);
    assert.equal(head.capacity_hours, +(16 * 1000 * (STEP / 3_600_000)).toFixed(4));
    assert.equal(s.rows, 2000);
    assert.equal(s.under_provisioned_share, 0.0005);
    const h = STEP / 3_600_000;
    assert.equal(s.static_peak_capacity_hours, +(15 * h * 2000).toFixed(4));
    assert.equal(s.capacity_hours, +((1999 * 16 + 1) * h).toFixed(4));
    assert.equal(s.saving_vs_static_peak, +(1 - (1999 * 16 + 1) / (15 * 2000)).toFixed(4));
    let oracle = 0;
    for (let t = 1000; t < 3000; t++) oracle += values[t];
    assert.equal(s.oracle_capacity_hours, +(oracle * h).toFixed(4));
    assert.equal(s.attainable_saving_share, +((15 * 2000 - (1999 * 16 + 1)) / (15 * 2000 - oracle)).toFixed(4));
    assert.ok(s.vpa_capacity_hours > 0 && s.vpa_under_provisioned_share >= 0);
    assert.ok(Math.abs(s.scaled_vpa_capacity_hours - s.vpa_scale * s.vpa_capacity_hours) < 1e-3 * s.vpa_capacity_hours);
  });

  it('scales the baseline to miss no more often than allowed: the smallest such multiple', () => {
    const demand = [10, 10, 10, 10, 20];
    const base = [10, 10, 10, 10, 10];
    assert.equal(scaleToMisses(demand, base, 0), 2, 'no miss: ×2 covers the 20');
    assert.equal(scaleToMisses(demand, base, 1), 1, 'one miss allowed: ×1');
    assert.equal(scaleToMisses([5, 5], [10, 10], 0), 0.5, 'an over-provisioning baseline scales down');
  });
});
