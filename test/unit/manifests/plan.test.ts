/**
 * Recommendations become minimal edits of the example GitOps repository (deploy/gitops-example):
 * a Kustomize overlay patch, plain multi-document manifests and Helm values, each keeping every
 * unrelated byte; and the bad cases are rejected with their reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentValue, ManifestIndex } from '../../../src/manifests/manifests.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { exampleFiles } from '../../helpers/gitops.js';
import { fieldRec } from '../../helpers/recommendation.js';

const WIDE = { ...DEFAULT_POLICY, replicas: { ...DEFAULT_POLICY.replicas, max: 20 } };

const rec = fieldRec;

/** The lines that differ, as [line number, before, after]; the texts must have the same line count. */
function changedLines(a: string, b: string): [number, string, string][] {
  const x = a.split('\n');
  const y = b.split('\n');
  assert.equal(x.length, y.length, 'line count changed');
  return x.flatMap((l, i) => (l === y[i] ? [] : [[i + 1, l, y[i]] as [number, string, string]]));
}

function rejectsWith(fn: () => unknown, reason: string, detail?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RejectedMessage, String(err));
    assert.equal(err.reason, reason, err.message);
    if (detail) assert.match(err.message, detail);
    return true;
  });
}

describe('GitOps edits', () => {
  it("an HPA's ContainerResource cpu target is edited in place and held to the API's bounds like a Resource one", () => {
    const files = exampleFiles();
    const file = 'apps/payments/payments.yaml';
    files.set(
      file,
      files
        .get(file)!
        .replace(
          '- type: Resource\n      resource:\n        name: cpu\n',
          '- type: ContainerResource\n      containerResource:\n        name: cpu\n        container: api\n',
        ),
    );
    assert.match(files.get(file)!, /containerResource:\n {8}name: cpu\n {8}container: api\n {8}target: \{type: Utilization, averageUtilization: 65\}/);
    const plan = planRecommendation(files, rec('payments/Deployment/payments', [['targetCPUUtilization', '60']]), DEFAULT_POLICY);
    assert.match(plan.changed.get(file)!, /containerResource:\n {8}name: cpu\n {8}container: api\n {8}target: \{type: Utilization, averageUtilization: 60\}/);
    for (const bad of ['0', '70.5'])
      rejectsWith(
        () => planRecommendation(files, rec('payments/Deployment/payments', [['targetCPUUtilization', bad]]), DEFAULT_POLICY),
        'out-of-bounds',
        /HPA averageUtilization must be an integer ≥ 1/,
      );
  });

  it('edits the Kustomize overlay patch, not the base, keeping comments and every other byte', () => {
    const files = exampleFiles();
    const plan = planRecommendation(
      files,
      rec('shop/Deployment/checkout', [
        ['minReplicas', '5'],
        ['maxReplicas', '14'],
      ]),
      WIDE,
    );
    assert.deepEqual([...plan.changed.keys()], ['apps/shop/overlays/prod/checkout-patch.yaml']);
    const file = 'apps/shop/overlays/prod/checkout-patch.yaml';
    assert.deepEqual(changedLines(files.get(file)!, plan.changed.get(file)!), [
      [22, '  minReplicas: 3   # never fewer than 3 in production', '  minReplicas: 5   # never fewer than 3 in production'],
      [23, '  maxReplicas: 12', '  maxReplicas: 14'],
    ]);
    assert.deepEqual(
      plan.diffs.map((d) => [d.field, d.before, d.after]),
      [
        ['minReplicas', '3', '5'],
        ['maxReplicas', '12', '14'],
      ],
    );
  });

  it("keeps a quoted quantity quoted, and adds a missing field at its siblings' indentation", () => {
    const files = exampleFiles();
    const file = 'apps/shop/overlays/prod/checkout-patch.yaml';
    const plan = planRecommendation(
      files,
      rec(
        'shop/Deployment/checkout',
        [
          ['requests.cpu', '1500m'],
          ['limits.memory', '1536Mi'],
        ],
        'app',
      ),
      DEFAULT_POLICY,
    );
    const after = plan.changed.get(file)!;
    assert.match(after, /\n {12}cpu: "1500m" {10}# black friday 2025: raised by hand\n/);
    assert.match(after, /\n {10}limits:\n {12}memory: 1536Mi\n---\n/);
    const before = files.get(file)!;
    // everything but those lines is unchanged
    assert.equal(after.replace('"1500m"', '"1"').replace('          limits:\n            memory: 1536Mi\n', ''), before);
    const w = ManifestIndex.build(new Map([...files, ...plan.changed])).resolve({ namespace: 'shop', kind: 'Deployment', name: 'checkout' });
    assert.equal(currentValue(w, 'limits.memory', 'app'), '1536Mi');
    assert.equal(currentValue(w, 'requests.memory', 'app'), '768Mi'); // from the patch, over the base's 512Mi
  });

  it('edits one document of a multi-document file, flow mappings included, leaving the others byte-identical', () => {
    const files = exampleFiles();
    const file = 'apps/payments/payments.yaml';
    const plan = planRecommendation(files, rec('payments/Deployment/payments', [['requests.cpu', '400m']], 'api'), DEFAULT_POLICY);
    assert.deepEqual(changedLines(files.get(file)!, plan.changed.get(file)!), [
      [30, '            requests: {cpu: 250m, memory: 256Mi}', '            requests: {cpu: 400m, memory: 256Mi}'],
    ]);
    const hpa = planRecommendation(files, rec('payments/Deployment/payments', [['targetCPUUtilization', '60']]), DEFAULT_POLICY);
    assert.deepEqual(
      changedLines(files.get(file)!, hpa.changed.get(file)!).map((l) => l[0]),
      [45],
    );
  });

  it('edits Helm values through the mapping file', () => {
    const files = exampleFiles();
    const file = 'charts/cart/values-prod.yaml';
    const plan = planRecommendation(
      files,
      rec(
        'shop/Deployment/cart',
        [
          ['minReplicas', '3'],
          ['requests.memory', '320Mi'],
        ],
        'cart',
      ),
      DEFAULT_POLICY,
    );
    assert.deepEqual(changedLines(files.get(file)!, plan.changed.get(file)!), [
      [10, '  minReplicas: 2       # cart must survive one node loss', '  minReplicas: 3       # cart must survive one node loss'],
      [17, '    memory: "256Mi"', '    memory: "320Mi"'],
    ]);
  });

  it('changes nothing when the manifest already has the proposed values', () => {
    const plan = planRecommendation(exampleFiles(), rec('shop/Deployment/checkout', [['minReplicas', '3']]), DEFAULT_POLICY);
    assert.equal(plan.changed.size, 0);
  });

  it('rejects unknown, unmanaged, out-of-bounds and invalid targets with their reason', () => {
    const files = exampleFiles();
    rejectsWith(
      () => planRecommendation(files, rec('shop/Deployment/nope', [['minReplicas', '3']]), DEFAULT_POLICY),
      'unknown-workload',
      /not in the GitOps repository/,
    );
    files.set('apps/misc.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: legacy\n  namespace: shop\nspec:\n  replicas: 1\n');
    rejectsWith(() => planRecommendation(files, rec('shop/Deployment/legacy', [['replicas', '2']]), DEFAULT_POLICY), 'not-managed', /foresight.dev\/managed/);
    rejectsWith(
      () => planRecommendation(files, rec('shop/Deployment/checkout', [['minReplicas', '13']]), WIDE),
      'out-of-bounds',
      /minReplicas 13 exceeds maxReplicas 12/,
    );
    rejectsWith(
      () => planRecommendation(files, rec('shop/Deployment/checkout', [['maxReplicas', '40']]), DEFAULT_POLICY),
      'out-of-bounds',
      /outside the policy bounds \[1, 10\]/,
    );
    rejectsWith(
      () => planRecommendation(files, rec('shop/Deployment/checkout', [['requests.memory', '2Gi']], 'app'), DEFAULT_POLICY),
      'out-of-bounds',
      /requests.memory 2Gi exceeds limits.memory 1Gi/,
    );
    rejectsWith(
      () => planRecommendation(files, rec('shop/Deployment/checkout', [['requests.cpu', '1']], 'sidecar'), DEFAULT_POLICY),
      'unknown-workload',
      /no container sidecar/,
    );
  });

  it('reports malformed YAML with file and line for its workload; the others proceed', () => {
    const files = exampleFiles();
    files.set('apps/payments/payments.yaml', files.get('apps/payments/payments.yaml')!.replace('  replicas: 2\n', '  replicas: [2\n'));
    rejectsWith(
      () => planRecommendation(files, rec('payments/Deployment/payments', [['replicas', '3']]), DEFAULT_POLICY),
      'manifest-invalid',
      /apps\/payments\/payments\.yaml:\d+:/,
    );
    assert.equal(planRecommendation(files, rec('shop/Deployment/checkout', [['minReplicas', '4']]), DEFAULT_POLICY).changed.size, 1);
  });

  it('refuses mapping paths outside the repository and ambiguous targets', () => {
    const files = exampleFiles();
    const escaped = new Map(files).set(
      'foresight-mapping.yaml',
      files.get('foresight-mapping.yaml')!.replace('charts/cart/values-prod.yaml', '../../etc/passwd'),
    );
    rejectsWith(
      () => planRecommendation(escaped, rec('shop/Deployment/cart', [['minReplicas', '3']]), DEFAULT_POLICY),
      'manifest-invalid',
      /foresight-mapping\.yaml:\d+: .*leaves the repository/,
    );
    files.set('apps/shop/overlays/staging/kustomization.yaml', 'namespace: shop\nresources: [../../base]\npatches:\n  - path: patch.yaml\n');
    files.set(
      'apps/shop/overlays/staging/patch.yaml',
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: checkout\nspec:\n  minReplicas: 1\n',
    );
    rejectsWith(() => planRecommendation(files, rec('shop/Deployment/checkout', [['minReplicas', '4']]), DEFAULT_POLICY), 'ambiguous-target', /pin one/);
  });
});
