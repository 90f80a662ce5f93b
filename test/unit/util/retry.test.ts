/** The one retry helper: its capped exponential delay, and a caller-given delay that can give up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForesightError } from '../../../src/util/errors.js';
import { backoffDelayMs, retry } from '../../../src/util/retry.js';

describe('backoffDelayMs', () => {
  it('doubles from the first delay and stops at the cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 40].map((a) => backoffDelayMs(a, 500, 30_000)),
      [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
    );
    assert.equal(backoffDelayMs(3, 500), 4000); // no cap
  });
});

describe('retry', () => {
  it('tries again after the delay the caller gives, and reports each retry', async () => {
    const seen: [number, number][] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        if (++calls < 3) throw new Error('not yet');
        return 'done';
      },
      { retries: 5, delayMs: (_err, attempt) => attempt, onRetry: (_err, attempt, delay) => seen.push([attempt, delay]) },
    );
    assert.equal(result, 'done');
    assert.equal(calls, 3);
    assert.deepEqual(seen, [
      [1, 0],
      [2, 1],
    ]);
  });

  it('rethrows at once when the caller-given delay is undefined, and after the last try', async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw new Error('refused');
        },
        { retries: 5, delayMs: () => undefined },
      ),
      /refused/,
    );
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw new Error('down');
        },
        { retries: 2, delayMs: () => 0 },
      ),
      /down/,
    );
    assert.equal(calls, 3);
  });

  it('by default stops at a ForesightError that is not retriable, and retries one that is', async () => {
    let calls = 0;
    await assert.rejects(
      retry(async () => {
        calls++;
        throw new ForesightError('POLICY_INVALID', 'bad policy');
      }),
      /bad policy/,
    );
    assert.equal(calls, 1);
    calls = 0;
    const r = await retry(
      async () => {
        if (++calls < 2) throw new ForesightError('REDIS_UNAVAILABLE', 'down', { retriable: true });
        return calls;
      },
      { initialDelayMs: 1 },
    );
    assert.equal(r, 2);
  });
});
