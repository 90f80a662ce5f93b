/**
 * Money's price memo (real Redis, FORESIGHT_REDIS_URL): a pool's unit prices are read once while
 * billing stands still, across scored batches; a batch costs one round trip to see where billing
 * stands, and billing rows applied meanwhile count from the next batch.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BillingRecord } from '../../../src/codec/generated-types.js';
import { Money, type MoneyDeps } from '../../../src/money/money.js';
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

/** The HGETALL calls Redis has served so far (INFO commandstats). */
async function hgetalls(): Promise<number> {
  const m = /cmdstat_hgetall:calls=(\d+)/.exec(await redis.info('commandstats'));
  return m ? Number(m[1]) : 0;
}

after(async () => {
  for (const p of prefixes) for await (const { keys } of scanKeys(redis, `${p}:*`)) if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('price memo across batches', () => {
  it('reads a pool once while billing stands still, and again from the batch after a billing write', async () => {
    const prefix = uniqueId('prices');
    prefixes.push(prefix);
    const store = new CostStore(redis, prefix, [{ topic: ref.topic, partitions: 1 }]);
    assert.equal((await store.applyBatch(ref, -1n, '1', costIncrements(cpuRow(0, 0.04)))).status, 'applied');
    const money = new Money({ costs: store } as unknown as MoneyDeps);

    money.newBatch();
    assert.equal((await money.prices('general', nov(3))).cpuCoreHour, 0.04);
    const afterFirst = await hgetalls();
    for (let batch = 0; batch < 5; batch++) {
      money.newBatch();
      assert.equal((await money.prices('general', nov(3))).cpuCoreHour, 0.04);
    }
    assert.equal(await hgetalls(), afterFirst, 'batches after the first read no billing hash while billing stands still');

    // a second row: 0.04 + 0.08 for 2 vCPU-hours, 0.06 a core-hour
    assert.equal((await store.applyBatch(ref, 1n, '2', costIncrements(cpuRow(1, 0.08)))).status, 'applied');
    assert.equal((await money.prices('general', nov(3))).cpuCoreHour, 0.04, 'within the batch, the price it began with');
    money.newBatch();
    assert.ok(Math.abs((await money.prices('general', nov(3))).cpuCoreHour! - 0.06) < 1e-12, 'the next batch sees the billing write');
    assert.ok((await hgetalls()) > afterFirst);
  });

  it('a pool without prices is remembered as unknown too, and a failed stamp read is not', async () => {
    const prefix = uniqueId('prices');
    prefixes.push(prefix);
    const store = new CostStore(redis, prefix, [{ topic: ref.topic, partitions: 2 }]);
    const money = new Money({ costs: store } as unknown as MoneyDeps);
    money.newBatch();
    const unknown = await money.prices('spot', nov(3));
    assert.equal(unknown.cpuCoreHour, undefined);
    const before = await hgetalls();
    money.newBatch();
    assert.deepEqual(await money.prices('spot', nov(3)), unknown);
    assert.equal(await hgetalls(), before);

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
});
