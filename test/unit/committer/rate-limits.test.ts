/**
 * GitHub's secondary rate limit without `retry-after` (a reviewer's find #15): it failed at
 * once. GitHub's rule: wait at least a minute, then exponentially longer. By hand: attempt 0 →
 * 60 s, 1 → 120 s, 2 → 240 s, within the longest wait; a real permission error still gives up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryDelayMs, SECONDARY_LIMIT_WAIT_MS } from '../../../src/committer/github-backend.js';

const o = { retries: 5, maxWaitMs: 15 * 60_000, backoffMs: 500, now: 1_000_000 };
const secondary = {
  status: 403,
  message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. - https://docs.github.com/rest',
  response: { headers: { 'x-ratelimit-remaining': '4321' }, data: { message: 'You have exceeded a secondary rate limit.' } },
};

describe('GitHub rate limits', () => {
  it('waits a minute, then doubles, on a secondary rate limit that names no wait', () => {
    assert.equal(SECONDARY_LIMIT_WAIT_MS, 60_000);
    assert.deepEqual(
      [0, 1, 2, 3].map((a) => retryDelayMs(secondary, a, o)),
      [60_000, 120_000, 240_000, 480_000],
    );
    assert.equal(retryDelayMs(secondary, 4, { ...o, retries: 10 }), undefined, '16 min is beyond the longest wait (15 min)');
    assert.equal(retryDelayMs({ status: 429, response: { headers: {} } }, 0, o), 60_000, 'a 429 is always a limit');
    assert.equal(retryDelayMs({ status: 403, response: { headers: { 'retry-after': '30' } } }, 0, o), 30_000, 'retry-after, when given, is the wait');
    assert.equal(retryDelayMs({ status: 403, message: 'Resource not accessible by integration', response: { headers: {} } }, 0, o), undefined);
  });
});
