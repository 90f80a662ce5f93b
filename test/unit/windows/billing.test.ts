/** Billing rows to scopes: a row is booked to the team its workload belongs to, read from the same keys in the same order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestIndex } from '../../../src/manifests/manifests.js';
import { teamOf } from '../../../src/money/workload-facts.js';
import { costIncrements, scopesOf } from '../../../src/windows/billing.js';
import { focusRow } from '../../helpers/billing.js';

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
