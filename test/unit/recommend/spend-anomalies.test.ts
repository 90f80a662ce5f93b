/** Spend anomalies: which hours the detector scores (hand-checked). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spendHistory } from '../../../src/recommend/spend-anomalies.js';

describe('spend anomaly history', () => {
  it('runs from the first to the last hour with cost: no cost yet is not a drop to zero', () => {
    assert.deepEqual(spendHistory([0, 0, 2, 0, 3, 4, 0, 0]), { history: [2, 0, 3, 4], newest: 5 });
    assert.deepEqual(spendHistory([1]), { history: [1], newest: 0 });
    assert.equal(spendHistory([0, 0, 0]), undefined);
    assert.equal(spendHistory([]), undefined);
    // a fee of 1 in every hour; usage billed up to index 4: the hours after it are not read as a drop
    assert.deepEqual(spendHistory([1, 3, 3, 5, 5, 1, 1], [0, 2, 2, 4, 4, 0, 0]), { history: [1, 3, 3, 5, 5], newest: 4 });
    // fees only: the newest hour with any cost
    assert.deepEqual(spendHistory([1, 1, 1], [0, 0, 0]), { history: [1, 1, 1], newest: 2 });
  });
});
