/**
 * Money's price memo (real Redis, FORESIGHT_REDIS_URL): a pool's unit prices are read once while
 * billing stands still, across scored batches; a batch costs one round trip to see where billing
 * stands, and billing rows applied meanwhile count from the next batch.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BillingRecord } from '../../../src/codec/generated-types.js';
import { Money, PRICE_MEMO_MAX_MS, type MoneyDeps } from '../../../src/money/money.js';
import { costIncrements } from '../../../src/windows/billing.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { scanKeys } from '../../../src/windows/redis-client.js';
import { focusRow } from '../../helpers/billing.js';
import { testRedis, uniqueId } from '../../helpers/env.js';

const redis = testRedis();
const prefixes: string[] = [];
const ref = { topic: 'billing.v1', partition: 0 };
const nov = (day: number, hour = 0): number => Date.UTC(2026, 10, day, hour);

/** One vCPU-hour of pool general billed at `cost` at hour `h` of Nov 2. */
const cpuRow = (h: number, cost: number): BillingRecord => focusRow({ start: nov(2, h), unit: 'vCPU-Hours', quantity: 1, cost, pool: 'general', tags: {} });

/** A cost store that counts its price reads (not Redis's server-wide command counts: other test files share that Redis). */
function countingStore(prefix: string, partitions = 1): CostStore & { reads: number } {
  const store = new CostStore(redis, prefix, [{ topic: ref.topic, partitions }]) as CostStore & { reads: number };
  store.reads = 0;
  const poolPrices = store.poolPrices.bind(store);
  store.poolPrices = (pool, atMs) => {
    store.reads++;
    return poolPrices(pool, atMs);
  };
  return store;
}

/** A fresh prefix whose counting store holds one vCPU-hour of pool general at 0.04 (offset 1), and Money over it. */
async function billedMoney(): Promise<{ prefix: string; store: CostStore & { reads: number }; money: Money }> {
  const prefix = uniqueId('prices');
  prefixes.push(prefix);
  const store = countingStore(prefix);
  assert.equal((await store.applyBatch(ref, -1n, '1', costIncrements(cpuRow(0, 0.04)))).status, 'applied');
  return { prefix, store, money: new Money({ costs: store } as unknown as MoneyDeps) };
}

after(async () => {
  for (const p of prefixes) for await (const { keys } of scanKeys(redis, `${p}:*`)) if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('price memo across batches', () => {
  it('reads a pool once while billing stands still, and again from the batch after a billing write', async () => {
    const { store, money } = await billedMoney();

    money.newBatch();
    assert.equal((await money.prices('general', nov(3))).cpuCoreHour, 0.04);
    assert.equal(store.reads, 1);
    for (let batch = 0; batch < 5; batch++) {
      money.newBatch();
      assert.equal((await money.prices('general', nov(3))).cpuCoreHour, 0.04);
    }
    assert.equal(store.reads, 1, 'batches after the first read no billing hash while billing stands still');

    // a second row: 0.04 + 0.08 for 2 vCPU-hours, 0.06 a core-hour
    assert.equal((await store.applyBatch(ref, 1n, '2', costIncrements(cpuRow(1, 0.08)))).status, 'applied');
    assert.equal((await money.prices('general', nov(3))).cpuCoreHour, 0.04, 'within the batch, the price it began with');
    money.newBatch();
    assert.ok(Math.abs((await money.prices('general', nov(3))).cpuCoreHour! - 0.06) < 1e-12, 'the next batch sees the billing write');
    assert.equal(store.reads, 2);
  });

  it('a pool without prices is remembered as unknown too, and a failed stamp read is not', async () => {
    const prefix = uniqueId('prices');
    prefixes.push(prefix);
    const store = countingStore(prefix, 2);
    const money = new Money({ costs: store } as unknown as MoneyDeps);
    money.newBatch();
    const unknown = await money.prices('spot', nov(3));
    assert.equal(unknown.cpuCoreHour, undefined);
    money.newBatch();
    assert.deepEqual(await money.prices('spot', nov(3)), unknown);
    assert.equal(store.reads, 1);

    // the stamp read fails once (a broken connection): that batch fails, the next reads it again
    const broken = new CostStore(redis, prefix, [{ topic: ref.topic, partitions: 2 }]);
    let fail = true;
    const stamp = broken.stamp.bind(broken);
    broken.stamp = () => (fail ? Promise.reject(new Error('connection lost')) : stamp());
    const m2 = new Money({ costs: broken } as unknown as MoneyDeps);
    m2.newBatch();
    await assert.rejects(m2.prices('spot', nov(3)), /connection lost/);
    fail = false;
    assert.deepEqual(await m2.prices('spot', nov(3)), unknown);
  });

  it('starts over after PRICE_MEMO_MAX_MS of wall time even while billing stands still (month hashes expire without moving an offset)', async (t) => {
    const { store, money } = await billedMoney();
    money.newBatch();
    await money.prices('general', nov(3));
    money.newBatch();
    await money.prices('general', nov(3));
    assert.equal(store.reads, 1);
    const realNow = Date.now;
    t.after(() => {
      Date.now = realNow;
    });
    Date.now = () => realNow() + PRICE_MEMO_MAX_MS + 1;
    money.newBatch();
    assert.equal((await money.prices('general', nov(3))).cpuCoreHour, 0.04);
    assert.equal(store.reads, 2, 'read again once the memo is older than its wall-time bound');
  });

  it('a price read while Redis had lost its data is not kept once a rebuild brings the offsets back (review find)', async () => {
    const { prefix, store, money } = await billedMoney();
    const rows = costIncrements(cpuRow(0, 0.04));
    money.newBatch();
    assert.equal((await money.prices('general', nov(3))).cpuCoreHour, 0.04); // the batch found billing at offset 1
    // Redis loses the partition's keys mid-batch; the same batch then prices another month of the pool: nothing there now
    for await (const { keys } of scanKeys(redis, `${prefix}:*`)) if (keys.length) await redis.del(...keys);
    const december = nov(3) + 31 * 86_400_000; // its prices fall back to November's
    assert.equal((await money.prices('general', december)).cpuCoreHour, undefined);
    // the rebuild applies the same billing again: the offsets read as the batch found them
    assert.equal((await store.applyBatch(ref, -1n, '1', rows)).status, 'applied');
    money.newBatch();
    assert.equal((await money.prices('general', december)).cpuCoreHour, 0.04, 'read again, not the empty read of the lost state');
  });
});
