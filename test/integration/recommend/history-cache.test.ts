/**
 * The scoring's kept histories (recommend/history-cache.ts) against real Redis windows: step
 * after step, with late events into buckets already scored (five-minute and hour ones), a read
 * through the cache equals a full read of the windows, while it reads only the newest buckets.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ANOMALY_WINDOW } from '../../../src/scoring/anomaly-detector.js';
import { HistoryCache } from '../../../src/recommend/history-cache.js';
import { historiesFromWindows } from '../../../src/recommend/window-history.js';
import { aggregateBatch, type WindowEvent } from '../../../src/windows/aggregate.js';
import { WindowStore, type BucketRequest } from '../../../src/windows/window-store.js';
import { scanKeys } from '../../../src/windows/redis-client.js';
import { uniqueId } from '../../helpers/env.js';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

const MIN = 60_000;
const HOUR = 60 * MIN;
const LATENESS = 10 * MIN;

describe('kept histories', () => {
  it('give what a full read gives, step after step, with late events into scored buckets, reading only the newest buckets', async () => {
    const prefix = uniqueId('hcache');
    const store = new WindowStore(redis, prefix);
    const ref = { topic: `${prefix}.metrics`, partition: 0 };
    const asked: BucketRequest[] = [];
    const spy = { lastTotals: (r: BucketRequest[]) => (asked.push(...r), store.lastTotals(r)) } as unknown as WindowStore;
    const cache = new HistoryCache(LATENESS);
    const [s, t] = ['c/ns/Deployment/s/-/cpu', 'c/ns/Deployment/t/-/cpu'];
    const watermarks = new Map<string, number>();
    let offset = -1n;
    const apply = async (events: Omit<WindowEvent, 'message'>[]): Promise<number> => {
      const agg = aggregateBatch(
        events.map((e, message) => ({ ...e, message })),
        watermarks,
        LATENESS,
      );
      for (const [id, wm] of agg.watermarks) watermarks.set(id, wm);
      assert.equal((await store.applyBatch(ref, offset, String(offset + 1n), agg, 0)).status, 'applied');
      offset++;
      return agg.late.length;
    };
    const minutes = (id: string, from: number, to: number): Omit<WindowEvent, 'message'>[] =>
      Array.from({ length: (to - from) / MIN }, (_, m) => ({ seriesId: id, eventTime: from + m * MIN + 1_000, value: 10 + ((from / MIN + m) % 17) })).filter(
        (e) => Math.floor(e.eventTime / MIN) % 23 !== 0,
      ); // a few minutes without a sample
    const compare = async (ids: string[], endMs: number): Promise<BucketRequest[]> => {
      asked.length = 0;
      const cached = await historiesFromWindows(
        spy,
        ids.map((seriesId) => ({ ref, seriesId, endMs })),
        0,
        ANOMALY_WINDOW,
        cache,
      );
      const reads = [...asked];
      const full = await historiesFromWindows(
        store,
        ids.map((seriesId) => ({ ref, seriesId, endMs })),
        0,
        ANOMALY_WINDOW,
      );
      assert.ok(full.every((h) => h !== undefined));
      assert.deepEqual(cached, full, `at ${new Date(endMs).toISOString()}`);
      return reads;
    };

    const H = Math.floor(Date.now() / HOUR) * HOUR - HOUR; // an hour boundary in the past
    // 50 hours of both series, then s's steps one by one; t is silent until the last
    assert.equal(await apply([...minutes(s, H - 50 * HOUR, H - 10 * MIN), ...minutes(t, H - 50 * HOUR, H - 10 * MIN)]), 0);
    const first = await compare([s, t], H - 10 * MIN);
    assert.deepEqual(
      first.map((r) => [r.resolution, r.n]),
      [
        ['five', ANOMALY_WINDOW],
        ['coarse', 169],
        ['five', ANOMALY_WINDOW],
        ['coarse', 169],
      ],
    );
    // the step to H − 5 min, with a sample 7 minutes late into a scored bucket (taken) and one 30 minutes late (refused)
    const late = (id: string, at: number, value: number): Omit<WindowEvent, 'message'> => ({ seriesId: id, eventTime: at, value });
    assert.equal(await apply([late(s, H - 17 * MIN, 500), late(s, H - 40 * MIN, 900), ...minutes(s, H - 10 * MIN, H - 5 * MIN)]), 1);
    const next = await compare([s], H - 5 * MIN);
    // from the bucket holding H − 10 min − lateness: 3 five-minute buckets; no hour can have changed (all after H − 1 h)
    assert.deepEqual(
      next.map((r) => [r.resolution, r.n]),
      [['five', 3]],
    );
    // the step that closes the hour H, with a sample late into the hour before
    await apply([late(s, H - 14 * MIN, 700), ...minutes(s, H - 5 * MIN, H)]);
    assert.deepEqual(
      (await compare([s], H)).map((r) => [r.resolution, r.n]),
      [
        ['five', 3],
        ['coarse', 1],
      ],
    );
    // after the hour: a sample 2 minutes back lands in the hour just closed (its hour bucket changes); t comes back after 4 steps
    await apply([late(s, H - 2 * MIN, 2_000), ...minutes(s, H, H + 5 * MIN), ...minutes(t, H - 10 * MIN, H + 5 * MIN)]);
    await compare([s, t], H + 5 * MIN);
    // a replayed batch closes several steps of s at once, the newer first: each as a full read gives it, the newest kept
    await apply(minutes(s, H + 5 * MIN, H + 15 * MIN));
    const steps = [H + 15 * MIN, H + 10 * MIN].map((endMs) => ({ ref, seriesId: s, endMs }));
    assert.deepEqual(await historiesFromWindows(store, steps, 0, ANOMALY_WINDOW, cache), await historiesFromWindows(store, steps, 0, ANOMALY_WINDOW));
    assert.equal(cache.get(ref, s)?.endMs, H + 15 * MIN);
    // emptied (partitions moved, or Redis lost state): read whole again, still the same
    cache.clear();
    assert.equal((await compare([s], H + 15 * MIN)).find((r) => r.resolution === 'five')?.n, ANOMALY_WINDOW);

    for await (const { keys } of scanKeys(redis, `${prefix}:*`)) if (keys.length) await redis.del(...keys);
  });
});
