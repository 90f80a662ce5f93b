import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COARSE, QUARTER } from '../../../src/windows/resolutions.js';
import { addValue, emptySummary, type Summary } from '../../../src/windows/sketch.js';
import { hourlyMeans, rangeSummary } from '../../../src/windows/window-query.js';
import type { BucketRequest, WindowStore } from '../../../src/windows/window-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ref = { topic: 't', partition: 0 };

function bucketOf(values: number[]): Summary {
  const s = emptySummary();
  for (const v of values) addValue(s, v);
  return s;
}

/**
 * The store's read API over buckets given by resolution and start time (what Redis would
 * answer), recording the requests: the split between hours and 6-hour buckets is what is tested.
 */
function storeOf(buckets: { coarse?: Map<number, Summary>; quarter?: Map<number, Summary> }): { store: WindowStore; asked: BucketRequest[] } {
  const asked: BucketRequest[] = [];
  const read = (reqs: BucketRequest[]): (Summary | null)[][] =>
    reqs.map((r) => {
      asked.push(r);
      const res = r.resolution === 'coarse' ? COARSE : QUARTER;
      const byStart = (r.resolution === 'coarse' ? buckets.coarse : buckets.quarter) ?? new Map<number, Summary>();
      const last = Math.floor(r.endMs / res.bucketMs);
      return Array.from({ length: r.n }, (_, i) => byStart.get((last - r.n + 1 + i) * res.bucketMs) ?? null);
    });
  const store = {
    lastBuckets: (reqs: BucketRequest[]) => Promise.resolve(read(reqs)),
    lastTotals: (reqs: BucketRequest[]) =>
      Promise.resolve(read(reqs).map((bs) => bs.map((b) => (b ? { count: b.count, sum: b.sum, min: b.min, max: b.max } : null)))),
  } as unknown as WindowStore;
  return { store, asked };
}

describe('window queries across the hour and 6-hour buckets', () => {
  const end = 100 * DAY; // a 6-hour boundary

  it('reads a range within 7 days from the hour buckets alone', async () => {
    const { store, asked } = storeOf({ coarse: new Map([[end - 2 * HOUR, bucketOf([1, 2])]]) });
    const r = await rangeSummary(store, ref, 's', 'coarse', end - 24 * HOUR, end - 1);
    assert.deepEqual([r.summary.count, r.buckets], [2, 1]);
    assert.deepEqual(
      asked.map((a) => [a.resolution, a.n]),
      [['coarse', 24]],
    );
  });

  it('reads a 10-day range as hours for its last 7 days and 6-hour buckets before, a 6-hour bucket counting as 6 hours', async () => {
    const { store, asked } = storeOf({
      coarse: new Map([[end - HOUR, bucketOf([4])]]),
      quarter: new Map([
        [end - 9 * DAY, bucketOf([1, 3])],
        [end - 7 * DAY, bucketOf([100])], // after the split: the hours hold it, not read again
      ]),
    });
    const r = await rangeSummary(store, ref, 's', 'coarse', end - 10 * DAY, end - 1);
    // split at end − 7 days (already a 6-hour boundary): 168 hours, then 12 quarters over [end − 10 d, end − 7 d)
    assert.deepEqual(
      asked.map((a) => [a.resolution, a.n, a.endMs]),
      [
        ['coarse', 168, end - 1],
        ['quarter', 12, end - 7 * DAY - 1],
      ],
    );
    assert.deepEqual([r.summary.count, r.summary.sum, r.summary.max, r.buckets], [3, 8, 4, 1 + 6]);
  });

  it('gives hourly means, and for hours older than 7 days the 6-hour bucket’s highest sample once per hour', async () => {
    const { store } = storeOf({
      coarse: new Map([
        [end - 2 * HOUR, bucketOf([0.25, 0.75])],
        [end - HOUR, bucketOf([1])],
      ]),
      // from end − 7 d − 9 h: the quarter starting 12 h before the split has 3 of its hours in the range
      quarter: new Map([
        [end - 7 * DAY - 12 * HOUR, bucketOf([0.125, 4])],
        [end - 7 * DAY - 6 * HOUR, bucketOf([2])],
      ]),
    });
    assert.deepEqual(await hourlyMeans(store, ref, 's', end, 2), [0.5, 1]);
    const long = await hourlyMeans(store, ref, 's', end, 7 * 24 + 9);
    assert.equal(long.length, 3 + 6 + 2);
    assert.deepEqual(long, [4, 4, 4, 2, 2, 2, 2, 2, 2, 0.5, 1]);
  });

  it('answers hourly means from hour buckets read already when they cover the hours asked, and reads the store otherwise', async () => {
    const { store, asked } = storeOf({ coarse: new Map([[end - HOUR, bucketOf([9])]]) });
    // the scoring's read: the means of the 3 hours before `end`, oldest first (one without events)
    const read = { endMs: end, means: Float64Array.from([2, NaN, 0.25]) };
    assert.deepEqual(await hourlyMeans(store, ref, 's', end, 2, read), [0.25]);
    assert.deepEqual(await hourlyMeans(store, ref, 's', end, 3, read), [2, 0.25]);
    assert.equal(asked.length, 0);
    // more hours than were read, or hours before another end: the store's buckets
    assert.deepEqual(await hourlyMeans(store, ref, 's', end, 4, read), [9]);
    assert.deepEqual(await hourlyMeans(store, ref, 's', end - HOUR, 1, read), []);
    assert.deepEqual(
      asked.map((a) => [a.n, a.endMs]),
      [
        [4, end - 1],
        [1, end - HOUR - 1],
      ],
    );
  });
});
