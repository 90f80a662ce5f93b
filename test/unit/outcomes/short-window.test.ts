/**
 * A change superseded minutes after it came in force (a reviewer's find #13) was judged on a
 * window of 1–2 steps: one step a hair above capacity read as 50% under-provisioned, a
 * regression, an alert and a ×1.1 tightening. A window shorter than an hour (or than the whole
 * period, when that is shorter) is now insufficient-data. The reviewer's case, by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advance } from '../../../src/outcomes/lifecycle.js';
import type { Tracked } from '../../../src/outcomes/lifecycle.js';
import { MIN_JUDGED_STEPS, verdictOf, windowFigures } from '../../../src/outcomes/figures.js';

const S = 300_000;
const t0 = 1_790_000_000_000 - (1_790_000_000_000 % S);
const mk = (id: string): Tracked => ({ rec: { id, changes: [] }, sloRisk: 0.01, quantile: 0.99 }) as unknown as Tracked;
const held = { capacity: 100, amount: 10, hourlyCost: 1 };

describe('an outcome window cut short by a newer change', () => {
  it('is insufficient-data below an hour, judged from an hour on', () => {
    // A in force at t0, B in force 10 minutes later: A is decided on 2 steps
    let st = advance({ pending: mk('A') }, { stepEndMs: t0, periodMs: 86_400_000, checked: [], landed: true }).next;
    st = { ...st, pending: mk('B') };
    const [d] = advance(st, { stepEndMs: t0 + 2 * S, periodMs: 86_400_000, checked: [], landed: true }).decide;
    assert.equal((d.endMs - t0) / S, 2);
    const before = windowFigures([90, 95], t0 - 2 * S, t0, held);
    const after = windowFigures([99, 100.5], t0, d.endMs, held);
    assert.equal(verdictOf(before, after, 0.01).verdict, 'regressed', 'what it was judged before: one step of two over capacity');
    const v = verdictOf(before, after, 0.01, MIN_JUDGED_STEPS);
    assert.equal(v.verdict, 'insufficient-data');
    assert.match(v.explanation, /superseded after 2 5-minute steps .*\(at least 12 are needed\)/);
    // an hour of steps, one over capacity (1 of 12 = 8.3% > 1%): judged, regressed
    const hour = Array.from({ length: 12 }, (_, i) => (i === 5 ? 100.5 : 90));
    const b12 = windowFigures(
      hour.map(() => 90),
      t0 - 12 * S,
      t0,
      held,
    );
    const a12 = windowFigures(hour, t0, t0 + 12 * S, held);
    assert.equal(verdictOf(b12, a12, 0.01, MIN_JUDGED_STEPS).verdict, 'regressed');
  });
});
