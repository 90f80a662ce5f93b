/** Where a rebuild starts after Redis lost a partition's state, and when events are gone for good. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRebuild } from '../../../src/ingest/rebuild-plan.js';

describe('planRebuild', () => {
  it('everything lost, Kafka holds it all: from the earliest offset, nothing missing', () => {
    assert.deepEqual(planRebuild({ stored: -1n, position: 500n, low: 0n, byTime: 0n }), { seekTo: 0n });
  });

  it('an older snapshot restored: from the offset after the one it holds', () => {
    assert.deepEqual(planRebuild({ stored: 199n, position: 500n, low: 100n, byTime: 0n }), { seekTo: 200n });
  });

  it('retention deleted events the windows still need: from the earliest offset, the rest missing', () => {
    assert.deepEqual(planRebuild({ stored: -1n, position: 500n, low: 300n, byTime: 300n }), { seekTo: 300n, missing: { from: 0n, to: 300n } });
    assert.deepEqual(planRebuild({ stored: 99n, position: 500n, low: 300n, byTime: 0n }), { seekTo: 300n, missing: { from: 100n, to: 300n } });
  });

  it('what retention deleted was older than the windows keep: nothing missing, and older records are skipped', () => {
    assert.deepEqual(planRebuild({ stored: -1n, position: 500n, low: 300n, byTime: 350n }), { seekTo: 350n });
  });

  it('never skips what the consumer had not read yet, however old', () => {
    assert.deepEqual(planRebuild({ stored: -1n, position: 500n, low: 0n, byTime: 900n }), { seekTo: 500n });
  });
});
