/**
 * Manifests of a shape Kubernetes does not accept (`containers` as a mapping, `resources` as a
 * string, an HPA's `metrics` as a mapping, a Helm values path through a list), read from real
 * YAML files: the workload does not resolve, and both paths say "file:line: unsupported
 * manifest shape" — the committer's dead letter (resolve, planRecommendation) and the scoring
 * path's reason (lookup) — where a TypeError came before.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import { currentValue, ManifestIndex, type ResolvedWorkload } from '../../../src/manifests/manifests.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';
import { exampleFiles } from '../../helpers/gitops.js';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'manifests');
const FILE = 'apps/shop/unsupported-shapes.yaml';

function files(): Map<string, string> {
  const f = exampleFiles();
  f.set(FILE, readFileSync(path.join(FIXTURES, 'unsupported-shapes.yaml'), 'utf8'));
  return f;
}

const key = (name: string) => ({ namespace: 'shop', kind: 'Deployment', name });

describe('manifests of an unsupported shape', () => {
  const index = ManifestIndex.build(files());

  for (const [name, detail] of [
    [
      'web',
      `${FILE}:14: unsupported manifest shape: Deployment spec.template.spec.containers is a mapping where Kubernetes expects a list (one "- name: …" entry per container)`,
    ],
    [
      'api',
      `${FILE}:31: unsupported manifest shape: Deployment spec.template.spec.containers[0].resources is a single value where Kubernetes expects a mapping`,
    ],
    ['worker', `${FILE}:53: unsupported manifest shape: HorizontalPodAutoscaler spec.metrics is a mapping where Kubernetes expects a list`],
  ]) {
    it(`${name}: lookup says why at file:line, resolve throws it as a dead letter`, () => {
      const found = index.lookup(key(name));
      assert.equal(found.resolved, undefined);
      assert.deepEqual(found.problem, { reason: 'manifest-invalid', detail });
      assert.throws(
        () => index.resolve(key(name)),
        (e: unknown) => e instanceof RejectedMessage && e.reason === 'manifest-invalid' && e.message === detail,
      );
    });
  }

  it('the committer dead-letters a recommendation for it instead of crashing', () => {
    const rec = {
      namespace: 'shop',
      kind: 'Deployment',
      name: 'web',
      container: 'app',
      changes: [{ field: 'requests.cpu', current: '500m', proposed: '600m' }],
      currentSource: 'MANIFEST',
    } as unknown as Recommendation;
    assert.throws(
      () => planRecommendation(files(), rec, undefined),
      (e: unknown) =>
        e instanceof RejectedMessage &&
        e.reason === 'manifest-invalid' &&
        /^apps\/shop\/unsupported-shapes\.yaml:14: unsupported manifest shape/.test(e.message),
    );
  });

  it('a Helm values path through a list is refused at its line', () => {
    const f = exampleFiles();
    f.set('charts/cart/values-prod.yaml', readFileSync(path.join(FIXTURES, 'values-unsupported.yaml'), 'utf8'));
    const found = ManifestIndex.build(f).lookup(key('cart'));
    assert.deepEqual(found.problem, {
      reason: 'manifest-invalid',
      detail: 'charts/cart/values-prod.yaml:4: unsupported values shape: resources.requests is a list where Foresight expects a mapping',
    });
  });

  it('a Helm values path through a list by index (containers.0.…) resolves and is edited', () => {
    const f = exampleFiles();
    f.set(
      'charts/cart/values-prod.yaml',
      ['replicaCount: 2', 'containers:', '  - name: app', '    resources:', '      requests:', '        cpu: 200m', '        memory: 256Mi', ''].join('\n'),
    );
    const mapping = f.get('foresight-mapping.yaml')!;
    const indexed = mapping.replace(
      'requests.cpu: resources.requests.cpu\n        requests.memory: resources.requests.memory\n  - workload: ml',
      'requests.cpu: containers.0.resources.requests.cpu\n        requests.memory: containers.0.resources.requests.memory\n  - workload: ml',
    );
    assert.notEqual(indexed, mapping);
    f.set('foresight-mapping.yaml', indexed);
    const found = ManifestIndex.build(f).lookup(key('cart'));
    assert.equal(found.problem, undefined);
    assert.equal(currentValue(found.resolved!, 'requests.cpu', null), '200m');
    const cart = {
      namespace: 'shop',
      kind: 'Deployment',
      name: 'cart',
      container: null,
      changes: [{ field: 'requests.cpu', current: '200m', proposed: '300m' }],
      currentSource: 'MANIFEST',
    } as unknown as Recommendation;
    const plan = planRecommendation(f, cart, undefined);
    assert.match(plan.changed.get('charts/cart/values-prod.yaml')!, /^ {8}cpu: 300m$/m);
    // an index past the list's end is no value (not a shape problem)
    f.set('foresight-mapping.yaml', indexed.replace('containers.0.resources.requests.cpu', 'containers.1.resources.requests.cpu'));
    assert.equal(currentValue(ManifestIndex.build(f).lookup(key('cart')).resolved!, 'requests.cpu', null), null);
  });

  it('the well-formed workloads beside them still resolve', () => {
    const example = ManifestIndex.build(exampleFiles());
    for (const label of ['shop/Deployment/checkout', 'ml/Deployment/llm-server', 'shop/Deployment/cart']) {
      const [namespace, kind, name] = label.split('/');
      assert.equal(index.lookup({ namespace, kind, name }).problem, undefined, label);
      assert.deepEqual(index.lookup({ namespace, kind, name }), example.lookup({ namespace, kind, name }), label);
    }
  });

  it('currentValue gives null, not a TypeError, for a workload of another shape handed to it', () => {
    const odd = {
      key: key('web'),
      workload: { edit: {}, merged: { spec: { template: { spec: { containers: { app: { resources: { requests: { cpu: '500m' } } } } } } } } },
      hpa: { edit: {}, merged: { spec: { metrics: { cpu: { type: 'Resource' } } } } },
    } as unknown as ResolvedWorkload;
    assert.equal(currentValue(odd, 'requests.cpu', 'app'), null);
    assert.equal(currentValue(odd, 'targetCPUUtilization', null), null);
  });
});
