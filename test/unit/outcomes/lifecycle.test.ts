/** The life of a proposed change: pending until the checkout shows it, decided a period later or when a newer one lands. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advance, type Lifecycle, type Tracked } from '../../../src/outcomes/lifecycle.js';

const change = (id: string): Tracked => ({
  rec: { id, modelVersion: 'm', type: 'HPA', cluster: 'c', namespace: 'n', kind: 'Deployment', name: 'w', container: null, changes: [], currency: 'USD' },
  sloRisk: 0.1,
  quantile: 0.9,
});
const P = 100;
const step = (
  prev: Lifecycle,
  stepEndMs: number,
  o: { landed?: boolean; published?: Tracked; checked?: { atMs: number; forecast: number; realised: number }[] } = {},
) => advance(prev, { stepEndMs, periodMs: P, checked: o.checked ?? [], landed: o.landed ?? false, published: o.published });

describe('change lifecycle', () => {
  it('published → pending → in force when the checkout shows it → decided one period later, with the after window forecasts', () => {
    let s = step({}, 10, { published: change('a') }).next;
    assert.equal(s.pending?.rec.id, 'a');
    s = step(s, 20).next; // not in the checkout yet
    assert.equal(s.inForce, undefined);
    s = step(s, 30, { landed: true }).next;
    assert.equal(s.pending, undefined);
    assert.equal(s.inForce?.inForceAt, 30);
    // checked forecasts made in [30, 130) count for the after window; one made before does not
    s = step(s, 90, {
      checked: [
        { atMs: 20, forecast: 1, realised: 5 },
        { atMs: 30, forecast: 4, realised: 3 }, // covered, loss 0.1 × 1
        { atMs: 40, forecast: 4, realised: 6 }, // missed, loss 0.9 × 2
      ],
    }).next;
    assert.equal(s.inForce?.n, 2);
    assert.ok(Math.abs((s.inForce?.loss ?? 0) - 1.9) < 1e-12);
    assert.equal(s.inForce?.covered, 1);
    const r = step(s, 129);
    assert.deepEqual(r.decide, []);
    const d = step(r.next, 130);
    assert.deepEqual(
      d.decide.map((x) => [x.tracked.rec.id, x.endMs]),
      [['a', 130]],
    );
    assert.deepEqual(d.next, { pending: undefined, inForce: undefined });
  });

  it('a newer change landing ends the earlier one early; a change that never lands is replaced', () => {
    let s = step({}, 10, { published: change('a') }).next;
    s = step(s, 20, { published: change('b') }).next; // 'a' never landed: replaced
    assert.equal(s.pending?.rec.id, 'b');
    s = step(s, 30, { landed: true }).next;
    s = step(s, 40, { published: change('c') }).next;
    const r = step(s, 70, { landed: true });
    assert.deepEqual(
      r.decide.map((x) => [x.tracked.rec.id, x.endMs]),
      [['b', 70]],
    ); // 40 of event time in force, not 100
    assert.equal(r.next.inForce?.rec.id, 'c');
    assert.equal(r.next.inForce?.inForceAt, 70);
  });
});
