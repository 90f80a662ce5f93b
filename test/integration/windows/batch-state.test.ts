/**
 * The loop's per-batch state (windows/batch-state.ts) against real Redis: a write sends only
 * what changed (HSET, HDEL of the fields that went, DEL when none is left; nothing for a hash
 * replaced by the same fields) and Redis then holds exactly the hash in memory, with its expiry.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BatchState } from '../../../src/windows/batch-state.js';
import { uniqueId } from '../../helpers/env.js';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

describe('batch state', () => {
  it('writes back exactly the hashes held in memory, across batches', async () => {
    const key = `${uniqueId('bstate')}:rec:{ns/w}`;
    const other = `${key}:other`;
    try {
      await redis.hset(key, { a: '1', b: '2', c: '3' });
      let state = new BatchState(redis);
      await state.load([key, other]);
      assert.deepEqual(state.get(key), { a: '1', b: '2', c: '3' });
      assert.deepEqual(state.get(other), {});
      state.replace(key, { a: '10', d: '4' }); // b and c go
      state.set(other, { x: 'y' });
      await state.flush();
      assert.deepEqual(await redis.hgetall(key), { a: '10', d: '4' });
      assert.deepEqual(await redis.hgetall(other), { x: 'y' });
      assert.ok((await redis.pttl(key)) > 59 * 24 * 3_600_000);
      // the same state written again within the batch: a field deleted after the first write goes too
      state.delete(key, 'd');
      await state.flush();
      assert.deepEqual(await redis.hgetall(key), { a: '10' });
      // the same fields and values again: nothing to write (the key's value changed behind it stays)
      await redis.hset(key, 'a', 'behind');
      state.replace(key, { a: '10' });
      await state.flush();
      assert.equal(await redis.hget(key, 'a'), 'behind');
      await redis.hset(key, 'a', '10');
      // the next batch reads what was written; an emptied hash is removed
      state = new BatchState(redis);
      await state.load([key]);
      assert.deepEqual(state.get(key), { a: '10' });
      state.delete(key, 'a');
      await state.flush();
      assert.equal(await redis.exists(key), 0);
    } finally {
      await redis.del(key, other);
    }
  });
});
