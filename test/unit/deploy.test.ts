/**
 * The Kubernetes, Argo CD and Flux objects in deploy/ are well-formed: every FORESIGHT_*
 * variable they set exists, the probes hit the real endpoints, the HPA and PDB select the
 * processor, and Argo CD and Flux point at a path of the example GitOps repository that has a
 * kustomization.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ALL_VARIABLES } from '../../src/config/variables.js';
import { PROJECT_ROOT } from '../../src/util/paths.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (rel: string): Obj[] => parseAllDocuments(readFileSync(path.join(PROJECT_ROOT, 'deploy', rel), 'utf8')).map((d) => {
  assert.deepEqual(d.errors, [], rel);
  return d.toJS() as Obj;
});

describe('deploy/', () => {
  const kustomization = load('kubernetes/kustomization.yaml')[0];
  const objects = (kustomization.resources as string[]).flatMap((r) => load(`kubernetes/${r}`));
  const find = (kind: string, name: string): Obj => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

  it('sets only known variables, and the committer\'s token comes from the Secret', () => {
    const known = new Set(ALL_VARIABLES.map((v) => v.name));
    for (const k of Object.keys(find('ConfigMap', 'foresight-config').data)) assert.ok(known.has(k), `${k} is not a Foresight variable`);
    const committer = find('Deployment', 'foresight-committer').spec.template.spec.containers[0];
    assert.deepEqual(committer.env.find((e: Obj) => e.name === 'FORESIGHT_GITHUB_TOKEN').valueFrom.secretKeyRef, { name: 'foresight-github', key: 'token' });
    assert.ok(find('Secret', 'foresight-github'));
  });

  it('probes /healthz and /readyz, and gives the services no Kubernetes API access', () => {
    for (const name of ['foresight-processor', 'foresight-committer']) {
      const pod = find('Deployment', name).spec.template.spec;
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(find('ServiceAccount', pod.serviceAccountName).automountServiceAccountToken, false);
      const c = pod.containers[0];
      assert.equal(c.readinessProbe.httpGet.path, '/readyz');
      assert.equal(c.livenessProbe.httpGet.path, '/healthz');
      assert.ok(c.resources.requests.cpu && c.resources.limits.memory);
    }
    assert.equal(objects.filter((o) => /Role/.test(o.kind)).length, 0);
  });

  it('scales and protects the processor', () => {
    const labels = find('Deployment', 'foresight-processor').spec.template.metadata.labels;
    const hpa = find('HorizontalPodAutoscaler', 'foresight-processor');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'foresight-processor' });
    assert.ok(hpa.spec.minReplicas <= hpa.spec.maxReplicas);
    assert.deepEqual(find('PodDisruptionBudget', 'foresight-processor').spec.selector.matchLabels, labels);
  });

  it('points Argo CD and Flux at a Kustomize overlay of the example GitOps repository', () => {
    const app = load('argocd/application.yaml')[0];
    const flux = load('flux/kustomization.yaml')[0];
    for (const p of [app.spec.source.path, flux.spec.path]) {
      assert.ok(existsSync(path.join(PROJECT_ROOT, 'deploy', 'gitops-example', p, 'kustomization.yaml')), p);
    }
    assert.equal(flux.spec.sourceRef.name, load('flux/gitrepository.yaml')[0].metadata.name);
  });
});
