/**
 * The report charts a workload's series with the policy in force: resolved with the workload's
 * team label from the GitOps manifests, by the same resolver as the processor and the committer
 * (a reviewer's find: the report resolved without the team, so a team policy never showed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policyOfRecommendation } from '../../../src/committer/committer.js';
import { DEFAULT_REPO_OPTIONS, ManifestIndex } from '../../../src/manifests/manifests.js';
import type { PolicyFile } from '../../../src/policy/policy-schema.js';
import { PolicySet } from '../../../src/policy/policy-set.js';
import { seriesPolicy } from '../../../src/report/report-data.js';

const policy = (name: string, scope: object, spec: object) => ({
  file: `policies/${name}.yaml`,
  policy: { apiVersion: 'foresight.dev/v1', kind: 'Policy', metadata: { name }, scope, spec } as unknown as PolicyFile,
});
const files = new Map([
  [
    'apps/pay/api.yaml',
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay, labels: {team: payments}, annotations: {foresight.dev/managed: 'true'}}
spec:
  template:
    spec:
      containers:
        - {name: api, image: x, resources: {requests: {cpu: '1'}}}
`,
  ],
]);

describe('report: the policy in force', () => {
  it("resolves a workload's policy with its team label, as the committer does", () => {
    const policies = new PolicySet([
      policy('defaults', {}, { sloRisk: 0.05 }),
      policy('payments', { team: 'payments' }, { sloRisk: 0.01, replicas: { max: 30 } }),
    ]);
    const index = ManifestIndex.build(files, DEFAULT_REPO_OPTIONS);
    const api = { namespace: 'pay', kind: 'Deployment', name: 'api' };
    const inForce = seriesPolicy(policies, index, api);
    assert.equal(inForce.sloRisk, 0.01);
    assert.equal(inForce.replicas.max, 30);
    assert.deepEqual(inForce, policyOfRecommendation(policies, files, api, DEFAULT_REPO_OPTIONS));
    // without the manifests the team is not known: the namespace's policy
    assert.equal(seriesPolicy(policies, undefined, api).sloRisk, 0.05);
    // a workload not in the repository: no team either
    assert.equal(seriesPolicy(policies, index, { ...api, name: 'other' }).sloRisk, 0.05);
  });
});
