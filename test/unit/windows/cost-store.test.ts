/**
 * The cost windows read back (real Redis, FORESIGHT_REDIS_URL): month to date, hourly cost and
 * unit prices, by hand-computed figures. Every test writes under its own key prefix and
 * deletes its keys afterwards.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BillingRecord } from '../../../src/codec/generated-types.js';
import { movePoolCostDelta, replicasCostDelta, requestsCostDelta } from '../../../src/money/cost-model.js';
import { budgetProjection } from '../../../src/policy/rules.js';
import { costIncrements } from '../../../src/windows/billing.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { costHashKey, costHashName } from '../../../src/windows/redis-keys.js';
import { scanKeys } from '../../../src/windows/redis-client.js';
import { focusRow } from '../../helpers/billing.js';
import { testRedis, uniqueId } from '../../helpers/env.js';

const HOUR = 3_600_000;
const redis = testRedis();
const prefixes: string[] = [];
const ref = { topic: 'billing.v1', partition: 0 };

/** A store of its own (fresh prefix) holding `rows`, applied as one batch. */
async function storeWith(rows: BillingRecord[]): Promise<{ store: CostStore; prefix: string }> {
  const prefix = uniqueId('cost-store');
  prefixes.push(prefix);
  const store = new CostStore(redis, prefix, [{ topic: ref.topic, partitions: 1 }]);
  const outcome = await store.applyBatch(ref, -1n, String(rows.length), rows.flatMap(costIncrements));
  assert.equal(outcome.status, 'applied');
  return { store, prefix };
}

/** A charge without a unit (a support or management fee) over [start, end). */
const fee = (cost: number, start: number, end: number, tags: Record<string, string>): BillingRecord => ({
  ...focusRow({ start, unit: 'vCPU-Hours', quantity: 1, cost, pool: 'general', tags }),
  ChargePeriodEnd: end,
  PricingUnit: null,
  PricingQuantity: null,
  ConsumedUnit: null,
  ConsumedQuantity: null,
});

after(async () => {
  for (const p of prefixes) {
    for await (const { keys } of scanKeys(redis, `${p}:*`)) if (keys.length) await redis.del(...keys);
  }
  await redis.quit();
});

describe('cost store: month to date', () => {
  const shop = { 'k8s.cluster.name': 'c', 'k8s.namespace.name': 'shop' };
  const nov = (day: number, hour = 0): number => Date.UTC(2026, 10, day, hour);

  it('counts a monthly fee hour by hour up to the time asked, so the projection counts it once', async () => {
    // a 720 fee for the whole of November: 1 per hour of its 720 hours
    const { store } = await storeWith([fee(720, nov(1), Date.UTC(2026, 11, 1), shop)]);
    // read on Nov 16 00:00: 15 days (360 h) gone, 360 left
    const at = nov(16);
    assert.equal(await store.billedMonthToDate('ns:c/shop', at), 360);
    assert.equal(await store.monthToDate('ns:c/shop', nov(1)), 0, 'no hour of the month has begun');
    assert.equal(await store.monthToDate('ns:c/shop', nov(1) + 1), 1, 'the hour under way counts');
    assert.equal(await store.monthToDate('ns:c/shop', nov(30, 23) + 1), 720);
    const lastDay = await store.hourly('ns:c/shop', at - 24 * HOUR, at);
    const rate = lastDay.reduce((a, x) => a + x, 0) / 24;
    assert.equal(rate, 1);
    // the fee's true month total (it was 360 + 360 + 360 = 1,080 with the whole fee counted on arrival)
    assert.equal(budgetProjection(360, rate, 0, at), 720);
  });

  it('adds usage hours and a fee, and reads no hour after the time asked', async () => {
    // 10 per hour of usage from Nov 1 to Nov 15 00:00 (336 h = 3,360) and the 720 fee
    const rows = [fee(720, nov(1), Date.UTC(2026, 11, 1), shop)];
    for (let h = nov(1); h < nov(15); h += HOUR) rows.push(focusRow({ start: h, unit: 'vCPU-Hours', quantity: 1, cost: 10, pool: 'general', tags: shop }));
    const { store } = await storeWith(rows);
    const at = nov(15);
    // 3,360 of usage + 336 of the fee
    assert.equal(await store.monthToDate('ns:c/shop', at), 3696);
    // the last day: 11 per hour; hourly() stops at the time asked although the fee fills later hours (what spend anomalies score)
    const lastDay = await store.hourly('ns:c/shop', at - 24 * HOUR, at);
    assert.deepEqual(lastDay, new Array(24).fill(11));
    // 384 h left at 11 per hour: 3,696 + 4,224 = 7,920 = 720 h × 10 + 720
    assert.equal(budgetProjection(3696, 11, 0, at), 7920);
  });

  it('is unknown (undefined) without a row of the month, and ignores a "total" field left by an earlier version', async () => {
    const { store, prefix } = await storeWith([focusRow({ start: nov(2), unit: 'vCPU-Hours', quantity: 1, cost: 2.5, pool: 'general', tags: shop })]);
    assert.equal(await store.billedMonthToDate('ns:c/shop', Date.UTC(2026, 11, 2)), undefined, 'December: no row');
    assert.equal(await store.billedMonthToDate('ns:c/other', nov(3)), undefined);
    await redis.hincrbyfloat(costHashKey(prefix, ref, costHashName('ns:c/shop', '202611')), 'total', 999);
    assert.equal(await store.billedMonthToDate('ns:c/shop', nov(3)), 2.5);
    assert.deepEqual(await store.hourly('ns:c/shop', nov(2) - HOUR, nov(2) + 2 * HOUR), [0, 2.5, 0]);
  });
});

describe('cost store: unit prices', () => {
  const GiB = 2 ** 30;
  const close = (a: number | undefined, b: number): void => assert.ok(a !== undefined && Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);
  const priced = (start: number, unit: string, quantity: number, cost: number, pool: string, currency = 'USD') =>
    focusRow({ start, unit, quantity, cost, pool, currency });

  it("fall back to the month before per unit: on Dec 1 with only a CPU row of December, memory is November's price", async () => {
    const nov = Date.UTC(2026, 10, 30, 20);
    const dec = Date.UTC(2026, 11, 1, 0);
    const { store } = await storeWith([
      priced(nov, 'vCPU-Hours', 10, 0.3, 'p1'), // 0.03 per core-hour in November
      priced(nov, 'GiB-Hours', 10, 0.04, 'p1'), // 0.004 per GiB-hour in November
      priced(dec, 'vCPU-Hours', 10, 0.35, 'p1'), // 0.035 per core-hour in December
      priced(nov, 'GiB-Hours', 8, 0.04, 'p2'), // p2: November only
    ]);
    const at = dec + 5 * HOUR;
    const p1 = await store.poolPrices('p1', at);
    close(p1.cpuCoreHour, 0.035);
    close(p1.memoryGibHour, 0.004);
    assert.equal(p1.gpuHour, undefined);
    assert.equal(p1.currency, 'USD');
    assert.equal(p1.period, '2026-12');
    // one more replica of 1 core and 1 GiB: (0.035 + 0.004) × 730 = 28.47 a month
    const c = replicasCostDelta({ cpuCores: 1, memoryBytes: GiB, gpus: 0 }, 2, 3, p1);
    assert.ok(c.known);
    close(c.monthly, 28.47);
    close(await store.unitPrice('p1', 'memory-gib-hour', at), 0.004);
    // all of p2's prices from November: the period says so
    const p2 = await store.poolPrices('p2', at);
    assert.deepEqual({ ...p2, memoryGibHour: undefined }, { pool: 'p2', memoryGibHour: undefined, currency: 'USD', period: '2026-11' });
    close(p2.memoryGibHour, 0.005);
    assert.deepEqual(await store.poolPrices('p3', at), { pool: 'p3', period: '2026-12' });
  });

  // hourly quantities are kept three days: the rows are of yesterday (and the month boundary ahead), never of a fixed date
  const DAY = 24 * HOUR;
  const yesterday = Math.floor(Date.now() / DAY) * DAY - DAY;

  it('commitments: a raise pays the rate past them; a cut saves it only on the usage no commitment covers, hour by hour', async () => {
    // pool sp: each hour of a day, 10 core-hours under a savings plan (effective 0.25, contracted 0.40) and 4 on demand (0.16)
    const rows: BillingRecord[] = [];
    for (let h = 0; h < 24; h++) {
      const t = yesterday + h * HOUR;
      rows.push({ ...priced(t, 'vCPU-Hours', 10, 0.25, 'sp'), ContractedCost: 0.4, CommitmentDiscountId: 'sp-1', CommitmentDiscountStatus: 'Used' });
      rows.push(priced(t, 'vCPU-Hours', 4, 0.16, 'sp'));
      // pool od: on demand only. Pool disc: a discount that is no commitment (sustained use: effective below contracted, no
      // commitment column). Pool pc: covered as PricingCategory 'Committed' says. Pool unused: a commitment's unused part
      rows.push(priced(t, 'vCPU-Hours', 4, 0.16, 'od'));
      rows.push({ ...priced(t, 'vCPU-Hours', 4, 0.128, 'disc'), ContractedCost: 0.16 });
      rows.push({ ...priced(t, 'vCPU-Hours', 10, 0.25, 'pc'), PricingCategory: 'Committed' }, priced(t, 'vCPU-Hours', 4, 0.16, 'pc'));
      rows.push({ ...priced(t, 'vCPU-Hours', 2, 0.05, 'unused'), CommitmentDiscountId: 'ri-9', CommitmentDiscountStatus: 'Unused' });
    }
    const { store } = await storeWith(rows);
    const at = yesterday + DAY;
    const sp = await store.poolPrices('sp', at);
    close(sp.cpuCoreHour, 0.41 / 14); // blended, what the usage costs on average (showback)
    const c = sp.committed?.cpuCoreHour;
    assert.ok(c);
    close(c.marginal, 0.04); // the on-demand rows' 0.16 / 4
    close(c.coveredShare, 10 / 14);
    assert.deepEqual(c.onDemandByHour, new Array(24).fill(4));
    // 3 replicas of 1 core fewer: 3 × 0.04 × 730 = −87.60 (the blended price would say −64.14)
    const cut = replicasCostDelta({ cpuCores: 1, memoryBytes: 0, gpus: 0 }, 9, 6, sp);
    assert.ok(cut.known);
    close(cut.monthly, -87.6);
    assert.deepEqual(cut.rules, ['commitment:cpu-core-hour:marginal=0.04:covered=71%']);
    // 6 fewer: only the 4 on-demand cores an hour are saved, −4 × 0.04 × 730 = −116.80
    const deep = requestsCostDelta({ cpuCores: -0.5, memoryBytes: 0, gpus: 0 }, 12, sp);
    assert.ok(deep.known);
    close(deep.monthly, -116.8);
    assert.deepEqual(deep.rules, ['commitment:cpu-core-hour:marginal=0.04:covered=71%:cut-capped']);
    // 2 more: 2 × 0.04 × 730 = +58.40
    const raise = replicasCostDelta({ cpuCores: 2, memoryBytes: 0, gpus: 0 }, 1, 2, sp);
    assert.ok(raise.known);
    close(raise.monthly, 58.4);
    // moving 2 replicas of 3 cores to the on-demand pool od: there 6 × 0.04, here only 4 × 0.04 saved: +2 × 0.04 × 730 = +58.40
    const od = await store.poolPrices('od', at);
    assert.equal(od.committed, undefined);
    const move = movePoolCostDelta({ cpuCores: 3, memoryBytes: 0, gpus: 0 }, 2, sp, od);
    assert.ok(move.known);
    close(move.monthly, 58.4);
    // without covered usage a change is priced as before: 3 fewer cores at 0.04 = −87.60, no rule
    const plain = replicasCostDelta({ cpuCores: 1, memoryBytes: 0, gpus: 0 }, 9, 6, od);
    assert.ok(plain.known);
    close(plain.monthly, -87.6);
    assert.equal(plain.rules, undefined);
    // a discount that is no commitment is priced at the blend (0.032): a cut saves it all
    const disc = await store.poolPrices('disc', at);
    assert.equal(disc.committed, undefined);
    close((replicasCostDelta({ cpuCores: 1, memoryBytes: 0, gpus: 0 }, 9, 6, disc) as { monthly: number }).monthly, -3 * 0.032 * 730);
    // PricingCategory 'Committed' marks covered usage; a commitment's unused part covers nothing
    close((await store.poolPrices('pc', at)).committed?.cpuCoreHour?.marginal, 0.04);
    assert.equal((await store.poolPrices('unused', at)).committed, undefined);
  });

  it("commitments' unused part: a raise takes it first at no extra cost, hour by hour; it is no on-demand usage a cut could shed", async () => {
    // each hour 10 core-hours a savings plan covers (0.25 USD); by night 2 more of it unused (0.05 USD, FOCUS: status
    // Unused, ConsumedQuantity null, PricingQuantity 2) and none on demand; by day none unused and 4 on demand (0.16 USD)
    const rows: BillingRecord[] = [];
    for (let h = 0; h < 24; h++) {
      const t = yesterday + h * HOUR;
      rows.push({ ...priced(t, 'vCPU-Hours', 10, 0.25, 'spu'), CommitmentDiscountId: 'sp-2', CommitmentDiscountStatus: 'Used' });
      if (h < 12) rows.push(priced(t, 'vCPU-Hours', 4, 0.16, 'spu'));
      else
        rows.push({
          ...priced(t, 'vCPU-Hours', 2, 0.05, 'spu'),
          ConsumedQuantity: null,
          CommitmentDiscountId: 'sp-2',
          CommitmentDiscountStatus: 'Unused',
          PricingCategory: 'Committed',
        });
    }
    const { store } = await storeWith(rows);
    const prices = await store.poolPrices('spu', yesterday + DAY);
    // the blend: all that was paid (6 + 0.6 unused + 1.92) over the core-hours used (240 + 48): unused is not usage
    close(prices.cpuCoreHour, 8.52 / 288);
    const c = prices.committed?.cpuCoreHour;
    assert.ok(c);
    close(c.marginal, 0.04);
    close(c.coveredShare, 240 / 288);
    assert.deepEqual(c.onDemandByHour, [...new Array(12).fill(4), ...new Array(12).fill(0)]);
    assert.deepEqual(c.unusedByHour, [...new Array(12).fill(0), ...new Array(12).fill(2)]);
    // 3 cores more: by night 1 past the 2 unused, by day 3: (12 × 1 + 12 × 3) / 24 = 2 paid, 2 × 0.04 × 730 = +58.40
    const raise = replicasCostDelta({ cpuCores: 3, memoryBytes: 0, gpus: 0 }, 1, 2, prices);
    assert.ok(raise.known);
    close(raise.monthly, 58.4);
    assert.deepEqual(raise.rules, ['commitment:cpu-core-hour:marginal=0.04:covered=83%:raise-into-unused']);
    // 3 fewer: by day 3 of the 4 on demand, by night nothing (the unused part is no usage to shed): −1.5 × 0.04 × 730
    const cut = replicasCostDelta({ cpuCores: 3, memoryBytes: 0, gpus: 0 }, 2, 1, prices);
    assert.ok(cut.known);
    close(cut.monthly, -43.8);
    assert.deepEqual(cut.rules, ['commitment:cpu-core-hour:marginal=0.04:covered=83%:cut-capped']);
    // unused commitment in an hour that also paid on demand did not apply to this usage: no free capacity there
    const both = { ...c, onDemandByHour: new Array(24).fill(4), unusedByHour: new Array(24).fill(2) };
    const paid = replicasCostDelta({ cpuCores: 2, memoryBytes: 0, gpus: 0 }, 1, 2, { ...prices, committed: { cpuCoreHour: both } });
    assert.ok(paid.known);
    close(paid.monthly, 58.4);
    assert.deepEqual(paid.rules, ['commitment:cpu-core-hour:marginal=0.04:covered=83%']);
  });

  it('commitments: the cut is capped hour by hour, over the last 24 billed hours (gaps are not hours without usage), across the month', async () => {
    // 10 cores covered every hour, 8 on demand by day (12 hours) and none at night: a cut of 4 sheds 4 by day, 0 at night
    const rowsOf = (from: number, to: number, onDemand: (t: number) => number): BillingRecord[] => {
      const out: BillingRecord[] = [];
      for (let t = from; t < to; t += HOUR) {
        out.push({ ...priced(t, 'vCPU-Hours', 10, 0.25, 'sp'), CommitmentDiscountId: 'sp-1' });
        if (onDemand(t) > 0) out.push(priced(t, 'vCPU-Hours', onDemand(t), 0.04 * onDemand(t), 'sp'));
      }
      return out;
    };
    const dayNight = rowsOf(yesterday, yesterday + DAY, (t) => ((t - yesterday) / HOUR < 12 ? 8 : 0));
    const { store } = await storeWith(dayNight);
    const c = (await store.poolPrices('sp', yesterday + DAY)).committed?.cpuCoreHour;
    assert.ok(c);
    assert.deepEqual(c.onDemandByHour, [...new Array(12).fill(8), ...new Array(12).fill(0)]);
    // (12 × 4 + 12 × 0) / 24 = 2 cores shed an hour: −2 × 0.04 × 730 = −58.40, capped
    const cut = replicasCostDelta({ cpuCores: 4, memoryBytes: 0, gpus: 0 }, 2, 1, await store.poolPrices('sp', yesterday + DAY));
    assert.ok(cut.known);
    close(cut.monthly, -58.4);
    assert.ok(cut.rules?.[0].endsWith(':cut-capped'));
    // across the coming month boundary: 2 on demand an hour the day before it, 6 in its first six hours; asked then
    const next = (() => {
      const d = new Date();
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    })();
    const across = rowsOf(next - DAY, next + 6 * HOUR, (t) => (t < next ? 2 : 6));
    const c2 = (await (await storeWith(across)).store.poolPrices('sp', next + 6 * HOUR)).committed?.cpuCoreHour;
    assert.ok(c2);
    assert.deepEqual(c2.onDemandByHour, [...new Array(18).fill(2), ...new Array(6).fill(6)]);
    // the rows from 12 hours before it on: 12 hours of 2 and 6 of 6, no hour made up
    const late = across.filter((r) => r.ChargePeriodStart >= next - 12 * HOUR);
    const c3 = (await (await storeWith(late)).store.poolPrices('sp', next + 6 * HOUR)).committed?.cpuCoreHour;
    assert.deepEqual(c3?.onDemandByHour, [...new Array(12).fill(2), ...new Array(6).fill(6)]);
  });

  it('a credit lowers the price without adding units: (0.30 − 0.06) / 10 = 0.024 a core-hour; a credit larger than the usage gives no price, never a negative one', async () => {
    const t0 = Date.UTC(2026, 10, 10, 0);
    const credit = (cost: number, pool: string): BillingRecord => ({
      ...priced(t0, 'vCPU-Hours', 10, cost, pool),
      ChargeCategory: 'Credit',
      ConsumedQuantity: null,
    });
    const { store } = await storeWith([
      priced(t0, 'vCPU-Hours', 10, 0.3, 'p1'),
      credit(-0.06, 'p1'),
      priced(t0, 'vCPU-Hours', 10, 0.3, 'p2'),
      credit(-0.5, 'p2'),
    ]);
    close((await store.poolPrices('p1', t0 + 5 * HOUR)).cpuCoreHour, 0.024);
    assert.equal((await store.poolPrices('p2', t0 + 5 * HOUR)).cpuCoreHour, undefined);
    // the credits count toward spend all the same: 0.30 − 0.06 + 0.30 − 0.50 unattributed
    assert.ok(Math.abs((await store.monthToDate('unattributed', t0 + 5 * HOUR)) - 0.04) < 1e-12);
  });

  it('a pool billed per instance-hour (AWS EC2 "Hrs") has no unit price and says so; its rows count toward spend', async () => {
    const t0 = Date.UTC(2026, 10, 10, 0);
    // 3 m5.2xlarge nodes for an hour at 0.384: 1.152, attributed to the namespace
    const { store } = await storeWith([
      {
        ...priced(t0, 'Hrs', 3, 1.152, 'nodes'),
        ProviderName: 'AWS',
        ChargeDescription: 'USD 0.384 per On Demand Linux m5.2xlarge Instance Hour',
        Tags: { 'node-pool': 'nodes', 'k8s.namespace.name': 'pay' },
      },
    ]);
    const at = t0 + 5 * HOUR;
    const p = await store.poolPrices('nodes', at);
    assert.deepEqual(p, { pool: 'nodes', period: '2026-11', perInstanceHour: true });
    const c = replicasCostDelta({ cpuCores: 1, memoryBytes: GiB, gpus: 0 }, 2, 3, p);
    assert.deepEqual(c, { known: false, reason: 'cost unknown: pool nodes is billed per instance-hour (no per-core/GiB price)', pool: 'nodes' });
    assert.ok(Math.abs((await store.monthToDate('ns:default/pay', at)) - 1.152) < 1e-12);
    // a pool without any row still says so
    assert.deepEqual(await store.poolPrices('other', at), { pool: 'other', period: '2026-11' });
  });

  it('are unknown for a pool billed in two currencies, and the reason names them; one currency is priced in it', async () => {
    const t0 = Date.UTC(2026, 10, 10, 0);
    const { store } = await storeWith([
      // a second billing account in EUR for the same pool
      priced(t0, 'vCPU-Hours', 10, 0.3, 'p1', 'USD'),
      priced(t0 + HOUR, 'vCPU-Hours', 10, 0.28, 'p1', 'EUR'),
      priced(t0, 'GiB-Hours', 10, 0.04, 'p1', 'USD'),
      priced(t0 + HOUR, 'GiB-Hours', 10, 0.037, 'p1', 'EUR'),
      priced(t0, 'vCPU-Hours', 10, 0.28, 'p2', 'EUR'),
    ]);
    const at = t0 + 5 * HOUR;
    const p1 = await store.poolPrices('p1', at);
    assert.deepEqual(p1, { pool: 'p1', period: '2026-11', currencies: ['EUR', 'USD'] });
    assert.equal(await store.unitPrice('p1', 'cpu-core-hour', at), undefined);
    const c = replicasCostDelta({ cpuCores: 1, memoryBytes: GiB, gpus: 0 }, 2, 3, p1);
    assert.deepEqual(c, { known: false, reason: 'cost unknown: pool p1 is billed in EUR and USD in 2026-11', pool: 'p1' });
    const p2 = await store.poolPrices('p2', at);
    close(p2.cpuCoreHour, 0.028);
    assert.equal(p2.currency, 'EUR');
  });
});
