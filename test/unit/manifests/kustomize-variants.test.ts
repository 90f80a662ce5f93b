/**
 * Kustomize layouts the index does not model are refused with a clear reason instead of a wrong
 * edit (a reviewer's find #8): a base that overlays of several namespaces deploy (a prod change
 * edited the base, so staging changed too), an inline or target-selected patch (the value
 * deployed is not the one in the files). `bases:` (kustomize v4's name of `resources:`) is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { exampleFiles } from '../../helpers/gitops.js';
import { rec } from '../../helpers/committer-local.js';

const POLICY = { ...DEFAULT_POLICY, replicas: { ...DEFAULT_POLICY.replicas, max: 20 } };
const BASE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: search
  annotations: {foresight.dev/managed: "true"}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: search:1
`;
const search = (prod: string): Map<string, string> =>
  new Map([
    ['apps/search/base/kustomization.yaml', 'resources: [search.yaml]\n'],
    ['apps/search/base/search.yaml', BASE],
    ['apps/search/overlays/staging/kustomization.yaml', 'namespace: shop-staging\nresources: [../../base]\n'],
    ['apps/search/overlays/prod/kustomization.yaml', prod],
  ]);
const replicas = rec('shop/Deployment/search', 'r', [['replicas', '2', '3']]);
const refusal = (files: Map<string, string>, r = replicas): RejectedMessage => {
  try {
    planRecommendation(files, r, POLICY);
  } catch (err) {
    if (err instanceof RejectedMessage) return err;
    throw err;
  }
  assert.fail('the edit was made');
};

describe('kustomize variants', () => {
  it('refuses to edit a base another namespace deploys; edits the overlay patch when there is one', () => {
    const shared = refusal(search('namespace: shop\nresources: [../../base]\n'));
    assert.equal(shared.reason, 'ambiguous-target');
    assert.match(shared.message, /apps\/search\/base\/search\.yaml is a base that is also deployed to shop-staging/);
    const withPatch = search('namespace: shop\nresources: [../../base]\npatches:\n  - path: search-patch.yaml\n');
    withPatch.set('apps/search/overlays/prod/search-patch.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: search\nspec:\n  replicas: 2\n');
    const plan = planRecommendation(withPatch, replicas, POLICY);
    assert.deepEqual([...plan.changed.keys()], ['apps/search/overlays/prod/search-patch.yaml']);
    // the mapping may pin the base on purpose
    const pinned = search('namespace: shop\nresources: [../../base]\n');
    pinned.set(
      'foresight-mapping.yaml',
      'apiVersion: foresight.dev/v1\nkind: Mapping\nworkloads:\n  - workload: shop/Deployment/search\n    file: apps/search/base/search.yaml\n',
    );
    assert.deepEqual([...planRecommendation(pinned, replicas, POLICY).changed.keys()], ['apps/search/base/search.yaml']);
  });

  it('refuses an object an inline JSON 6902 patch targets (prod runs 6 replicas, not the 2 in the files)', () => {
    const inline = refusal(
      search(`namespace: shop
resources: [../../base]
patches:
  - target: {kind: Deployment, name: search}
    patch: |-
      - op: replace
        path: /spec/replicas
        value: 6
`),
    );
    assert.equal(inline.reason, 'ambiguous-target');
    assert.match(inline.message, /an inline patch of Deployment\/search/);
  });

  it('reads bases: as resources, and refuses a patch file selected by target', () => {
    const files = exampleFiles();
    const K = 'apps/shop/overlays/prod/kustomization.yaml';
    assert.match(files.get(K)!, /resources:\n {2}- \.\.\/\.\.\/base/);
    files.set(K, files.get(K)!.replace('resources:\n  - ../../base', 'bases:\n  - ../../base'));
    const cpu = rec('shop/Deployment/checkout', 'k', [['requests.cpu', '1', '1500m']], { type: 'RESOURCES', container: 'app' });
    assert.deepEqual(
      planRecommendation(files, cpu, undefined).diffs.map((d) => `${d.file} ${d.before}→${d.after}`),
      ['apps/shop/overlays/prod/checkout-patch.yaml 1→1500m'],
    );
    files.set(K, files.get(K)!.replace('  - path: checkout-patch.yaml', '  - path: checkout-patch.yaml\n    target: {kind: Deployment, name: checkout}'));
    assert.match(refusal(files, cpu).message, /the patch checkout-patch\.yaml selected by target of Deployment\/checkout/);
  });
});
