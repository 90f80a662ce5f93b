import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { adaptiveBase, budgetProjection, CALIBRATION_MARGIN, idleRule, resourcesRule, spotRule } from '../../../src/policy/rules.js';
import { planRows } from './plan-rows.js';
import { recommendationId } from '../../../src/codec/recommendation-id.js';

const policy = (over: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({ ...structuredClone(DEFAULT_POLICY), ...over });
const MiB = 1024 * 1024;

describe('policy rules', () => {
  it('requests and limits: percentile × margin, minimums, and the VPA OOM bump', () => {
    const p = policy();
    const r = resourcesRule({ cpuPercentile: 0.2, memoryPercentile: 400 * MiB, memoryPeak: 500 * MiB, oomKilled: false }, p);
    assert.equal(r.proposed.cpuRequest, 0.23);
    assert.equal(r.proposed.memoryRequest, 460 * MiB);
    const oom = resourcesRule({ cpuPercentile: 0.2, memoryPercentile: 400 * MiB, memoryPeak: 500 * MiB, oomKilled: true }, p);
    assert.equal(oom.proposed.memoryRequest, 600 * MiB); // max(500 + 100, 500 × 1.2) MiB
    assert.ok(oom.rules.includes('oom-bump'));
    const small = resourcesRule({ cpuPercentile: 0.001, memoryPercentile: MiB, memoryPeak: MiB, oomKilled: true }, p);
    assert.equal(small.proposed.cpuRequest, 0.01);
    assert.equal(small.proposed.memoryRequest, 101 * MiB); // 1 MiB + 100 MiB beats the 64 MiB minimum
  });

  it('under a CPU-utilisation HPA the CPU request keeps the percentile at its target (a lower one makes it add replicas)', () => {
    const p = policy();
    const usage = { cpuPercentile: 0.2, memoryPercentile: 400 * MiB, memoryPeak: 500 * MiB, oomKilled: false };
    // target 70%: 0.2 / 0.7 = 0.2858 (rounded up to the millicore), above 0.2 × 1.15 = 0.23
    const alone = { otherUsage: 0, otherRequests: 0 };
    const r = resourcesRule(usage, p, { target: 0.7, ...alone });
    assert.equal(r.proposed.cpuRequest, 0.286);
    assert.ok(r.rules.includes('cpu-hpa-target:70%'), r.rules.join(','));
    // target 95%: 0.2 / 0.95 = 0.2105 is below the margin's 0.23, which stays (and no target rule)
    const high = resourcesRule(usage, p, { target: 0.95, ...alone });
    assert.equal(high.proposed.cpuRequest, 0.23);
    assert.ok(!high.rules.some((x) => x.startsWith('cpu-hpa-target')));
    // the HPA judges the pod: a sidecar using 0.1 of its 0.1 puts the pod at (0.2 + 0.1) / 0.7 − 0.1 = 0.3286 for this one
    assert.equal(resourcesRule(usage, p, { target: 0.7, otherUsage: 0.1, otherRequests: 0.1 }).proposed.cpuRequest, 0.329);
    // memory is not the HPA's
    assert.equal(r.proposed.memoryRequest, 460 * MiB);
  });

  it('idle and spot', () => {
    const p = policy({ idle: { cpuBelow: 0.05, hours: 3, action: 'suggest-removal' } });
    assert.equal(idleRule([1, 0.01, 0.02, 0.01], p)?.proposed, 'suggest-removal');
    assert.equal(idleRule([0.01, 0.06, 0.01], p), undefined);
    const s = policy({
      spot: {
        eligibleLabels: { tier: 'batch' },
        statelessKinds: ['Deployment'],
        maxCoefficientOfVariation: 0.2,
        nodeSelector: { 'karpenter.sh/capacity-type': 'spot' },
        nodePool: 'spot',
      },
    });
    assert.equal(spotRule({ kind: 'Deployment', labels: { tier: 'batch' } }, [10, 11, 9, 10], s)?.proposed, 'spot');
    assert.equal(spotRule({ kind: 'StatefulSet', labels: { tier: 'batch' } }, [10, 10], s), undefined);
    assert.equal(spotRule({ kind: 'Deployment', labels: {} }, [10, 10], s), undefined);
    assert.equal(spotRule({ kind: 'Deployment', labels: { tier: 'batch' } }, [1, 20, 1, 20], s), undefined);
  });

  it('projects the month-end cost', () => {
    const at = Date.UTC(2026, 10, 16); // 15 of 30 days gone
    assert.equal(budgetProjection(1000, 2, 0, at), 1000 + 2 * 15 * 24);
    // a change of +300 a month is +300 / 730 an hour, over the 360 hours left: 147.95, not half of 300
    assert.ok(Math.abs(budgetProjection(1000, 0, 300, at) - (1000 + (300 / 730) * 360)) < 1e-9);
  });

  it('gives the same id for the same inputs, and another for other inputs', () => {
    const base = {
      workload: 'prod/shop/Deployment/web',
      type: 'HPA',
      changes: [{ field: 'minReplicas', proposed: '4' }],
      forecast: { q99: 3.0000001 },
      modelVersion: 'm1',
    };
    assert.equal(recommendationId(base), recommendationId({ ...base, forecast: { q99: 3 } }));
    assert.notEqual(recommendationId(base), recommendationId({ ...base, changes: [{ field: 'minReplicas', proposed: '5' }] }));
    assert.match(recommendationId(base), /^[0-9a-f]{32}$/);
  });
});

describe('publishing sizing proposals', () => {
  it('moves beyond the hysteresis per field; an OOM raise is urgent', async () => {
    const { movedBeyond, urgentRaise } = await import('../../../src/recommend/sizing.js');
    assert.equal(movedBeyond({ 'requests.cpu': 0.366 }, { 'requests.cpu': 0.373 }, 10), false);
    assert.equal(movedBeyond({ 'requests.cpu': 0.366 }, { 'requests.cpu': 0.5 }, 10), true);
    assert.equal(movedBeyond({ 'nodeSelector.x': 'spot' }, { 'nodeSelector.x': 'spot' }, 10), false);
    assert.equal(movedBeyond({ 'requests.cpu': 0.3 }, { 'requests.cpu': 0.3, 'requests.memory': 1 }, 10), true);
    const c = { type: 'RESOURCES' as const, container: 'app', rec: {} as never, values: { 'requests.memory': 1000 }, urgentRaises: ['requests.memory'] };
    assert.equal(urgentRaise({ 'requests.memory': 990 }, c), true);
    assert.equal(urgentRaise({ 'requests.memory': 1000 }, c), false);
    assert.equal(urgentRaise(undefined, { ...c, urgentRaises: [] }), false);
  });
});

describe('adaptive SLO calibration', () => {
  it('multiplies the largest of the median forecast, the next hour a day ago, and the last demand plus twice its mean move over 3 hours', () => {
    assert.equal(adaptiveBase(10, [1, 2, 3, 4]), 10, 'forecast above recent demand: ahead of a rise');
    assert.equal(adaptiveBase(10, [8, 10, 8, 10, 9]), 9 + 2 * 1.75, 'last 9, mean move 1.75');
    const flat = Array.from({ length: 100 }, (_, i) => (i < 50 ? (i % 2 ? 20 : 0) : 12));
    assert.equal(adaptiveBase(10, flat), 12 + (2 * 0) / 36, 'moves older than 36 steps are gone');
    assert.equal(adaptiveBase(10, [NaN, NaN, NaN]), 10, 'gaps are ignored');
    const day = Array.from({ length: 288 }, (_, i) => (i === 11 ? 30 : 5));
    assert.equal(adaptiveBase(10, day, 12), 30, 'a full day: the next hour one day ago (a daily peak comes back)');
    assert.equal(adaptiveBase(10, day, 11), 10, 'only the next horizon of a day ago');
  });

  it('brings the share of under-provisioned intervals to the SLO risk', async () => {
    const { planCapacity } = await import('../../../src/policy/capacity-plan.js');
    const { MODEL } = await import('./plan-rows.js');
    const { summarisePlan } = await import('../../../src/policy/backtest-summary.js');
    // demand: 10 ± 30% (deterministic noise); the median forecast says 10 every step
    const demand = Array.from({ length: 4000 }, (_, i) => 10 * (1 + 0.3 * Math.sin(i * 12.9898) * Math.cos(i * 78.233)));
    const forecasts = demand.map(() => ({ q50: 10, q90: 12, q99: 30 }));
    for (const risk of [0.01, 0.05]) {
      // (a peak margin that leaves the fixed q99 uncapped, to compare with it)
      const p = policy({
        sloRisk: risk,
        sloAdaptation: 0.05,
        change: { maxStepPercent: 100, cooldownMinutes: 0, hysteresisPercent: 0 },
        replicas: { ...DEFAULT_POLICY.replicas, peakMargin: 10 },
      });
      const rows = planRows(demand, forecasts);
      const s = summarisePlan(demand, planCapacity(rows, p, MODEL), 300_000, 1000);
      const target = CALIBRATION_MARGIN * risk; // aims a little under the risk
      assert.ok(Math.abs(s.under_provisioned_share - target) < target * 0.5 + 0.003, `risk ${risk}: under-provisioned ${s.under_provisioned_share}`);
      assert.ok(s.under_provisioned_share <= risk, `risk ${risk}: under-provisioned ${s.under_provisioned_share}`);
      // and far less capacity than the fixed q99 (30) would hold
      assert.ok(s.capacity_hours < summarisePlan(demand, planCapacity(rows, { ...p, sloAdaptation: 0 }, MODEL), 300_000, 1000).capacity_hours * 0.6);
    }
  });
});
