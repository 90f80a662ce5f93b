/**
 * The loop's per-batch state (windows/batch-state.ts) against real Redis: a write sends only
 * what changed (HSET, HDEL of the fields that went, the hash gone with its last field; nothing for a hash
 * replaced by the same fields) and Redis then holds exactly the hash in memory, with its expiry.
 * Two batches of different partitions that change different fields of one hash (a workload's
 * outcome tracks: its demand series and each container's CPU series) both keep their changes.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BatchState, EXPIRY_REFRESH_MS, ExpiryMemo, STATE_TTL_MS } from '../../../src/windows/batch-state.js';
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

  it("sends only the changed fields, and sets an existing key's expiry at most once per refresh interval", async () => {
    const key = `${uniqueId('bstate')}:rec:{ns/w2}`;
    let now = 1_000_000;
    const memo = new ExpiryMemo(() => now);
    try {
      // created: every field and the expiry
      let state = new BatchState(redis, memo);
      await state.load([key]);
      state.replace(key, { a: '1', b: '2' });
      await state.flush();
      assert.deepEqual(await redis.hgetall(key), { a: '1', b: '2' });
      assert.ok((await redis.pttl(key)) > STATE_TTL_MS - 60_000);
      // the next batch changes b only: a is not sent (a value changed behind it stays), the expiry is not set again
      await redis.hset(key, 'a', 'behind');
      await redis.pexpire(key, 3_600_000);
      state = new BatchState(redis, memo);
      await state.load([key]);
      state.replace(key, { a: 'behind', b: '3' });
      await redis.hset(key, 'a', 'behind-again');
      await state.flush();
      assert.deepEqual(await redis.hgetall(key), { a: 'behind-again', b: '3' });
      assert.ok((await redis.pttl(key)) <= 3_600_000, 'expiry not refreshed within the interval');
      // a refresh interval later: the write sets the expiry again
      now += EXPIRY_REFRESH_MS;
      state = new BatchState(redis, memo);
      await state.load([key]);
      state.set(key, { b: '4' });
      await state.flush();
      assert.equal(await redis.hget(key, 'b'), '4');
      assert.ok((await redis.pttl(key)) > STATE_TTL_MS - 60_000, 'expiry refreshed after the interval');
      // a key that went (another writer deleted it) is created again with its expiry, whatever the memo says
      await redis.del(key);
      state = new BatchState(redis, memo);
      await state.load([key]);
      state.set(key, { b: '5' });
      await state.flush();
      assert.ok((await redis.pttl(key)) > STATE_TTL_MS - 60_000, 'a re-created key has its expiry');
    } finally {
      await redis.del(key);
    }
  });

  it('two batches that read the same hash and change different fields both keep their changes, in either order', async () => {
    // the outcome hash of a workload: its demand series (one partition) ends the HPA track, a container's
    // CPU series (another partition) opens its RESOURCES track, both from the same read
    const key = `${uniqueId('bstate')}:rec:{ns/w3}:outcome`;
    // two processors: each its own memo of expiries set
    const memos = [new ExpiryMemo(), new ExpiryMemo()];
    try {
      for (const demandFirst of [true, false]) {
        await redis.del(key);
        await redis.hset(key, { inForce: 'hpa' });
        await redis.pexpire(key, STATE_TTL_MS);
        for (const m of memos) m.set(key); // its expiry was set just now: not due again
        const demand = new BatchState(redis, memos[0]);
        const container = new BatchState(redis, memos[1]);
        await Promise.all([demand.load([key]), container.load([key])]);
        demand.delete(key, 'inForce'); // its last field: the demand series' view is empty
        container.set(key, { 'pending:RESOURCES:cpu:app': 'res' });
        if (demandFirst) await demand.flush();
        await container.flush();
        if (!demandFirst) await demand.flush();
        assert.deepEqual(await redis.hgetall(key), { 'pending:RESOURCES:cpu:app': 'res' }, `demand series first: ${demandFirst}`);
        const ttl = await redis.pttl(key);
        assert.ok(ttl > STATE_TTL_MS - 60_000, `the hash keeps an expiry (demand series first: ${demandFirst}): ${ttl}`);
      }
    } finally {
      await redis.del(key);
    }
  });
});
