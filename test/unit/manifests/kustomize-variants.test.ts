/**
 * Kustomize layouts: a base that overlays of several namespaces deploy gets a patch of its own in
 * the namespace's overlay (a prod change once edited the base, so staging changed too: a
 * reviewer's find #8); what the index does not model is refused with a clear reason instead of a
 * wrong edit (no one overlay of the namespace alone, an inline or target-selected patch: the value
 * deployed is not the one in the files). `bases:` (kustomize v4's name of `resources:`) is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
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
  it('gives a base another namespace deploys a patch of its own in the overlay; edits the overlay patch when there is one', () => {
    const files = search('namespace: shop\nresources: [../../base]\n');
    const plan = planRecommendation(files, replicas, POLICY);
    const PATCH = 'apps/search/overlays/prod/foresight-deployment-search.yaml';
    assert.deepEqual([...plan.changed.keys()].sort(), [PATCH, 'apps/search/overlays/prod/kustomization.yaml']);
    assert.deepEqual(plan.diffs, [{ field: 'replicas', container: null, file: PATCH, before: '2', after: '3' }]);
    assert.equal(
      plan.changed.get('apps/search/overlays/prod/kustomization.yaml'),
      'namespace: shop\nresources: [../../base]\npatches:\n  - path: foresight-deployment-search.yaml\n',
    );
    const patch = plan.changed.get(PATCH)!;
    assert.match(
      patch,
      /^# Written by Foresight: Deployment\/search as deployed to shop only\.\n# apps\/search\/base\/search\.yaml is also deployed to shop-staging/,
    );
    assert.deepEqual(parseDocument(patch).toJS(), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'search' }, spec: { replicas: 3 } });
    // the next change finds the patch and edits it (a resource of a container the patch has no entry for yet)
    const next = new Map([...files, ...plan.changed]);
    const cpu = rec('shop/Deployment/search', 'c', [['requests.cpu', null, '250m']], { type: 'RESOURCES', container: 'app' });
    const second = planRecommendation(next, cpu, POLICY);
    assert.deepEqual([...second.changed.keys()], [PATCH]);
    assert.deepEqual(parseDocument(second.changed.get(PATCH)!).toJS().spec, {
      replicas: 3,
      template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '250m' } } }] } },
    });
    // staging is refused nothing either: its own overlay gets its own patch
    const staging = planRecommendation(next, rec('shop-staging/Deployment/search', 's', [['replicas', '2', '1']]), POLICY);
    assert.deepEqual([...staging.changed.keys()].sort(), [
      'apps/search/overlays/staging/foresight-deployment-search.yaml',
      'apps/search/overlays/staging/kustomization.yaml',
    ]);

    const withPatch = search('namespace: shop\nresources: [../../base]\npatches:\n  - path: search-patch.yaml\n');
    withPatch.set('apps/search/overlays/prod/search-patch.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: search\nspec:\n  replicas: 2\n');
    assert.deepEqual([...planRecommendation(withPatch, replicas, POLICY).changed.keys()], ['apps/search/overlays/prod/search-patch.yaml']);
    // the mapping may pin the base on purpose
    const pinned = search('namespace: shop\nresources: [../../base]\n');
    pinned.set(
      'foresight-mapping.yaml',
      'apiVersion: foresight.dev/v1\nkind: Mapping\nworkloads:\n  - workload: shop/Deployment/search\n    file: apps/search/base/search.yaml\n',
    );
    assert.deepEqual([...planRecommendation(pinned, replicas, POLICY).changed.keys()], ['apps/search/base/search.yaml']);
  });

  it('refuses a shared base where no one kustomization deploys it to the namespace alone', () => {
    // two overlays deploy it to shop (two clusters' folders): a patch in one would leave the other
    const twice = search('namespace: shop\nresources: [../../base]\n');
    twice.set('clusters/eu/kustomization.yaml', 'namespace: shop\nresources: [../../apps/search/base]\n');
    const a = refusal(twice);
    assert.equal(a.reason, 'ambiguous-target');
    assert.match(a.message, /deployed there by 2 builds \(apps\/search\/overlays\/prod\/kustomization\.yaml, clusters\/eu\/kustomization\.yaml\)/);
    // the base's own kustomization gives it shop, and staging's overlay builds on it: a patch there would reach staging
    const own = search('namespace: shop\nresources: [../../base]\n');
    own.delete('apps/search/overlays/prod/kustomization.yaml');
    own.set('apps/search/base/kustomization.yaml', 'namespace: shop\nresources: [search.yaml]\n');
    const b = refusal(own);
    assert.match(b.message, /also deployed to shop-staging.*no one kustomization on its way builds shop\/search alone/);
    // the file the patch would be written to exists and is not listed
    const taken = search('namespace: shop\nresources: [../../base]\n');
    taken.set('apps/search/overlays/prod/foresight-deployment-search.yaml', '# an old patch\n');
    assert.match(refusal(taken).message, /foresight-deployment-search\.yaml, where its patch for shop would go, exists but .* does not list it/);
  });

  it('refuses what it cannot model on the way (components, a replicas: field, a patches: that is no list) and changes nothing for a value already in force', () => {
    const components = search('namespace: shop\nresources: [../../base]\ncomponents: [../../comp]\n');
    components.set('apps/search/comp/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n');
    assert.match(refusal(components).message, /apps\/search\/overlays\/prod\/kustomization\.yaml uses components, which Foresight does not read/);
    const replicasField = search('namespace: shop\nresources: [../../base]\nreplicas:\n  - name: search\n    count: 4\n');
    assert.match(refusal(replicasField).message, /the replicas: field of apps\/search\/overlays\/prod\/kustomization\.yaml sets its replicas/);
    const notAList = search('namespace: shop\nresources: [../../base]\npatches: {}\n');
    assert.match(refusal(notAList).message, /the patch written for apps\/search\/overlays\/prod\/kustomization\.yaml is not read back as the object's/);
    // the value is already 2: no patch is written for nothing
    const same = planRecommendation(search('namespace: shop\nresources: [../../base]\n'), rec('shop/Deployment/search', 'n', [['replicas', '2', '2']]), POLICY);
    assert.deepEqual([...same.changed.keys()], []);
  });

  it('reads a kustomization file named Kustomization', () => {
    const files = search('namespace: shop\nresources: [../../base]\n');
    files.delete('apps/search/overlays/staging/kustomization.yaml');
    files.set('apps/search/overlays/staging/Kustomization', 'namespace: shop-staging\nresources: [../../base]\n');
    // staging is seen: the base is shared, so prod's change goes to a patch of prod's, not to the base
    assert.deepEqual([...planRecommendation(files, replicas, POLICY).changed.keys()].sort(), [
      'apps/search/overlays/prod/foresight-deployment-search.yaml',
      'apps/search/overlays/prod/kustomization.yaml',
    ]);
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
