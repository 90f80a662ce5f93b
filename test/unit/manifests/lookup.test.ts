/**
 * ManifestIndex.lookup, the scoring path's non-throwing resolve: a workload of the repository
 * resolves to what resolve() gives; an unknown, unmanaged, ambiguous or broken one gives the
 * reason and the message that resolve() throws as a RejectedMessage (the committer's report).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestIndex, type WorkloadKey } from '../../../src/manifests/manifests.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { exampleFiles } from '../../helpers/gitops.js';

const key = (label: string): WorkloadKey => {
  const [namespace, kind, name] = label.split('/');
  return { namespace, kind, name };
};

/** resolve()'s error for `label`, as reason and message. */
function thrown(index: ManifestIndex, label: string): { reason: string; detail: string } {
  try {
    index.resolve(key(label));
  } catch (err) {
    assert.ok(err instanceof RejectedMessage, String(err));
    return { reason: err.reason, detail: err.message };
  }
  assert.fail(`${label} resolved`);
}

describe('ManifestIndex.lookup', () => {
  it('resolves a workload of the repository as resolve() does', () => {
    const index = ManifestIndex.build(exampleFiles());
    const found = index.lookup(key('shop/Deployment/checkout'));
    assert.equal(found.problem, undefined);
    assert.deepEqual(found.resolved, index.resolve(key('shop/Deployment/checkout')));
    assert.equal(found.resolved?.hpa?.edit.kind, 'HorizontalPodAutoscaler');
    // the model server: its KEDA ScaledObject and the document that holds its triggers
    const llm = index.lookup(key('ml/Deployment/llm-server')).resolved;
    assert.ok(llm?.scaledObject?.triggers, 'the ScaledObject with its triggers');
  });

  it('says why not, with the reason and message resolve() throws, without throwing', () => {
    const files = exampleFiles();
    files.set('apps/misc.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: legacy\n  namespace: shop\nspec:\n  replicas: 1\n');
    files.set(
      'apps/twice.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: twice\n  namespace: shop\n  annotations: { foresight.dev/managed: "true" }\n' +
        '---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: { name: a, namespace: shop }\nspec: { scaleTargetRef: { kind: Deployment, name: twice } }\n' +
        '---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: { name: b, namespace: shop }\nspec: { scaleTargetRef: { kind: Deployment, name: twice } }\n',
    );
    const index = ManifestIndex.build(files);
    for (const [label, reason, message] of [
      ['shop/Deployment/nope', 'unknown-workload', /^shop\/Deployment\/nope is not in the GitOps repository$/],
      ['shop/Deployment/legacy', 'not-managed', /foresight\.dev\/managed/],
      ['shop/Deployment/twice', 'ambiguous-target', /more than one HorizontalPodAutoscaler: a, b/],
    ] as const) {
      const found = index.lookup(key(label));
      assert.equal(found.resolved, undefined, label);
      assert.equal(found.problem?.reason, reason, label);
      assert.match(found.problem!.detail, message);
      assert.deepEqual(found.problem, thrown(index, label), label);
    }
    // a mapping file that does not parse: every lookup says so, with its file
    files.set('foresight-mapping.yaml', 'workloads: [');
    const broken = ManifestIndex.build(files).lookup(key('shop/Deployment/checkout'));
    assert.equal(broken.problem?.reason, 'manifest-invalid');
    assert.match(broken.problem!.detail, /foresight-mapping\.yaml/);
  });
});
