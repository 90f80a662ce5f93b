/**
 * The spend budgets are judged by (real Redis, FORESIGHT_REDIS_URL): billing rows arrive hours
 * to days late, so the run rate is the 24 hours ending at the newest hour with cost and the
 * projection starts at the end of that hour. Hand-computed figures.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BillingRecord } from '../../../src/codec/generated-types.js';
import { Money, type MoneyDeps } from '../../../src/money/money.js';
import { parsePolicyFile } from '../../../src/policy/policy-loader.js';
import { PolicySet } from '../../../src/policy/policy-set.js';
import { budgetProjection } from '../../../src/policy/rules.js';
import { costIncrements } from '../../../src/windows/billing.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { scanKeys } from '../../../src/windows/redis-client.js';
import { focusRow } from '../../helpers/billing.js';
import { testRedis, uniqueId } from '../../helpers/env.js';
import { fieldRec } from '../../helpers/recommendation.js';

const HOUR = 3_600_000;
const redis = testRedis();
const prefixes: string[] = [];
const ref = { topic: 'billing.v1', partition: 0 };
const shop = { 'k8s.cluster.name': 'c', 'k8s.namespace.name': 'shop' };

/** `cost` per hour for the hours [from, to), attributed to namespace shop. */
function usage(from: number, to: number, cost: number): BillingRecord[] {
  const rows: BillingRecord[] = [];
  for (let h = from; h < to; h += HOUR) rows.push(focusRow({ start: h, unit: 'vCPU-Hours', quantity: 1, cost, pool: 'general', tags: shop }));
  return rows;
}

async function storeWith(rows: BillingRecord[]): Promise<{ store: CostStore; prefix: string }> {
  const prefix = uniqueId('spend');
  prefixes.push(prefix);
  const store = new CostStore(redis, prefix, [{ topic: ref.topic, partitions: 1 }]);
  assert.equal((await store.applyBatch(ref, -1n, String(rows.length), rows.flatMap(costIncrements))).status, 'applied');
  return { store, prefix };
}

after(async () => {
  for (const p of prefixes) {
    for await (const { keys } of scanKeys(redis, `${p}:*`)) if (keys.length) await redis.del(...keys);
  }
  await redis.quit();
});

const nov = (day: number, hour = 0): number => Date.UTC(2026, 10, day, hour);

describe('spend: run rate and projection under billing delay', () => {
  it('a day of billing delay is not read as zero spend: 100/hour all month projects 72,000', async () => {
    // 100 per hour, billed up to Nov 14 00:00 (13 days = 312 h), read on Nov 15 00:00
    const { store } = await storeWith(usage(nov(1), nov(14), 100));
    const s = await store.spend('ns:c/shop', nov(15));
    assert.deepEqual(s, { monthToDate: 31200, hourlyRunRate: 100, asOfMs: nov(14), billed: true });
    // 31,200 + 100 × 408 h (Nov 14 to Dec 1) = 72,000 = 720 h × 100; read from Nov 15 at a rate of 0 it was 31,200
    assert.equal(budgetProjection(s.monthToDate, s.hourlyRunRate, 0, s.asOfMs), 72000);
  });

  it("a change's delta counts its hourly cost over the hours left, whatever the month's length (730 h a month is the delta's unit, not the month's)", () => {
    // +730 a month is +1 an hour: from the start of December (744 h) +744, of February 2027 (672 h) +672; 12 h before the end +12
    assert.equal(budgetProjection(0, 0, 730, Date.UTC(2026, 11, 1)), 744);
    assert.equal(budgetProjection(0, 0, 730, Date.UTC(2027, 1, 1)), 672);
    assert.equal(budgetProjection(100, 2, 730, Date.UTC(2027, 0, 1) - 12 * 3_600_000), 100 + 2 * 12 + 12);
  });

  it('asked inside the newest billed hour: that hour counts once, the run rate from its end (a newcomer find)', async () => {
    // 1 per hour billed up to Nov 29 04:00, read at 03:20: month to date 676 (hours to 04:00), then 1 × 44 h
    const { store } = await storeWith(usage(nov(1), nov(29, 4), 1));
    const s = await store.spend('ns:c/shop', nov(29, 3) + 20 * 60_000);
    assert.deepEqual(s, { monthToDate: 676, hourlyRunRate: 1, asOfMs: nov(29, 4), billed: true });
    assert.equal(budgetProjection(s.monthToDate, s.hourlyRunRate, 0, s.asOfMs), 720, 'the whole month, each hour once');
    // in the month's last hour: the projection stays in November
    const last = await (await storeWith(usage(nov(1), Date.UTC(2026, 11, 1), 1))).store.spend('ns:c/shop', Date.UTC(2026, 11, 1) - 10 * 60_000);
    assert.ok(Math.abs(budgetProjection(last.monthToDate, last.hourlyRunRate, 0, last.asOfMs) - 720) < 1e-3);
  });

  it('a monthly fee spread over every hour does not hide the delay of the usage (a reviewer find)', async () => {
    // the same usage, plus a 720 fee for November (1 per hour, its hours up to now already in month to date)
    const fee = focusRow({ start: nov(1), unit: 'vCPU-Hours', quantity: 0, cost: 720, pool: 'general', tags: shop });
    const { store } = await storeWith([...usage(nov(1), nov(14), 100), { ...fee, ChargePeriodEnd: Date.UTC(2026, 11, 1) }]);
    const s = await store.spend('ns:c/shop', nov(15));
    // month to date up to where the figures end (the newest usage, Nov 14 00:00): 31,200 of usage + 13 days × 24 h of the fee = 31,512;
    // the rate: the 24 hours up to the newest usage, 101
    assert.deepEqual(s, { monthToDate: 31512, hourlyRunRate: 101, asOfMs: nov(14), billed: true });
    // 31,512 + 101 × 408 = 72,720 = 720 h × 100 + 720, each hour once (the fee's day between the newest usage and now was
    // counted in month to date and again by the run rate: 72,744); with the fee's hours taken as the newest billed hour it was 31,920
    assert.equal(budgetProjection(s.monthToDate, s.hourlyRunRate, 0, s.asOfMs), 72720);
    // month to date at the time asked counts the fee's hours of Nov 14 too (31,512 + 24)
    assert.equal(await store.monthToDate('ns:c/shop', nov(15)), 31536);
    // fees only: the newest hour with any cost
    const { store: feesOnly } = await storeWith([{ ...fee, ChargePeriodEnd: Date.UTC(2026, 11, 1) }]);
    assert.deepEqual(await feesOnly.spend('ns:c/shop', nov(15)), { monthToDate: 336, hourlyRunRate: 1, asOfMs: nov(15), billed: true });
  });

  it('the newest billed hour in the month before: month to date 0 and unbilled, the projection covers the whole month', async () => {
    const { store } = await storeWith(usage(nov(28), nov(30, 23), 10));
    const at = Date.UTC(2026, 11, 1, 5);
    const s = await store.spend('ns:c/shop', at);
    // the last 24 billed hours: Nov 29 23:00 to Nov 30 22:00, 10 each; December starts unbilled
    assert.deepEqual(s, { monthToDate: 0, hourlyRunRate: 10, asOfMs: Date.UTC(2026, 11, 1), billed: false });
    assert.equal(budgetProjection(s.monthToDate, s.hourlyRunRate, 0, s.asOfMs), 7440);
  });

  it('no hour with cost in the last 7 days: no run rate, the figures end at the time asked', async () => {
    const { store } = await storeWith(usage(nov(1), nov(2), 10));
    assert.deepEqual(await store.spend('ns:c/shop', nov(10)), { monthToDate: 240, hourlyRunRate: 0, asOfMs: nov(10), billed: true });
    // 6 days late is still read: the 24 hours ending Nov 1 23:00 at 10 each
    assert.deepEqual(await store.spend('ns:c/shop', nov(8)), { monthToDate: 240, hourlyRunRate: 10, asOfMs: nov(2), billed: true });
  });

  it('the budget guard judges a raise by the billed hours: over 71,000 it is capped', async () => {
    const { store, prefix } = await storeWith(usage(nov(1), nov(14), 100));
    const file = (name: string, yaml: string) => ({ file: `policies/${name}.yaml`, policy: parsePolicyFile(`policies/${name}.yaml`, yaml)[0] });
    const set = new PolicySet([
      file(
        'shop',
        'apiVersion: foresight.dev/v1\nkind: Policy\nmetadata: { name: shop }\nscope: { namespace: shop }\nspec:\n  budget: { monthly: 71000, onBreach: cap }\n',
      ),
    ]);
    // only the cost store, Redis and the policies are read by the guard
    const deps: MoneyDeps = { costs: store, redis, prefix, policies: () => set, alertsTopic: '', recommendationsTopic: '' } as unknown as MoneyDeps;
    const money = new Money(deps);
    const id = { cluster: 'c', namespace: 'shop', kind: 'Deployment', name: 'web', container: null, metric: 'cpu_usage', workload: 'c/shop/Deployment/web' };
    const raise = fieldRec('shop/Deployment/web', [['minReplicas', '3']], null, {
      cluster: 'c',
      monthlyCostDelta: 10,
      createdAt: nov(15),
      nodePool: 'general',
    });
    // 72,000 + 10 × 408/720 > 71,000 (read as 31,200 + 0 it passed)
    assert.equal(await money.guard(id, raise, money.policyOf(id)), undefined);
  });
});
