/**
 * A repository whose mapping file pins a workload's files per cluster (manifests/mapping.ts):
 * the processor's money side (Money.workload: prices, sizing, team, outcomes) reads the series'
 * cluster's files, as the committer does (a reviewer found it read none: no price, no sizing).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestIndex } from '../../../src/manifests/manifests.js';
import { Money, type MoneyDeps } from '../../../src/money/money.js';

const deployment = (cpu: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {team: web-team}}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          resources: {requests: {cpu: "${cpu}", memory: 1Gi}}
`;

const index = ManifestIndex.build(
  new Map([
    [
      'foresight-mapping.yaml',
      `apiVersion: foresight.dev/v1
kind: Mapping
clusters: [eu, us]
workloads:
  - workload: shop/Deployment/web
    cluster: eu
    file: clusters/eu/shop/web.yaml
  - workload: shop/Deployment/web
    cluster: us
    file: clusters/us/shop/web.yaml
`,
    ],
    ['clusters/eu/shop/web.yaml', deployment('500m')],
    ['clusters/us/shop/web.yaml', deployment('2')],
  ]),
);

describe('money: a workload pinned per cluster', () => {
  it("reads each series' cluster's files; a cluster the repository does not deploy has none", () => {
    const money = new Money({ manifests: () => index } as unknown as MoneyDeps);
    const web = { namespace: 'shop', kind: 'Deployment', name: 'web' };
    assert.equal(money.workload({ ...web, cluster: 'eu' }).perReplica?.cpuCores, 0.5);
    assert.equal(money.workload({ ...web, cluster: 'us' }).perReplica?.cpuCores, 2);
    assert.equal(money.workload({ ...web, cluster: 'eu' }).team, 'web-team');
    assert.equal(money.workload({ ...web, cluster: 'asia' }).resolved, undefined);
  });
});
