/** Billing rows to scopes: a row is booked to the team its workload belongs to, read from the same keys in the same order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestIndex } from '../../../src/manifests/manifests.js';
import { teamOf } from '../../../src/money/workload-facts.js';
import { billsInstanceHours, costIncrements, scopesOf } from '../../../src/windows/billing.js';
import { focusRow } from '../../helpers/billing.js';
import type { BillingRecord } from '../../../src/codec/generated-types.js';

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

const row = (tags: Record<string, string>) =>
  focusRow({ start: Date.UTC(2026, 10, 10, 3), unit: 'vCPU-Hours', quantity: 4, cost: 0.16, pool: 'general', tags });

describe('billing scopes: team', () => {
  it('books a row tagged foresight.dev/team to that team, before a `team` tag, as a workload label is read', () => {
    const pay = { 'k8s.cluster.name': 'c', 'k8s.namespace.name': 'pay', 'k8s.deployment.name': 'api' };
    assert.deepEqual(scopesOf(row({ ...pay, 'foresight.dev/team': 'payments' })), ['ns:c/pay', 'workload:c/pay/Deployment/api', 'team:payments']);
    assert.deepEqual(scopesOf(row({ ...pay, 'foresight.dev/team': 'payments', team: 'legacy' })), [
      'ns:c/pay',
      'workload:c/pay/Deployment/api',
      'team:payments',
    ]);
    assert.deepEqual(scopesOf(row({ ...pay, team: 'legacy' })), ['ns:c/pay', 'workload:c/pay/Deployment/api', 'team:legacy']);
    assert.deepEqual(scopesOf(row({ ...pay, 'foresight.dev/team': '', team: 'legacy' })), ['ns:c/pay', 'workload:c/pay/Deployment/api', 'team:legacy']);
    assert.deepEqual(scopesOf(row({ 'foresight.dev/team': 'payments' })), ['team:payments']);
  });

  it("a team budget sees the spend of its workload's rows: the manifest's team and the rows' team scope agree", () => {
    const index = ManifestIndex.build(
      new Map([
        [
          'apps/pay/api.yaml',
          `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: pay
  labels: { foresight.dev/team: payments, team: legacy }
  annotations: { foresight.dev/managed: "true" }
spec:
  template:
    spec:
      containers:
      - name: app
`,
        ],
      ]),
    );
    const w = index.resolve({ namespace: 'pay', kind: 'Deployment', name: 'api' });
    assert.equal(teamOf(w), 'payments');
    // the cost allocation export tags the row with the workload's labels
    const r = row({ 'k8s.cluster.name': 'c', 'k8s.namespace.name': 'pay', 'k8s.deployment.name': 'api', 'foresight.dev/team': 'payments', team: 'legacy' });
    const team = costIncrements(r).filter((i) => i.hash === `cost:team:${teamOf(w)}:202611`);
    assert.deepEqual(
      team.map((i) => [i.field, i.delta]),
      [[String(Date.UTC(2026, 10, 10, 3) / 3_600_000), 0.16]],
    );
  });
});

describe('billing unit prices: credits and adjustments', () => {
  const HOUR_START = Date.UTC(2026, 10, 10, 3);
  /** Unit price of a pool's CPU core-hours from the rows' increments, as CostStore.poolPrices divides them. */
  const price = (rows: BillingRecord[]): number => {
    const inc = rows.flatMap(costIncrements).filter((i) => i.hash === 'price:general:cpu-core-hour:202611');
    const sum = (f: string) => inc.filter((i) => i.field === f).reduce((a, i) => a + i.delta, 0);
    return sum('cost') / sum('quantity');
  };
  const usage = focusRow({ start: HOUR_START, unit: 'vCPU-Hours', quantity: 10, cost: 0.4, pool: 'general', tags: { 'k8s.namespace.name': 'pay' } });
  // FOCUS: a Credit's or an Adjustment's ConsumedQuantity is null; some exports still give a PricingQuantity
  const other = (category: string, cost: number, pricingQuantity: number): BillingRecord => ({
    ...usage,
    ChargeCategory: category,
    EffectiveCost: cost,
    BilledCost: cost,
    ConsumedQuantity: null,
    PricingQuantity: pricingQuantity,
  });

  it("a credit's quantity is not consumption: 10 core-hours for 0.40 less a 0.10 credit = 0.30 / 10 = 0.03 a core-hour (not 0.30 / 20)", () => {
    const credit = other('Credit', -0.1, 10);
    close(price([usage, credit]), 0.03);
    // its cost still counts toward spend: 0.40 − 0.10 in the namespace's hour
    const spend = [usage, credit].flatMap(costIncrements).filter((i) => i.hash === 'cost:ns:default/pay:202611');
    close(
      spend.reduce((a, i) => a + i.delta, 0),
      0.3,
    );
  });

  it('an adjustment adds its cost, not its quantity: (0.40 + 0.05) / 10 = 0.045; a refund (negative cost, no consumed quantity) the same: (0.40 − 0.08) / 10 = 0.032', () => {
    close(price([usage, other('Adjustment', 0.05, 5)]), 0.045);
    close(price([usage, other('Usage', -0.08, 2)]), 0.032);
    close(price([usage, { ...other('Usage', -0.08, 2), ConsumedQuantity: 0 }]), 0.032);
    // consumption priced from PricingQuantity alone still counts (exports without ConsumedQuantity): (0.40 + 0.20) / 15 = 0.04
    close(price([usage, { ...other('Usage', 0.2, 5) }]), 0.04);
  });
});

describe('billing unit prices: memory units (GiB, GB, byte-seconds)', () => {
  const start = Date.UTC(2026, 10, 10, 3);
  /** The memory price of pool `general` from one row's increments: cost / GiB-hours. */
  const gibHourPrice = (r: BillingRecord): number | undefined => {
    const inc = costIncrements(r).filter((i) => i.hash === 'price:general:memory-gib-hour:202611');
    const q = inc.find((i) => i.field === 'quantity')?.delta;
    return q === undefined ? undefined : inc.find((i) => i.field === 'cost')!.delta / q;
  };
  const memory = (unit: string, quantity: number, cost: number, provider = 'Google Cloud'): BillingRecord => ({
    ...focusRow({ start, unit, quantity, cost, pool: 'general' }),
    ProviderName: provider,
  });

  it('GCP\'s "gibibyte hour" and "GiB-Hours" are GiB-hours: 32 for 0.135584 = 0.004237 a GiB-hour', () => {
    close(gibHourPrice(memory('gibibyte hour', 32, 0.135584))!, 0.004237);
    close(gibHourPrice(memory('GiB-Hours', 32, 0.135584))!, 0.004237);
  });

  it('GCP\'s usage unit "byte-seconds": 4 GiB for an hour (4 × 2^30 × 3600 byte-seconds) for 0.016948 = 0.004237 a GiB-hour', () => {
    close(gibHourPrice(memory('byte-seconds', 4 * 2 ** 30 * 3600, 0.016948))!, 0.004237);
  });

  it('"GB-Hours" is decimal (FOCUS UnitFormat: GB = 10^9 bytes): 10 GB-hours = 9.313226 GiB-hours, 0.04 / 9.313226 = 0.0042950 a GiB-hour', () => {
    close(gibHourPrice(memory('GB-Hours', 10, 0.04))!, 0.04 / ((10 * 1e9) / 2 ** 30));
    assert.ok(Math.abs(gibHourPrice(memory('GB-Hours', 10, 0.04))! - 0.004295) < 1e-6);
  });

  it('AWS\'s "GB-Hours" are GiB-hours (its memory GB is 1024 MiB, as ECS/Fargate define it): 2 for 0.00889 = 0.004445 a GiB-hour', () => {
    close(gibHourPrice(memory('GB-Hours', 2, 0.00889, 'AWS'))!, 0.004445);
  });

  it('"GB-Mo" (storage by the month) is not a memory price', () => {
    assert.equal(gibHourPrice(memory('GB-Mo', 100, 8)), undefined);
  });
});

describe('billing unit prices: GCP vCPUs in time units', () => {
  it('"<family> Instance Core" SKUs: 8 cores for an hour in "hour" (pricing) or 28,800 "seconds" (usage) for 0.252888 = 0.031611 a core-hour', () => {
    const start = Date.UTC(2026, 10, 10, 3);
    const core = (unit: string, quantity: number): BillingRecord => ({
      ...focusRow({ start, unit, quantity, cost: 0.252888, pool: 'general' }),
      ChargeDescription: 'N2 Instance Core running in Americas',
    });
    for (const r of [core('hour', 8), core('seconds', 8 * 3600)]) {
      const inc = costIncrements(r).filter((i) => i.hash === 'price:general:cpu-core-hour:202611');
      close(inc.find((i) => i.field === 'cost')!.delta / inc.find((i) => i.field === 'quantity')!.delta, 0.031611);
      assert.equal(billsInstanceHours(r), false);
    }
    // an instance's hours (AWS "Hrs", a VM SKU): no unit price, counted as instance-hours
    const vm = { ...focusRow({ start, unit: 'Hrs', quantity: 3, cost: 1.152, pool: 'nodes' }), ChargeDescription: 'm5.2xlarge Instance Hour' };
    assert.equal(billsInstanceHours(vm), true);
    assert.deepEqual(
      costIncrements(vm)
        .filter((i) => i.hash.startsWith('price:'))
        .map((i) => [i.hash, i.field, i.delta]),
      [['price:nodes:instance-hour:202611', 'rows', 1]],
    );
  });
});
