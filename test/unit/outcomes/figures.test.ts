/** The outcome figures and the online quality on hand-computed cases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideStep, initialState } from '../../../src/policy/decide-replicas.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { replicaStateFields, replicaStateOf } from '../../../src/windows/batch-state.js';
import { counterRates, MAX_TIGHTENING, pinball, tighteningAfter, tighteningFor, verdictOf, windowFigures, type Held } from '../../../src/outcomes/figures.js';
import { coverageBand, emptyQuality, figuresOf, qualityStep, type QualityState } from '../../../src/outcomes/quality.js';
import { MODEL, STEP } from '../policy/plan-rows.js';

const S = 300_000; // one 5-minute step
const close = (a: number | null, b: number, msg?: string): void => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} ≠ ${b}`);

// Before: 2 replicas of usable capacity 1 for 10 steps (50 minutes), one step without data, one step at 3.
const beforeDemand = [1, 1, 1, 1, 1, 3, 1, 1, null, 1];
// After: 3 replicas for 10 steps, one step at 4.
const afterDemand = [2, 2, 2, 2, 4, 2, 2, 2, 2, 2];
// `replicas` of usable capacity `per`, at 0.5 per replica-hour (null: the price unknown)
const held = (replicas: number, per: number, price: number | null = 0.5): Held => ({
  capacity: replicas * per,
  amount: replicas,
  hourlyCost: price === null ? null : replicas * price,
});

describe('outcome figures', () => {
  const before = windowFigures(beforeDemand, 0, 10 * S, held(2, 1));
  const after = windowFigures(afterDemand, 10 * S, 20 * S, held(3, 1));

  it('computes each window against the capacity in force', () => {
    assert.equal(before.intervals, 9);
    close(before.underProvisionedShare, 1 / 9); // only the 3 exceeds 2
    close(before.meanSlack, (8 * 0.5 - 0.5) / 9); // (2 − 1)/2 eight times, (2 − 3)/2 once
    close(before.capacityHours, 2 * (50 / 60)); // 2 replicas × 50 minutes
    close(before.cost, 50 / 60); // × 0.5 per replica-hour
    assert.equal(after.intervals, 10);
    close(after.underProvisionedShare, 0.1);
    close(after.meanSlack, (9 / 3 - 1 / 3) / 10);
    close(after.capacityHours, 3 * (50 / 60));
    close(after.cost, 1.5 * (50 / 60));
  });

  it('a window without data has null figures, and an unknown price a null cost (never 0)', () => {
    const empty = windowFigures([null, null], 0, 2 * S, held(2, 1));
    assert.deepEqual(empty, {
      startMs: 0,
      endMs: 2 * S,
      intervals: 0,
      underProvisionedShare: null,
      meanSlack: null,
      capacityHours: null,
      cost: null,
      secondaryOverShare: null,
    });
    assert.equal(windowFigures([1], 0, S, held(2, 1, null)).cost, null);
  });

  it('verdicts: regressed above the SLO risk, neutral within it at a higher cost, saved when cheaper, insufficient-data without half the minutes', () => {
    assert.equal(verdictOf(before, after, 0.05).verdict, 'regressed'); // 10% > 5%
    assert.match(verdictOf(before, after, 0.05).explanation, /under-provisioned 10\.0% .*before: 11\.1%.*5\.0%/);
    assert.equal(verdictOf(before, after, 0.2).verdict, 'neutral'); // 10% ≤ 20%, cost 1.25 > 0.833
    const cheaper = windowFigures(afterDemand, 10 * S, 20 * S, held(1, 5)); // 1 replica of 5: no minute over
    assert.equal(cheaper.underProvisionedShare, 0);
    const v = verdictOf(before, cheaper, 0.05);
    assert.equal(v.verdict, 'saved');
    assert.match(v.explanation, /cost down 50\.0%/); // 5/12 against 5/6
    // a cost unknown: judged on capacity-hours, and said so
    const unknown = windowFigures(afterDemand, 10 * S, 20 * S, held(1, 5, null));
    assert.match(verdictOf(before, unknown, 0.05).explanation, /capacity-hours \(cost unknown\) down 50\.0%/);
    const sparse = windowFigures([1, null, null, null], 0, 4 * S, held(2, 1));
    assert.equal(verdictOf(sparse, after, 0.05).verdict, 'insufficient-data');
  });

  it('an unknown capacity judges no under-provisioning: never regressed, the verdict on cost, and said so', () => {
    const unknown = windowFigures(afterDemand, 10 * S, 20 * S, { capacity: null, amount: 3, hourlyCost: 1.5 });
    assert.equal(unknown.underProvisionedShare, null);
    assert.equal(unknown.meanSlack, null);
    close(unknown.capacityHours, 3 * (50 / 60));
    const v = verdictOf(before, unknown, 0.01);
    assert.equal(v.verdict, 'neutral'); // cost 1.25 against 0.833: up 50%
    assert.match(v.explanation, /cost up 50\.0% with under-provisioning not judged/);
  });

  it("a model server's queue above its SLO under-provisions a step whatever the capacity, and is reported", () => {
    // capacity 3: the 4 of step 5 is over; the queue is above the 2 allowed (an SLO of 1 per replica × 2 replicas) at steps 2 and 5 (and at step 9, which has no demand: not counted)
    const demand = [2, 2, 2, 2, 4, 2, 2, 2, null, 2];
    const depth = [0, 3, 1, 1, 5, 0, null, 0, 9, 0];
    const w = windowFigures(demand, 0, 10 * S, held(3, 1), { values: depth, limit: 2 });
    close(w.underProvisionedShare, 2 / 9); // steps 2 and 5 of the 9 with demand
    close(w.secondaryOverShare, 3 / 9); // 3, 5 and 9 of the 9 steps with queue data
    // a throughput only learnt (capacity unknown): the queue alone judges
    const learnt = windowFigures(demand, 0, 10 * S, { capacity: null, amount: 3, hourlyCost: null }, { values: depth, limit: 2 });
    close(learnt.underProvisionedShare, 2 / 9);
    assert.equal(learnt.meanSlack, null);
  });

  it("a counter's demand is its per-second rate between steps, as Prometheus's rate(): a gap spreads the increase, a reset counts from 0", () => {
    // 300/300 s; 600/300 s; no value; 300 over two steps (600 s); a reset: 100 counted from 0; 300/300 s
    assert.deepEqual(counterRates([0, 300, 900, null, 1200, 100, 400]), [1, 2, null, 0.5, 100 / 300, 1]);
  });

  it('pinball loss and the tightening a regressed change gets', () => {
    close(pinball(0.9, 5, 4), 0.9); // under-forecast: q × 1
    close(pinball(0.9, 3, 4), 0.1); // over-forecast: (1 − q) × 1
    // after window sorted: 2 ×9, 4; the 95% quantile (nearest rank 10) is 4 against the capacity 3
    close(tighteningFor(afterDemand, 3, 0.05), Math.log(4 / 3));
    close(tighteningFor(afterDemand, 3, 0.2), Math.log(1.1)); // at least a 10% raise
    close(tighteningFor([100], 3, 0.05), Math.log(4)); // at most × 4
  });

  it('the tightening relaxes after a run of saved or neutral outcomes, bounded, and regressed ones restart the count', () => {
    const t0 = { tighten: Math.log(4), calm: 0 };
    const t1 = tighteningAfter(t0, 'saved');
    assert.deepEqual(t1, { tighten: Math.log(4), calm: 1 }); // one good outcome: kept
    assert.deepEqual(tighteningAfter(t1, 'insufficient-data'), t1); // no evidence: nothing changes
    const t2 = tighteningAfter(t1, 'neutral');
    close(t2.tighten, Math.log(2)); // two in a row: halved (×4 → ×2)
    assert.equal(t2.calm, 0);
    const t3 = tighteningAfter(tighteningAfter(t2, 'saved'), 'saved');
    close(t3.tighten, Math.log(2) / 2); // ×1.41
    const t4 = tighteningAfter(tighteningAfter(t3, 'saved'), 'saved');
    close(t4.tighten, Math.log(2) / 4); // ×1.19
    const t5 = tighteningAfter(tighteningAfter(t4, 'saved'), 'saved');
    close(t5.tighten, Math.log(2) / 8);
    const t6 = tighteningAfter(tighteningAfter(t5, 'saved'), 'saved');
    assert.deepEqual(t6, { tighten: 0, calm: 0 }); // ×1.044 < ×1.05: dropped
    assert.deepEqual(tighteningAfter(t6, 'saved'), t6); // nothing to relax
    // a regressed one in between restarts the count, and the sum stays under the cap
    const r = tighteningAfter({ tighten: Math.log(2), calm: 1 }, 'regressed', Math.log(3));
    assert.deepEqual(r, { tighten: MAX_TIGHTENING, calm: 0 });
    assert.deepEqual(tighteningAfter(r, 'saved'), { tighten: MAX_TIGHTENING, calm: 1 });
  });

  it('the decision engine raises the demand at risk by the tightening and cites the outcome', () => {
    const p: ResolvedPolicy = {
      ...structuredClone(DEFAULT_POLICY),
      sloAdaptation: 0,
      change: { ...DEFAULT_POLICY.change, maxStepPercent: 1000 },
      replicas: { min: 1, max: 50, perReplicaCapacity: 1, targetUtilization: 1, metric: 'cpu_usage', nodePool: 'default', peakMargin: 10 },
    };
    const input = { stepEndMs: STEP, history: Array(288).fill(4), forecast: { q50: 2, q90: 3, q99: 4 }, current: { minReplicas: 4, maxReplicas: 10 } };
    const plain = decideStep(initialState(), input, p, MODEL).decision;
    const tightened = decideStep({ ...initialState(), tighten: Math.log(2), tightenedBy: 'abc' }, input, p, MODEL).decision;
    assert.equal(plain.proposed.level, 4);
    assert.equal(tightened.proposed.level, 8); // q99 4 × 2
    assert.ok(tightened.rules.includes('outcome-regressed:abc:x2.00'), tightened.rules.join(','));
    // kept in the workload's Redis hash
    const back = replicaStateOf(replicaStateFields({ ...initialState(), tighten: 0.5, tightenedBy: 'abc' }, undefined));
    assert.equal(back.tighten, 0.5);
    assert.equal(back.tightenedBy, 'abc');
  });
});

describe('online forecast quality', () => {
  // α 0.5, horizon 1 step of 1 ms, quantile 0.9, band [0.85, 0.95], capacity 4, drift after 1 ms out of band
  const step = (s: QualityState, t: number, history: number[], forecast: number) =>
    qualityStep(s, {
      stepEndMs: t,
      history,
      forecast,
      quantile: 0.9,
      capacity: 4,
      stepMs: 1,
      horizon: 1,
      alpha: 0.5,
      minChecks: 1,
      band: coverageBand(0.9, 0.05),
      driftPeriodMs: 1,
    });

  it('checks each forecast against the realised peak and weights the figures exponentially', () => {
    const s1 = step(emptyQuality(), 1, [5], 4);
    assert.deepEqual(figuresOf(s1.state), { pinballLoss: null, coverage: null, underProvisionedShare: 1 }); // 5 > 4
    const s2 = step(s1.state, 2, [5, 3], 6); // the forecast 4 made at 1 meets 3: covered, loss 0.1 × 1
    assert.deepEqual(s2.checked, [{ atMs: 1, forecast: 4, realised: 3 }]);
    close(figuresOf(s2.state).pinballLoss, 0.1);
    close(figuresOf(s2.state).coverage, 1);
    close(figuresOf(s2.state).underProvisionedShare, 0.25 / 0.75); // (0.5 × 0.5 + 0) / (0.25 + 0.5)
    assert.equal(s2.drift, undefined); // out of band (1 > 0.95) since 2, not yet for 1 ms
    const s3 = step(s2.state, 3, [5, 3, 8], 6); // the forecast 6 meets 8: missed, loss 0.9 × 2
    close(figuresOf(s3.state).pinballLoss, (0.5 * 0.05 + 0.5 * 1.8) / 0.75);
    close(figuresOf(s3.state).coverage, 0.25 / 0.75);
    assert.deepEqual(s3.drift, { since: 2, coverage: 0.25 / 0.75 });
    const s4 = step(s3.state, 4, [5, 3, 8, 6], 6); // still out of band: said once per excursion
    assert.equal(s4.drift, undefined);
    assert.deepEqual(coverageBand(0.99, 0.05), [0.94, 1]);
  });
});
