/**
 * The demo's billing rows carry the namespace and team tags a cost-allocation export would, so
 * the cost lands in the namespaces' (and the ml team's) scopes, none in "unattributed", and
 * shop's budget applies (issue 13 §3, a newcomer's report).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import path from 'node:path';
import { billedHoursBetween, demoBillingRows } from '../../../src/cli/demo-billing.js';
import { GPU_BILLING_SAMPLE } from '../../../src/cli/demo-gpu.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';
import { costIncrements, scopesOf } from '../../../src/windows/billing.js';

const N2 = path.join(PROJECT_ROOT, 'data', 'samples', 'focus_gke_n2_us-central1_hour.jsonl');
const END = Date.UTC(2026, 10, 29, 11, 24);

describe('demo billing rows', () => {
  it('attribute the node pools to the namespaces they serve, and the GPU pools to the ml team', () => {
    const n2 = demoBillingRows(N2, END, 3, 'demo-1');
    assert.equal(n2.length, 6);
    for (const r of n2) assert.deepEqual(scopesOf(r), ['ns:demo-1/shop']);
    const gpu = demoBillingRows(GPU_BILLING_SAMPLE, END, 3, 'demo-1');
    for (const r of gpu) assert.deepEqual(scopesOf(r), ['ns:demo-1/ml', 'team:ml-platform']);
    // shop's month to date over the 3 hours: 3 × (0.758664 + 0.406752) = 3.496248 USD, all in ns:demo-1/shop
    const total = (rows: typeof n2, scope: string): number =>
      rows
        .flatMap(costIncrements)
        .filter((i) => i.hash === `cost:${scope}:202611`)
        .reduce((a, i) => a + i.delta, 0);
    assert.ok(Math.abs(total(n2, 'ns:demo-1/shop') - 3.496248) < 1e-9);
    assert.equal(total([...n2, ...gpu], 'unattributed'), 0);
    // the GPU pools: 3 × (0.84 + 1.598 + 7.2 + 0.168 + 0.323 + 1.44) = 34.707 USD under ns:demo-1/ml and again under team:ml-platform
    assert.ok(Math.abs(total(gpu, 'ns:demo-1/ml') - 34.707) < 1e-9);
    assert.ok(Math.abs(total(gpu, 'team:ml-platform') - 34.707) < 1e-9);
  });

  it('bill each hour once as the replay moves ahead, into the next month when the outcome falls there', () => {
    // a demo at 22:40 UTC on the last day of November: 3 hours billed before its events' end, then
    // the closing replay runs 38 steps (3 h 10 min) ahead, to 01:50 on December 1st, where the report is
    const now = Date.UTC(2026, 10, 30, 22, 40);
    const aheadEnd = now + 38 * 300_000;
    assert.equal(billedHoursBetween(now, aheadEnd), 3);
    const rows = [...demoBillingRows(N2, now, 3, 'demo-1'), ...demoBillingRows(N2, aheadEnd, billedHoursBetween(now, aheadEnd), 'demo-1')];
    const hours = [...new Set(rows.map((r) => new Date(r.ChargePeriodStart).toISOString().slice(5, 13)))];
    assert.deepEqual(hours, ['11-30T19', '11-30T20', '11-30T21', '11-30T22', '11-30T23', '12-01T00']);
    assert.equal(rows.length, 2 * hours.length, 'each hour once');
    const december = rows.filter((r) => r.BillingPeriodStart === Date.UTC(2026, 11, 1));
    assert.deepEqual(
      december.map((r) => r.ChargePeriodStart),
      [Date.UTC(2026, 11, 1), Date.UTC(2026, 11, 1)],
    );
    // no whole hour ahead, nothing more billed
    assert.equal(billedHoursBetween(Date.UTC(2026, 10, 30, 22, 5), Date.UTC(2026, 10, 30, 22, 55)), 0);
  });
});
