/**
 * The committer checks a recommendation's bounds against the policy the processor decided with:
 * the workload's team (its label in the manifest) included, or a team policy's wider
 * `replicas.max` would dead-letter what the processor proposed (a reviewer's find).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policyOfRecommendation } from '../../../src/committer/committer.js';
import { DEFAULT_REPO_OPTIONS } from '../../../src/manifests/manifests.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import type { PolicyFile } from '../../../src/policy/policy-schema.js';
import { PolicySet } from '../../../src/policy/policy-set.js';
import type { Recommendation } from '../../../src/codec/generated-types.js';

const policy = (name: string, scope: object, spec: object) => ({
  file: `policies/${name}.yaml`,
  policy: { apiVersion: 'foresight.dev/v1', kind: 'Policy', metadata: { name }, scope, spec } as unknown as PolicyFile,
});
const manifest = (labels: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: pay
  labels: {${labels}}
  annotations: {foresight.dev/managed: 'true'}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: x
          resources: {requests: {cpu: "1", memory: 1Gi}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: pay}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 4
  maxReplicas: 10
`;
const policies = new PolicySet([
  policy('defaults', {}, { replicas: { min: 1, max: 10 } }),
  policy('payments', { team: 'payments' }, { replicas: { max: 30 } }),
]);
const rec = {
  id: 'r1',
  type: 'HPA',
  cluster: 'c',
  namespace: 'pay',
  kind: 'Deployment',
  name: 'api',
  container: null,
  changes: [
    { field: 'minReplicas', current: '4', proposed: '12' },
    { field: 'maxReplicas', current: '10', proposed: '15' },
  ],
} as unknown as Recommendation;

describe('committer: the policy of a recommendation', () => {
  it("takes the team's policy from the workload's label, so a raise within the team's bounds is committed", () => {
    const files = new Map([['apps/pay/api.yaml', manifest('foresight.dev/team: payments')]]);
    const p = policyOfRecommendation(policies, files, rec, DEFAULT_REPO_OPTIONS);
    assert.equal(p.replicas.max, 30);
    const plan = planRecommendation(files, rec, p);
    assert.deepEqual(
      plan.diffs.map((d) => [d.field, d.after]),
      [
        ['minReplicas', '12'],
        ['maxReplicas', '15'],
      ],
    );
  });

  it('without a team label the defaults bound it, and the same raise is out of bounds', () => {
    const files = new Map([['apps/pay/api.yaml', manifest('app: api')]]);
    const p = policyOfRecommendation(policies, files, rec, DEFAULT_REPO_OPTIONS);
    assert.equal(p.replicas.max, 10);
    assert.throws(() => planRecommendation(files, rec, p), /out-of-bounds|outside|\[1, 10\]/);
  });
});
