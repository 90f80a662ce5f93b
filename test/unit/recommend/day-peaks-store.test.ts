/**
 * The workloads' daily peaks in Redis (real Redis, FORESIGHT_REDIS_URL): written with each batch's
 * state flush, remembered per batch so that batches of several partitions at once do not take each
 * other's writes for done, written again after Redis lost them, and read back for a `like` event
 * (with the batch's own queued peaks over what Redis holds).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DAY_MS, dayOf, ringPeak, type DayPeak } from '../../../src/policy/day-peaks.js';
import { parseEventsFile } from '../../../src/policy/events.js';
import { DayPeaksStore } from '../../../src/recommend/day-peaks-store.js';
import type { Logger } from '../../../src/telemetry/log.js';
import { BatchState } from '../../../src/windows/batch-state.js';
import { dayPeaksKey } from '../../../src/windows/redis-keys.js';
import { testRedis, uniqueId } from '../../helpers/env.js';

const redis = testRedis();
after(() => redis.disconnect());

const D = dayOf(Date.parse('2026-11-20T00:00:00Z'));
const warnings: string[] = [];
const log = { warn: (_: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
const week = (level: number): DayPeak[] => Array.from({ length: 7 }, (_, i) => ({ day: D - 7 + i, peak: level }));
const stored = async (prefix: string, workload: string, day: number): Promise<number | undefined> =>
  ringPeak(await redis.getBuffer(dayPeaksKey(prefix, workload)), day);

describe('daily peaks in Redis', () => {
  it('are remembered per batch: a batch that failed keeps its writes due, whatever another batch did meanwhile', async () => {
    const prefix = uniqueId();
    const store = new DayPeaksStore(redis, prefix, log);
    const a = new BatchState(redis);
    const b = new BatchState(redis);
    store.record(a, 'w1', week(10));
    store.record(b, 'w2', week(20)); // b's flush never happens (its send failed)
    await a.flush();
    store.flushed(a);
    assert.ok(Math.abs((await stored(prefix, 'w1', D - 1))! - 10) < 0.01);
    assert.equal(await stored(prefix, 'w2', D - 1), undefined);
    // the next hour close of w2 writes its days again
    const c = new BatchState(redis);
    store.record(c, 'w2', week(20));
    await c.flush();
    store.flushed(c);
    assert.ok(Math.abs((await stored(prefix, 'w2', D - 1))! - 20) < 0.02, 'written by the next batch');
    // unchanged peaks are not written again; after forget() (Redis lost state) they are
    await redis.del(dayPeaksKey(prefix, 'w1'));
    const d = new BatchState(redis);
    store.record(d, 'w1', week(10));
    await d.flush();
    assert.equal(await stored(prefix, 'w1', D - 1), undefined, 'remembered as written');
    store.forget();
    const e = new BatchState(redis);
    store.record(e, 'w1', week(10));
    await e.flush();
    store.flushed(e);
    assert.ok(Math.abs((await stored(prefix, 'w1', D - 1))! - 10) < 0.01, 'written again after forget()');
    const ttl = await redis.pttl(dayPeaksKey(prefix, 'w1'));
    assert.ok(ttl > 399 * DAY_MS && ttl <= 400 * DAY_MS, `expires 400 days after its write: ${ttl}`);
  });

  it("give a like event its multiplier from Redis and the batch's queued peaks, and log a missing reference once", async () => {
    const prefix = uniqueId();
    const store = new DayPeaksStore(redis, prefix, log);
    const day = (d: number): string => new Date(d * DAY_MS).toISOString().slice(0, 10);
    const [ev] = parseEventsFile(
      'f',
      `apiVersion: foresight.dev/v1\nkind: Events\nevents:\n  - name: bf\n    start: "${day(D + 3)}T00:00:00Z"\n    end: "${day(D + 4)}T00:00:00Z"\n    like: "${day(D)}"\n`,
    );
    const events = [ev];
    const at = (D + 3) * DAY_MS - 3_600_000;
    // the baseline in Redis (10 each day), the reference only queued in this batch (35): ×3.5
    const s1 = new BatchState(redis);
    store.record(s1, 'w', week(10));
    await s1.flush();
    store.flushed(s1);
    const s2 = new BatchState(redis);
    store.record(s2, 'w', [{ day: D, peak: 35 }]);
    assert.equal(await store.like('w', ev, events, at, s2), 3.5);
    // another workload without daily peaks: missing, logged once however often it is asked
    const before = warnings.length;
    assert.equal(await store.like('other', ev, events, at, s2), undefined);
    assert.equal(await store.like('other', ev, events, at + 3_600_000, s2), undefined);
    assert.equal(await store.like('other', ev, [...events], at + 7_200_000, s2), undefined, 'the events file reloaded');
    assert.equal(warnings.length - before, 1, warnings.slice(before).join('\n'));
    assert.match(
      warnings.at(-1)!,
      /known event bf: its reference \d{4}-\d{2}-\d{2} cannot be measured from other's daily peaks \(no daily peak for .*\): no raise/,
    );
  });
});
