/**
 * Budgets: which hold for a workload (namespace, team, workload), the projection, and the
 * guard on every recommendation type (HPA, RESOURCES, IDLE, SPOT): cap, review, pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import { applyBudgets, breached, budgetsFor, projected, type Budget, type BudgetState, type CheckedBudget } from '../../../src/policy/budgets.js';
import { budgetReport } from '../../../src/money/money.js';
import { parsePolicyFile } from '../../../src/policy/policy-loader.js';
import { PolicySet } from '../../../src/policy/policy-set.js';

const policy = (name: string, scope: string, spec: string): { file: string; policy: ReturnType<typeof parsePolicyFile>[number] } => ({
  file: `policies/${name}.yaml`,
  policy: parsePolicyFile(`policies/${name}.yaml`, `apiVersion: foresight.dev/v1\nkind: Policy\nmetadata: { name: ${name} }\n${scope}spec:\n${spec}`)[0],
});
const files = [
  policy('defaults', '', '  budget: { monthly: 1000 }\n'),
  policy('shop', 'scope: { namespace: shop }\n', '  budget: { monthly: 20000, currency: EUR }\n'),
  policy('payments', 'scope: { team: payments }\n', '  budget: { monthly: 500, onBreach: review }\n  replicas: { max: 7 }\n'),
  policy('checkout', 'scope: { workload: shop/Deployment/checkout }\n', '  budget: { monthly: 300 }\n'),
];
const defaults = { currency: 'USD', onBreach: 'cap' as const };

// 2026-11-16 00:00 UTC: 15 days gone, 15 × 24 = 360 hours left of 720
const AT = Date.UTC(2026, 10, 16);
const state = (b: Partial<Budget>, monthToDate: number, hourlyRunRate: number): BudgetState => ({
  budget: { scope: 'ns:prod/shop', monthly: 1000, currency: 'USD', policy: 'p', onBreach: 'cap', ...b },
  monthToDate,
  hourlyRunRate,
  atMs: AT,
});

function rec(type: Recommendation['type'], monthlyCostDelta: number, costUnknown: string | null = null): Recommendation {
  return {
    id: 'r',
    type,
    cluster: 'prod',
    namespace: 'shop',
    kind: 'Deployment',
    name: 'checkout',
    container: type === 'RESOURCES' ? 'app' : null,
    changes: [{ field: 'x', current: '1', proposed: '2' }],
    currentSource: 'MANIFEST',
    forecast: { metric: 'cpu_usage', horizonSeconds: 3600, q50: 1, q90: 1, q99: 1, quantileUsed: 0.99, peakTime: null },
    rules: [],
    monthlyCostDelta,
    currency: 'USD',
    confidence: 1,
    modelVersion: 'm',
    critical: false,
    createdAt: AT,
    traceparent: null,
    costUnknown,
    nodePool: 'general',
    budget: null,
    resourceDelta: null,
  };
}

describe('budgets', () => {
  it("a workload is held to its namespace's, its team's and its own budget; the defaults stand in for a namespace without one", () => {
    const b = budgetsFor(files, { cluster: 'prod', namespace: 'shop', kind: 'Deployment', name: 'checkout', team: 'payments' }, defaults);
    assert.deepEqual(
      b.map((x) => [x.scope, x.monthly, x.currency, x.onBreach]),
      [
        ['ns:prod/shop', 20000, 'EUR', 'cap'],
        ['team:payments', 500, 'USD', 'review'],
        ['workload:prod/shop/Deployment/checkout', 300, 'USD', 'cap'],
      ],
    );
    const other = budgetsFor(files, { cluster: 'prod', namespace: 'web', kind: 'Deployment', name: 'front' }, defaults);
    assert.deepEqual(
      other.map((x) => [x.scope, x.monthly]),
      [['ns:prod/web', 1000]],
    );
  });

  it('team-scoped policy files take effect when the team is known', () => {
    const set = new PolicySet(files);
    assert.equal(set.resolve({ namespace: 'shop', kind: 'Deployment', name: 'cart', team: 'payments' }).replicas.max, 7);
    assert.equal(set.resolve({ namespace: 'shop', kind: 'Deployment', name: 'cart' }).replicas.max, 10);
  });

  it('projection: month to date + hourly run rate × hours left (400 + 1.5 × 360 = 940 ≤ 1000; 2 × 360 + 400 = 1120 > 1000)', () => {
    assert.equal(projected(state({}, 400, 1.5)), 940);
    assert.equal(breached(state({}, 400, 1.5)), false);
    assert.equal(breached(state({}, 400, 2)), true);
  });

  for (const type of ['HPA', 'RESOURCES', 'IDLE', 'SPOT'] as const) {
    it(`${type}: a raise that breaks a "cap" budget is withheld; "review" makes it critical with the budget's figures; a saving and a raise within budget pass`, () => {
      // 940 projected; a +200/month raise adds 200 × 360/720 = 100 → 1040 > 1000
      assert.equal(applyBudgets(rec(type, 200), [state({}, 400, 1.5)], false), undefined);
      const reviewed = applyBudgets(rec(type, 200), [state({ onBreach: 'review', scope: 'team:payments' }, 400, 1.5)], false);
      assert.equal(reviewed?.critical, true);
      assert.ok(reviewed?.rules.includes('budget-review:team:payments'));
      assert.deepEqual(reviewed?.budget, { scope: 'team:payments', period: '2026-11', monthly: 1000, monthToDate: 400, projected: 940, policy: 'p' });
      const within = applyBudgets(rec(type, 100), [state({}, 400, 1.5)], false); // 940 + 50 ≤ 1000
      assert.equal(within?.critical, false);
      const saving = applyBudgets(rec(type, -300), [state({}, 900, 5)], false); // already over, but a cut always passes
      assert.equal(saving?.critical, false);
      assert.equal(saving?.budget, null);
    });
  }

  it("a change's own share of the month counts from the check, not from the newest billed hour (a day late)", () => {
    // billed up to Nov 15 00:00 (384 h left): 400 + 1.5 × 384 = 976; checked Nov 16 00:00 (360 of 720 h left)
    const late = { ...state({}, 400, 1.5), atMs: Date.UTC(2026, 10, 15), nowMs: AT };
    // +46.5/month from now: 46.5 × 360/720 = 23.25 → 999.25 ≤ 1000 passes; counted from Nov 15 (24.8) it broke the budget
    assert.equal(applyBudgets(rec('HPA', 46.5), [late], false)?.critical, false);
    assert.equal(applyBudgets(rec('HPA', 46.5), [{ ...late, nowMs: undefined }], false), undefined);
  });

  it('an urgent raise (OOM bump) is never withheld by a cap: it goes to review', () => {
    const r = applyBudgets(rec('RESOURCES', 200), [state({}, 400, 1.5)], true);
    assert.equal(r?.critical, true);
  });

  it('a raise of unknown cost passes, saying the budgets could not be checked; no budgets, nothing to do', () => {
    // 400 + 1.5 × 360 = 940 ≤ 1000: the scope is within its budget, the raise's share unknown
    const r = applyBudgets(rec('HPA', 0, 'cost unknown: no billing rows for pool general'), [state({}, 400, 1.5)], false, true);
    assert.ok(r?.rules.includes('budget-unchecked:cost-unknown'));
    assert.equal(r?.critical, false);
    assert.deepEqual(applyBudgets(rec('SPOT', 500), [], false)?.rules, []);
  });

  it('a raise of unknown cost in a scope already heading over its budget breaks it whatever it costs: capped, or sent for review', () => {
    const unknown = 'cost unknown: no billing rows for pool general';
    // 990 + 5 × 360 = 2790 > 1000 before any change
    const withheld: string[] = [];
    assert.equal(
      applyBudgets(rec('HPA', 0, unknown), [state({}, 990, 5)], false, true, (s) => withheld.push(s.budget.scope)),
      undefined,
      'cap: withheld',
    );
    assert.deepEqual(withheld, ['ns:prod/shop'], 'and counted (foresight_budget_withheld_total)');
    const reviewed = applyBudgets(rec('HPA', 0, unknown), [state({ onBreach: 'review' }, 990, 5)], false, true);
    assert.equal(reviewed?.critical, true);
    assert.deepEqual(reviewed?.rules, ['budget-review:ns:prod/shop']);
    assert.equal(reviewed?.budget?.projected, 2790);
    assert.equal(applyBudgets(rec('RESOURCES', 0, unknown), [state({}, 990, 5)], true, true)?.critical, true, 'urgent: review, not withheld');
    // not a raise (a cut or a ceiling alone, whose cost is unknown too): passes unchecked
    assert.ok(applyBudgets(rec('HPA', 0, unknown), [state({}, 990, 5)], false, false)?.rules.includes('budget-unchecked:cost-unknown'));
  });
});

describe('budget breach reports', () => {
  // checked at the close of a workload's hour: the records are about the scope, not that workload
  const at = Date.UTC(2026, 10, 20, 12);
  const check = (scope: string): CheckedBudget => ({
    budget: { scope, monthly: 100, currency: 'USD', policy: 'p (policies/p.yaml)', onBreach: 'cap' },
    monthToDate: 80,
    hourlyRunRate: 0.5,
    atMs: at,
    nowMs: at,
    billed: true,
  });

  it("a team's or a namespace's BUDGET recommendation and alert carry the scope's fields, not the workload's that checked it", () => {
    // 80 + 0.5 × 252 hours left (Nov 20 12:00 → Dec 1) = 206 > 100
    for (const [scope, fields] of [
      ['team:storefront', { cluster: '', namespace: '', kind: 'Team', name: 'storefront', container: null }],
      ['ns:prod/shop', { cluster: 'prod', namespace: 'shop', kind: 'Namespace', name: 'shop', container: null }],
      ['workload:prod/shop/Deployment/cart', { cluster: 'prod', namespace: 'shop', kind: 'Deployment', name: 'cart', container: null }],
    ] as const) {
      const { rec, alert } = budgetReport(check(scope), at, { modelVersion: 'm', traceparent: undefined, critical: true });
      assert.deepEqual({ cluster: rec.cluster, namespace: rec.namespace, kind: rec.kind, name: rec.name, container: rec.container }, fields, scope);
      assert.deepEqual({ cluster: alert.cluster, namespace: alert.namespace, kind: alert.kind, name: alert.name, container: alert.container }, fields, scope);
      assert.equal(rec.budget?.projected, 206);
      assert.equal(alert.budget?.scope, scope);
    }
  });
});
