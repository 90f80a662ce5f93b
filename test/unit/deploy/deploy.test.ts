/**
 * The Kubernetes, Argo CD and Flux objects in deploy/ are well-formed: every FORESIGHT_*
 * variable they set exists, the probes hit the real endpoints, the HPA and PDB select the
 * processor, and Argo CD and Flux point at a path of the example GitOps repository that has a
 * kustomization.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ALL_VARIABLES } from '../../../src/config/variables.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (rel: string): Obj[] =>
  parseAllDocuments(readFileSync(path.join(PROJECT_ROOT, 'deploy', rel), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], rel);
    return d.toJS() as Obj;
  });

describe('deploy/', () => {
  const kustomization = load('kubernetes/kustomization.yaml')[0];
  const objects = (kustomization.resources as string[]).flatMap((r) => load(`kubernetes/${r}`));
  const find = (kind: string, name: string): Obj => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

  it("sets only known variables, and the committer's token comes from the Secret", () => {
    const known = new Set(ALL_VARIABLES.map((v) => v.name));
    for (const k of Object.keys(find('ConfigMap', 'foresight-config').data)) assert.ok(known.has(k), `${k} is not a Foresight variable`);
    const committer = find('Deployment', 'foresight-committer').spec.template.spec.containers[0];
    assert.deepEqual(committer.env.find((e: Obj) => e.name === 'FORESIGHT_GITHUB_TOKEN').valueFrom.secretKeyRef, { name: 'foresight-github', key: 'token' });
    assert.ok(find('Secret', 'foresight-github'));
  });

  it('reads every credential from a file mounted from a Secret, and gives the committer no Redis credentials', () => {
    const known = new Set(ALL_VARIABLES.map((v) => v.name));
    const config = find('ConfigMap', 'foresight-config').data as Record<string, string>;
    for (const name of ['foresight-processor', 'foresight-committer']) {
      const pod = find('Deployment', name).spec.template.spec;
      const c = pod.containers[0];
      const env: Record<string, string> = {
        ...config,
        ...Object.fromEntries((c.env ?? []).filter((e: Obj) => 'value' in e).map((e: Obj) => [e.name, e.value])),
      };
      for (const k of Object.keys(env)) assert.ok(known.has(k), `${name}: ${k} is not a Foresight variable`);
      assert.ok(!Object.keys(env).some((k) => /_PASSWORD$/.test(k)), `${name}: a password as an environment value`);
      // each *_FILE path lies in a projected Secret volume mounted in the container
      const mount = c.volumeMounts.find((m: Obj) => m.name === 'credentials');
      const sources = pod.volumes.find((v: Obj) => v.name === 'credentials').projected.sources as Obj[];
      const files = new Set(sources.flatMap((src) => src.secret.items.map((i: Obj) => `${mount.mountPath}/${i.path}`)));
      for (const src of sources) assert.ok(find('Secret', src.secret.name), `${name}: Secret ${src.secret.name} is defined`);
      for (const [k, v] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) assert.ok(files.has(v), `${name}: ${k}=${v} is not a mounted file`);
      assert.equal(pod.securityContext.fsGroup, pod.securityContext.runAsUser, `${name}: the 0440 files are readable by the service's group`);
      assert.equal(env.FORESIGHT_KAFKA_TLS, 'true');
      assert.ok(env.FORESIGHT_SCHEMA_REGISTRY_URL.startsWith('https://'));
      assert.equal('FORESIGHT_REDIS_PASSWORD_FILE' in env, name === 'foresight-processor', `${name}: Redis credentials`);
    }
    assert.ok(
      find('Deployment', 'foresight-processor')
        .spec.template.spec.containers[0].env.find((e: Obj) => e.name === 'FORESIGHT_REDIS_URL')
        .value.startsWith('rediss://'),
    );
  });

  it('gives each service a NetworkPolicy: ingress to the metrics port only, egress to DNS and its dependencies only', () => {
    const allowed: Record<string, number[]> = { 'foresight-processor': [53, 9093, 8443, 6380, 4318, 443], 'foresight-committer': [53, 9093, 8443, 4318, 443] };
    for (const [name, ports] of Object.entries(allowed)) {
      const pod = find('Deployment', name).spec.template;
      const np = find('NetworkPolicy', name);
      assert.deepEqual(np.spec.podSelector.matchLabels, pod.metadata.labels);
      assert.deepEqual([...np.spec.policyTypes].sort(), ['Egress', 'Ingress']);
      assert.deepEqual(
        np.spec.ingress.flatMap((r: Obj) => r.ports.map((p: Obj) => p.port)),
        [pod.spec.containers[0].ports[0].containerPort],
      );
      for (const rule of np.spec.egress)
        assert.ok(rule.to?.length > 0 && rule.ports?.length > 0, `${name}: an egress rule without destinations or ports allows everything`);
      assert.deepEqual([...new Set(np.spec.egress.flatMap((r: Obj) => r.ports.map((p: Obj) => p.port)))].sort(), [...ports].sort(), name);
      const anywhere = np.spec.egress.filter((r: Obj) => r.to.some((t: Obj) => t.ipBlock?.cidr === '0.0.0.0/0'));
      assert.deepEqual(
        anywhere.flatMap((r: Obj) => r.ports.map((p: Obj) => p.port)),
        [443],
        `${name}: only HTTPS (Git) to public addresses`,
      );
      for (const r of anywhere) assert.ok(r.to[0].ipBlock.except.includes('10.0.0.0/8'), 'public addresses only');
    }
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

  it("ignores spec.replicas only of the Deployments an HPA scales (a Deployment's replicas from Git must sync)", () => {
    const app = load('argocd/application.yaml')[0];
    const dir = path.join(PROJECT_ROOT, 'deploy', 'gitops-example', app.spec.source.path, '..', '..');
    const docs = (d: string): Obj[] =>
      readdirSync(d).flatMap((f) =>
        statSync(path.join(d, f)).isDirectory()
          ? docs(path.join(d, f))
          : f.endsWith('.yaml')
            ? load(path.relative(path.join(PROJECT_ROOT, 'deploy'), path.join(d, f)))
            : [],
      );
    const scaled = new Set(
      docs(dir)
        .filter((o) => o?.kind === 'HorizontalPodAutoscaler')
        .map((o) => (o.spec as Obj | undefined)?.scaleTargetRef as Obj | undefined)
        .filter((r) => r?.kind === 'Deployment')
        .map((r) => r!.name),
    );
    const ignored = (app.spec.ignoreDifferences as Obj[]).filter((d) => (d.jsonPointers as string[]).includes('/spec/replicas'));
    assert.ok(ignored.length > 0);
    for (const d of ignored)
      assert.ok(typeof d.name === 'string' && scaled.has(d.name), `ignoreDifferences ${JSON.stringify(d)} is not scoped to a Deployment an HPA scales`);
  });

  it('puts the Argo CD application in a project limited to its repository, namespace and the kinds the repository holds', () => {
    const app = load('argocd/application.yaml')[0];
    const project = load('argocd/appproject.yaml')[0];
    assert.equal(project.kind, 'AppProject');
    assert.equal(app.spec.project, project.metadata.name);
    assert.notEqual(app.spec.project, 'default');
    assert.deepEqual(project.spec.sourceRepos, [app.spec.source.repoURL]);
    assert.deepEqual(project.spec.destinations, [{ server: app.spec.destination.server, namespace: app.spec.destination.namespace }]);
    assert.deepEqual(project.spec.clusterResourceWhitelist, [{ group: '', kind: 'Namespace' }], 'nothing cluster-wide but the namespace');
    const allowed = new Set((project.spec.namespaceResourceWhitelist as Obj[]).map((k) => k.kind));
    assert.ok(!allowed.has('*') && !allowed.has('Secret') && !allowed.has('Role'));
    // every kind the application's folder holds is allowed
    const appDir = path.join(PROJECT_ROOT, 'deploy', 'gitops-example', app.spec.source.path, '..', '..');
    const yamlFiles = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) =>
        statSync(path.join(dir, f)).isDirectory() ? yamlFiles(path.join(dir, f)) : f.endsWith('.yaml') ? [path.join(dir, f)] : [],
      );
    const kinds = yamlFiles(appDir)
      .flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => (d.toJS() as Obj | null)?.kind as string))
      .filter((k) => k && k !== 'Kustomization');
    assert.ok(kinds.length > 0);
    for (const k of kinds) assert.ok(allowed.has(k), `${k} is not in the project's whitelist`);
  });
});
