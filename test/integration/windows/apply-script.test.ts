/**
 * The windows' apply script (applyWindows-n.lua) on a real Redis: its packed arguments (each
 * chunk key's expiry in the key's header, the watermarks in a second packed argument) give every
 * series its watermark and every key its expiry, past the 1,000 members of one ZADD; and a
 * malformed call returns MALFORMED having written nothing (before, the keys ahead of a bad one
 * were written, and a retry merged their buckets again).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { aggregateBatch } from '../../../src/windows/aggregate.js';
import { appliedOffsetKey, seriesZsetKey, windowChunkKey } from '../../../src/windows/redis-keys.js';
import { chunkExpireAt, chunkIndex, bucketIndex, RESOLUTIONS } from '../../../src/windows/resolutions.js';
import { loadScript, ScriptStatus } from '../../../src/windows/scripts.js';
import { WindowStore } from '../../../src/windows/window-store.js';
import { encodeBucket } from '../../../src/windows/bucket-codec.js';
import { addValue, emptySummary } from '../../../src/windows/sketch.js';
import { testRedis, uniqueId } from '../../helpers/env.js';

const redis = testRedis();
after(() => redis.disconnect());

describe('applyWindows-n.lua', () => {
  it('raises the watermark of every series of a batch of 2,500 and sets each chunk key the expiry its header carries', async () => {
    const prefix = uniqueId('apply');
    const store = new WindowStore(redis, prefix);
    const p = { topic: 'apply.metrics', partition: 0 };
    const t0 = Date.now() - 3_600_000;
    const events = Array.from({ length: 2500 }, (_, i) => ({ message: i, seriesId: `c/ns/Deployment/w${i}/-/cpu_usage`, eventTime: t0 + i, value: i / 4 }));
    const out = await store.applyBatch(p, -1n, '2499', aggregateBatch(events, new Map(), 600_000), 0);
    assert.equal(out.status, 'applied');
    const marks = await store.watermarks(
      p,
      events.map((e) => e.seriesId),
    );
    assert.equal(marks.size, 2500);
    for (const e of events) assert.equal(marks.get(e.seriesId), e.eventTime, e.seriesId);
    for (const res of RESOLUTIONS) {
      const chunk = chunkIndex(res, bucketIndex(res, events[7].eventTime));
      const key = windowChunkKey(prefix, p, events[7].seriesId, res.tag, chunk);
      assert.equal(await redis.pexpiretime(key), chunkExpireAt(res, chunk), `${res.name}: ${key}`);
    }
  });

  it('a malformed call (a bad key index after a good key, a truncated argument) returns MALFORMED and writes nothing', async () => {
    const prefix = uniqueId('apply');
    const p = { topic: 'apply.metrics', partition: 0 };
    const apply = loadScript(redis, 'applyWindows-n') as (numKeys: number, args: (string | Buffer | number)[]) => Promise<unknown[]>;
    const seriesId = 'c/ns/Deployment/w1/-/cpu_usage';
    const keys = [appliedOffsetKey(prefix, p), seriesZsetKey(prefix, p), windowChunkKey(prefix, p, seriesId, 'm', 1)];
    const summary = emptySummary();
    addValue(summary, 2);
    const bucket = encodeBucket(summary);
    const group = (keyIndex: number): Buffer => {
      const head = Buffer.alloc(16);
      head.writeUInt32LE(keyIndex, 0);
      head.writeUInt16LE(1, 4); // one bucket
      head.writeUInt16LE(1, 6); // that may exist: read and merged
      head.writeDoubleLE(Date.now() + 86_400_000, 8);
      const b = Buffer.alloc(6);
      b.writeUInt32LE(3, 0);
      b.writeUInt16LE(bucket.length, 4);
      return Buffer.concat([head, b, bucket]);
    };
    const digits = String(Date.now());
    const watermarks = Buffer.alloc(4 + 2 + Buffer.byteLength(seriesId) + 1 + digits.length);
    watermarks.writeUInt32LE(1, 0);
    watermarks.writeUInt16LE(Buffer.byteLength(seriesId), 4);
    watermarks.write(seriesId, 6);
    watermarks.writeUInt8(digits.length, 6 + Buffer.byteLength(seriesId));
    watermarks.write(digits, 7 + Buffer.byteLength(seriesId), 'latin1');
    const good = group(3);
    const cases: [string, Buffer, Buffer][] = [
      ['a key index past KEYS after a good key', watermarks, Buffer.concat([good, group(9)])],
      ['the applied-offset key as a chunk key', watermarks, Buffer.concat([good, group(1)])],
      ['deltas cut in a bucket', watermarks, Buffer.concat([good, group(3)]).subarray(0, good.length + 20)],
      ['deltas cut in a key header', watermarks, Buffer.concat([good, good.subarray(0, 10)])],
      ['watermarks cut', watermarks.subarray(0, watermarks.length - 3), good],
      ['more watermarks announced than given', Buffer.concat([Buffer.from([2, 0, 0, 0]), watermarks.subarray(4)]), good],
      ['no group for a key (deltas cut at a group boundary)', watermarks, Buffer.alloc(0)],
      ['a watermark that is not a number', Buffer.concat([watermarks.subarray(0, watermarks.length - 2), Buffer.from('x1')]), good],
      ['a bucket shorter than the shortest form', watermarks, Buffer.concat([good.subarray(0, 20), Buffer.from([3, 0]), Buffer.alloc(3)])],
    ];
    for (const [what, w, deltas] of cases) {
      const res = await apply(keys.length, [...keys, '-1', '5', '0', w, deltas]);
      assert.equal(res[0], ScriptStatus.MALFORMED, what);
      for (const k of keys) assert.equal(await redis.exists(k), 0, `${what}: ${k} was written`);
    }
    // the same call, well formed, applies
    const res = await apply(keys.length, [...keys, '-1', '5', '0', watermarks, good]);
    assert.equal(res[0], ScriptStatus.APPLIED);
    assert.equal(await redis.exists(keys[2]), 1);
  });
});
