/** After a hole in a partition's history, a series is scored again once its longest window lies after the hole. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { enoughEvidence, evidenceNeededMs } from '../../../src/recommend/evidence.js';

const HOUR = 3_600_000;

describe('enoughEvidence', () => {
  it('waits a day of event time after the hole with the default policy', () => {
    assert.equal(evidenceNeededMs(DEFAULT_POLICY), 24 * HOUR);
    const holeEnd = 1_000 * HOUR;
    assert.equal(enoughEvidence(holeEnd, holeEnd + 23 * HOUR, DEFAULT_POLICY), false);
    assert.equal(enoughEvidence(holeEnd, holeEnd + 24 * HOUR, DEFAULT_POLICY), true);
  });

  it("waits for the policy's longest window when it is longer than a day", () => {
    const weekly = { ...DEFAULT_POLICY, resources: { ...DEFAULT_POLICY.resources, windowHours: 168 } };
    assert.equal(evidenceNeededMs(weekly), 168 * HOUR);
    assert.equal(enoughEvidence(0, 100 * HOUR, weekly), false);
  });

  it('does not wait when the history is whole', () => {
    assert.equal(enoughEvidence(undefined, 0, DEFAULT_POLICY), true);
  });
});
