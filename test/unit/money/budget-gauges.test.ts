/** The budget gauges as /metrics shows them: figures per scope, the last check wins, unknown spend is NaN and billed 0. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Budget } from '../../../src/policy/budgets.js';
import { budgetGauges } from '../../../src/money/budget-gauges.js';
import { parseExposition } from '../../helpers/exposition.js';

const budget = (scope: string, monthly: number): Budget => ({ scope, monthly, currency: 'USD', policy: 'p (policies/p.yaml)', onBreach: 'review' });

async function exposition(exporter: PrometheusExporter): Promise<Map<string, string>> {
  const { resourceMetrics } = await exporter.collect();
  const samples = parseExposition(new PrometheusSerializer().serialize(resourceMetrics));
  return new Map(samples.filter((x) => x.name.startsWith('foresight_budget_')).map((x) => [`${x.name} ${x.labels.scope}`, String(x.value)]));
}

describe('budget gauges', () => {
  it('export the last figures per scope; a scope without a billing row this month has NaN spend and billed 0', async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    const record = budgetGauges(provider.getMeter('t'));
    // 2026-11-16 00:00 UTC: 15 days (360 h) left in November
    const atMs = Date.UTC(2026, 10, 16);
    record({ budget: budget('team:storefront', 100), monthToDate: 40, hourlyRunRate: 0.5, atMs: atMs - 3_600_000, billed: true });
    record({ budget: budget('team:storefront', 100), monthToDate: 50, hourlyRunRate: 0.25, atMs, billed: true }); // the later check wins
    record({ budget: budget('ns:prod/shop', 20000), monthToDate: 0, hourlyRunRate: 0, atMs, billed: false });
    const m = await exposition(exporter);
    assert.equal(m.get('foresight_budget_monthly team:storefront'), '100');
    assert.equal(m.get('foresight_budget_month_to_date team:storefront'), '50');
    assert.equal(m.get('foresight_budget_projected team:storefront'), String(50 + 0.25 * 360)); // 140
    assert.equal(m.get('foresight_budget_billed team:storefront'), '1');
    assert.equal(m.get('foresight_budget_monthly ns:prod/shop'), '20000');
    assert.equal(m.get('foresight_budget_month_to_date ns:prod/shop'), 'NaN', 'unknown, not 0');
    assert.equal(m.get('foresight_budget_projected ns:prod/shop'), 'NaN');
    assert.equal(m.get('foresight_budget_billed ns:prod/shop'), '0');
    await provider.shutdown();
  });
});
