/**
 * What users' tools render after Foresight's edits: the real kustomize (v5, installed by
 * scripts/install.sh into .tools/bin) builds the edited overlays of the example repository, and
 * the rendered objects carry the new values — the existing HPA, resources and nodeSelector
 * edits, the KEDA and GPU ones, and those of a base two namespaces share (a patch of its own in
 * the overlay: the other namespace renders as before).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';
import { exampleFiles, MIG_CHANGES, withGpuPatch } from '../../helpers/gitops.js';
import { gpuRec } from '../../helpers/recommendation.js';

const local = path.join(PROJECT_ROOT, '.tools', 'bin', 'kustomize');
const KUSTOMIZE = existsSync(local) ? local : 'kustomize';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'foresight-kustomize-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Writes the snapshot to a folder and renders one overlay with kustomize: kind/namespace/name → object (`outside`: files above the overlay's folder may be read, as Flux allows). */
function render(files: ReadonlyMap<string, string>, overlay: string, outside = false): Map<string, Obj> {
  const dir = mkdtempSync(path.join(tmp, 'repo-'));
  for (const [f, text] of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  let out: string;
  try {
    out = execFileSync(KUSTOMIZE, ['build', ...(outside ? ['--load-restrictor', 'LoadRestrictionsNone'] : []), path.join(dir, overlay)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') assert.fail(`kustomize is not installed (${local} nor on PATH): run scripts/install.sh`);
    throw new Error(`kustomize build ${overlay} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
  return new Map(
    parseAllDocuments(out)
      .map((d) => d.toJS() as Obj)
      .map((o) => [`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o]),
  );
}

function apply(files: Map<string, string>, ...plans: { changed: Map<string, string> }[]): Map<string, string> {
  const out = new Map(files);
  for (const p of plans) for (const [f, t] of p.changed) out.set(f, t);
  return out;
}

/** The default policy with room for the replica counts these cases propose. */
const wide = { ...DEFAULT_POLICY, replicas: { ...DEFAULT_POLICY.replicas, max: 20 } };

/** The HPA metrics of the shared-base cases: cpu at 70%, memory at 80%. */
const METRICS = `  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    - type: Resource
      resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}
`;

/** A managed Deployment search (one container app with these requests) and its HPA (2–10 replicas, then `metrics`). */
function searchYaml(requests: string, metrics = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: search
  annotations: {foresight.dev/managed: "true"}
spec:
  template:
    spec:
      containers:
        - name: app
          image: search:1
          resources:
            requests: ${requests}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: search
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: search}
  minReplicas: 2
  maxReplicas: 10
${metrics}`;
}

describe('kustomize renders the edited overlays', () => {
  it('with the HPA, resources and nodeSelector edits of shop, and the KEDA, MIG and spot GPU edits of ml', () => {
    const files = exampleFiles();
    const shopHpa = planRecommendation(
      files,
      gpuRec('shop/Deployment/checkout', [
        ['minReplicas', '5'],
        ['maxReplicas', '14'],
      ]),
      wide,
    );
    const afterHpa = apply(files, shopHpa);
    const shopRes = planRecommendation(
      afterHpa,
      gpuRec(
        'shop/Deployment/checkout',
        [
          ['requests.cpu', '1500m'],
          ['limits.memory', '1536Mi'],
        ],
        'app',
      ),
      wide,
    );
    const afterRes = apply(afterHpa, shopRes);
    const shopSpot = planRecommendation(afterRes, gpuRec('shop/Deployment/checkout', [['nodeSelector.karpenter.sh/capacity-type', 'spot']]), wide);
    const mlKeda = planRecommendation(
      files,
      gpuRec('ml/Deployment/llm-server', [
        ['keda.minReplicaCount', '4'],
        ['keda.maxReplicaCount', '10'],
        ['keda.threshold', '6'],
      ]),
      wide,
    );
    const afterKeda = apply(files, mlKeda);
    const mlMig = planRecommendation(afterKeda, gpuRec('ml/Deployment/llm-server', MIG_CHANGES, 'vllm'), wide);
    const mlSpot = planRecommendation(apply(afterKeda, mlMig), gpuRec('ml/Deployment/llm-server', [['nodeSelector.node-pool', 'gpu-a100-spot']]), wide);
    const edited = apply(files, shopHpa, shopRes, shopSpot, mlKeda, mlMig, mlSpot);

    // before: the renders carry the original values (the test can tell the difference)
    const shop0 = render(files, 'apps/shop/overlays/prod');
    assert.equal(shop0.get('HorizontalPodAutoscaler/shop/checkout')!.spec.minReplicas, 3);
    const shop = render(edited, 'apps/shop/overlays/prod');
    const hpa = shop.get('HorizontalPodAutoscaler/shop/checkout')!;
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [5, 14]);
    const checkout = shop.get('Deployment/shop/checkout')!.spec.template.spec;
    const app = checkout.containers.find((c: Obj) => c.name === 'app');
    assert.equal(app.resources.requests.cpu, '1500m');
    assert.equal(app.resources.limits.memory, '1536Mi');
    assert.equal(app.resources.requests.memory, '768Mi', 'the untouched patch value still wins over the base');
    assert.equal(checkout.nodeSelector['karpenter.sh/capacity-type'], 'spot');

    const ml0 = render(files, 'apps/ml/overlays/prod');
    assert.equal(ml0.get('ScaledObject/ml/llm-server')!.spec.minReplicaCount, 2);
    const ml = render(edited, 'apps/ml/overlays/prod');
    const so = ml.get('ScaledObject/ml/llm-server')!;
    assert.deepEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount], [4, 10]);
    assert.equal(so.spec.triggers.length, 1, 'the trigger list is whole');
    assert.equal(so.spec.triggers[0].type, 'prometheus');
    assert.equal(so.spec.triggers[0].metadata.threshold, '6', 'KEDA trigger metadata stays a string');
    const vllm = ml.get('Deployment/ml/llm-server')!.spec.template.spec.containers[0];
    // the whole GPU is gone from the rendered pod, not left as a request of 0
    assert.deepEqual(vllm.resources.limits, { memory: '24Gi', 'nvidia.com/mig-3g.40gb': 1 });
    assert.deepEqual(vllm.resources.requests, { cpu: '4', memory: '24Gi', 'nvidia.com/mig-3g.40gb': 1 });
    assert.equal(ml0.get('Deployment/ml/llm-server')!.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'], 1);

    assert.deepEqual(ml.get('Deployment/ml/llm-server')!.spec.template.spec.nodeSelector, { 'node-pool': 'gpu-a100-spot' }, 'moved to the spot GPU pool');

    // the GPU request also in the overlay's patch: the edit sets it to null there, which kustomize's strategic merge deletes;
    // the spot pool's node selector is added to that patch and wins over the base's
    const patched = withGpuPatch(files);
    const patchedMig = planRecommendation(patched, gpuRec('ml/Deployment/llm-server', MIG_CHANGES, 'vllm'), wide);
    const patchedSpot = planRecommendation(apply(patched, patchedMig), gpuRec('ml/Deployment/llm-server', [['nodeSelector.node-pool', 'gpu-a100-spot']]), wide);
    assert.deepEqual([...patchedSpot.changed.keys()], ['apps/ml/overlays/prod/llm-server-patch.yaml']);
    const pod2 = render(apply(patched, patchedMig, patchedSpot), 'apps/ml/overlays/prod').get('Deployment/ml/llm-server')!.spec.template.spec;
    assert.deepEqual(pod2.nodeSelector, { 'node-pool': 'gpu-a100-spot' });
    const vllm2 = pod2.containers[0];
    assert.deepEqual(vllm2.resources.limits, { memory: '24Gi', 'nvidia.com/mig-3g.40gb': 1 });
    assert.deepEqual(vllm2.resources.requests, { cpu: '4', memory: '24Gi', 'nvidia.com/mig-3g.40gb': 1 });
  });

  it('gives a base that staging also deploys a patch of its own in the prod overlay: prod renders the new values, staging the old', () => {
    const base = `${searchYaml('{cpu: 500m, memory: 512Mi}', METRICS)}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  annotations: {foresight.dev/managed: "true"}
spec:
  template:
    spec:
      containers:
        - name: app
          image: worker:1
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
spec:
  scaleTargetRef: {name: worker}
  minReplicaCount: 1
  maxReplicaCount: 8
  triggers:
    - type: prometheus
      metadata: {serverAddress: http://prometheus:9090, query: sum(queue_depth), threshold: "10"}
    - type: cron
      metadata: {timezone: UTC, start: 0 8 * * *, end: 0 18 * * *, desiredReplicas: "2"}
    - type: memory
      metricType: Utilization
      metadata: {}
`;
    const files = new Map([
      ['apps/search/base/kustomization.yaml', 'resources:\n  - search.yaml\n'],
      ['apps/search/base/search.yaml', base],
      ['apps/search/overlays/staging/kustomization.yaml', 'namespace: shop-staging\nresources:\n  - ../../base\n'],
      ['apps/search/overlays/prod/kustomization.yaml', 'namespace: shop\nresources:\n  - ../../base\n'],
    ]);
    const hpa = planRecommendation(
      files,
      gpuRec('shop/Deployment/search', [
        ['minReplicas', '4'],
        ['targetCPUUtilization', '60'],
      ]),
      wide,
    );
    const cpu = planRecommendation(apply(files, hpa), gpuRec('shop/Deployment/search', [['requests.cpu', '250m']], 'app'), wide);
    const keda = planRecommendation(
      apply(files, hpa, cpu),
      gpuRec('shop/Deployment/worker', [
        ['keda.minReplicaCount', '2'],
        ['keda.threshold', '6'],
      ]),
      wide,
    );
    const edited = apply(files, hpa, cpu, keda);
    assert.equal(edited.get('apps/search/base/search.yaml'), base, 'the base is not edited');
    assert.deepEqual([...edited.keys()].filter((f) => f.includes('foresight-')).sort(), [
      'apps/search/overlays/prod/foresight-deployment-search.yaml',
      'apps/search/overlays/prod/foresight-horizontalpodautoscaler-search.yaml',
      'apps/search/overlays/prod/foresight-scaledobject-worker.yaml',
    ]);

    const prod = render(edited, 'apps/search/overlays/prod');
    const h = prod.get('HorizontalPodAutoscaler/shop/search')!.spec;
    assert.equal(h.minReplicas, 4);
    assert.equal(h.maxReplicas, 10);
    assert.deepEqual(
      h.metrics.map((m: Obj) => `${m.resource.name} ${m.resource.target.averageUtilization}`),
      ['cpu 60', 'memory 80'],
      'the metric list is whole, with the new cpu target',
    );
    assert.deepEqual(prod.get('Deployment/shop/search')!.spec.template.spec.containers[0].resources.requests, { cpu: '250m', memory: '512Mi' });
    // the patch made for minReplicaCount then gets the trigger list whole
    const so = prod.get('ScaledObject/shop/worker')!.spec;
    assert.deepEqual([so.minReplicaCount, so.maxReplicaCount], [2, 8]);
    const triggers = so.triggers;
    assert.deepEqual(
      triggers.map((t: Obj) => `${t.type} ${t.metadata.threshold ?? t.metadata.desiredReplicas}`),
      ['prometheus 6', 'cron 2', 'memory undefined'],
      'the trigger list is whole, with the new threshold',
    );
    assert.equal(typeof triggers[0].metadata.threshold, 'string', 'KEDA trigger metadata stays a string');
    assert.deepEqual(triggers[2].metadata, {}, 'an empty map is copied as one (KEDA requires metadata)');

    const staging = render(edited, 'apps/search/overlays/staging');
    assert.equal(staging.get('HorizontalPodAutoscaler/shop-staging/search')!.spec.minReplicas, 2);
    assert.equal(staging.get('HorizontalPodAutoscaler/shop-staging/search')!.spec.metrics[0].resource.target.averageUtilization, 70);
    assert.equal(staging.get('Deployment/shop-staging/search')!.spec.template.spec.containers[0].resources.requests.cpu, '500m');
    assert.equal(staging.get('ScaledObject/shop-staging/worker')!.spec.triggers[0].metadata.threshold, '10');
    assert.equal(staging.get('ScaledObject/shop-staging/worker')!.spec.minReplicaCount, 1);
  });

  it('finds objects under the namePrefix and nameSuffix of their overlays, and gives a base two prefixes share a patch per overlay', () => {
    const base = searchYaml('{cpu: 500m}');
    // blue and green in one namespace, told apart by their prefixes
    const files = new Map([
      ['apps/search/base/kustomization.yaml', 'resources:\n  - search.yaml\n'],
      ['apps/search/base/search.yaml', base],
      ['apps/search/blue/kustomization.yaml', 'namespace: shop\nnamePrefix: blue-\nresources:\n  - ../base\n'],
      ['apps/search/green/kustomization.yaml', 'namespace: shop\nnamePrefix: green-\nresources:\n  - ../base\n'],
    ]);
    const blue = planRecommendation(files, gpuRec('shop/Deployment/blue-search', [['minReplicas', '4']]), wide);
    assert.deepEqual([...blue.changed.keys()].sort(), [
      'apps/search/blue/foresight-horizontalpodautoscaler-blue-search.yaml',
      'apps/search/blue/kustomization.yaml',
    ]);
    const cpu = planRecommendation(apply(files, blue), gpuRec('shop/Deployment/blue-search', [['requests.cpu', '250m']], 'app'), wide);
    const edited = apply(files, blue, cpu);
    const b = render(edited, 'apps/search/blue');
    assert.equal(b.get('HorizontalPodAutoscaler/shop/blue-search')!.spec.minReplicas, 4);
    assert.equal(b.get('HorizontalPodAutoscaler/shop/blue-search')!.spec.scaleTargetRef.name, 'blue-search');
    assert.equal(b.get('Deployment/shop/blue-search')!.spec.template.spec.containers[0].resources.requests.cpu, '250m');
    const g = render(edited, 'apps/search/green');
    assert.equal(g.get('HorizontalPodAutoscaler/shop/green-search')!.spec.minReplicas, 2);
    assert.equal(g.get('Deployment/shop/green-search')!.spec.template.spec.containers[0].resources.requests.cpu, '500m');
    // a canary built on blue, with a suffix: its object gets a patch of its own; blue's can no longer be patched in blue's
    // overlay alone (the canary builds on it) and is refused
    const canary = new Map([...files, ['apps/search/canary/kustomization.yaml', 'nameSuffix: -canary\nresources:\n  - ../blue\n']]);
    const c = planRecommendation(canary, gpuRec('shop/Deployment/blue-search-canary', [['requests.cpu', '100m']], 'app'), wide);
    assert.deepEqual([...c.changed.keys()].sort(), [
      'apps/search/canary/foresight-deployment-blue-search-canary.yaml',
      'apps/search/canary/kustomization.yaml',
    ]);
    const cr = render(apply(canary, c), 'apps/search/canary');
    assert.equal(cr.get('Deployment/shop/blue-search-canary')!.spec.template.spec.containers[0].resources.requests.cpu, '100m');
    assert.equal(
      render(apply(canary, c), 'apps/search/blue').get('Deployment/shop/blue-search')!.spec.template.spec.containers[0].resources.requests.cpu,
      '500m',
    );
    assert.throws(
      () => planRecommendation(canary, gpuRec('shop/Deployment/blue-search', [['requests.cpu', '250m']], 'app'), wide),
      /also deployed to shop \(as blue-search-canary\), shop \(as green-search\).*no one kustomization on its way builds shop\/blue-search alone/,
    );
    // the unprefixed name is no workload of the repository
    assert.throws(
      () => planRecommendation(files, gpuRec('shop/Deployment/search', [['minReplicas', '4']]), wide),
      /shop\/Deployment\/search is not in the GitOps repository/,
    );
  });

  it("keeps a base object's own namespace in its patch, patches over a middle patch both namespaces share, and edits an outer patch that names no namespace", () => {
    const deployment = (ns: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: search\n${ns}  annotations: {foresight.dev/managed: "true"}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: search:1\n`;
    // 1. the base names its own namespace: kustomize matches a patch before the overlay's namespace applies, so the
    // patch must name the base's (without it, or with the overlay's, `kustomize build` fails and nothing syncs)
    const own = new Map([
      ['base/kustomization.yaml', 'resources:\n  - search.yaml\n'],
      ['base/search.yaml', deployment('  namespace: search-default\n')],
      ['staging/kustomization.yaml', 'namespace: shop-staging\nresources:\n  - ../base\n'],
      ['prod/kustomization.yaml', 'namespace: shop\nresources:\n  - ../base\n'],
    ]);
    const p1 = planRecommendation(own, gpuRec('shop/Deployment/search', [['replicas', '5']]), wide);
    assert.match(p1.changed.get('prod/foresight-deployment-search.yaml')!, /metadata:\n {2}name: search\n {2}namespace: search-default\n/);
    assert.equal(render(apply(own, p1), 'prod').get('Deployment/shop/search')!.spec.replicas, 5);
    assert.equal(render(apply(own, p1), 'staging').get('Deployment/shop-staging/search')!.spec.replicas, 2);

    // 2. a middle kustomization (no namespace) patches the HPA for both namespaces: prod gets a patch over it, staging keeps the middle patch's values
    const hpa =
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: search\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: search}\n  minReplicas: 2\n  maxReplicas: 10\n  metrics:\n    - type: Resource\n      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}\n';
    const mid = new Map([
      ['base/kustomization.yaml', 'resources:\n  - search.yaml\n  - hpa.yaml\n'],
      ['base/search.yaml', deployment('')],
      ['base/hpa.yaml', hpa],
      ['mid/kustomization.yaml', 'resources:\n  - ../base\npatches:\n  - path: p.yaml\n'],
      ['mid/p.yaml', 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: search\nspec:\n  minReplicas: 3\n'],
      ['staging/kustomization.yaml', 'namespace: shop-staging\nresources:\n  - ../mid\n'],
      ['prod/kustomization.yaml', 'namespace: shop\nresources:\n  - ../mid\n'],
    ]);
    const p2 = planRecommendation(
      mid,
      gpuRec('shop/Deployment/search', [
        ['minReplicas', '4'],
        ['targetCPUUtilization', '55'],
      ]),
      wide,
    );
    assert.deepEqual([...p2.changed.keys()].sort(), ['prod/foresight-horizontalpodautoscaler-search.yaml', 'prod/kustomization.yaml']);
    const prod2 = render(apply(mid, p2), 'prod').get('HorizontalPodAutoscaler/shop/search')!.spec;
    assert.deepEqual([prod2.minReplicas, prod2.metrics[0].resource.target.averageUtilization], [4, 55]);
    const staging2 = render(apply(mid, p2), 'staging').get('HorizontalPodAutoscaler/shop-staging/search')!.spec;
    assert.deepEqual([staging2.minReplicas, staging2.metrics[0].resource.target.averageUtilization], [3, 70]);

    // 3. an outer kustomization without a namespace patches prod's HPA: the patch applied last is the one edited
    const outer = new Map([
      ...mid,
      ['clusters/eu/kustomization.yaml', 'resources:\n  - ../../prod\npatches:\n  - path: hpa.yaml\n'],
      ['clusters/eu/hpa.yaml', 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: search\nspec:\n  minReplicas: 6\n'],
    ]);
    const p3 = planRecommendation(outer, gpuRec('shop/Deployment/search', [['minReplicas', '4']]), wide);
    assert.deepEqual(
      p3.diffs.map((d) => `${d.file} ${d.before}→${d.after}`),
      ['clusters/eu/hpa.yaml 6→4'],
    );
    assert.equal(render(apply(outer, p3), 'clusters/eu').get('HorizontalPodAutoscaler/shop/search')!.spec.minReplicas, 4);
  });

  it('matches patches and HPA references by any name an object has had, and never writes a patch that names another object', () => {
    const web = (ns = '') =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n${ns}  annotations: {foresight.dev/managed: "true"}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: web:1\n          resources:\n            requests: {cpu: 100m}\n`;
    const cpuPatch = (cpu: string, name = 'web') =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          resources:\n            requests: {cpu: ${cpu}}\n`;
    const cpuOf = (files: Map<string, string>, overlay: string, id: string, outside = false) =>
      render(files, overlay, outside).get(id)!.spec.template.spec.containers[0].resources.requests.cpu;
    const cpu = (workload: string, value: string) => gpuRec(workload, [['requests.cpu', value]], 'app');

    // a patch naming the base's name under the base kustomization's namePrefix: read and edited (it renders)
    const prefixed = new Map([
      ['base/kustomization.yaml', 'namePrefix: app-\nresources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../base\npatches:\n  - path: web.yaml\n'],
      ['prod/web.yaml', cpuPatch('500m')],
      [
        'prod/hpa.yaml',
        'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 10\n',
      ],
    ]);
    prefixed.set('prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../base\n  - hpa.yaml\npatches:\n  - path: web.yaml\n');
    const p1 = planRecommendation(prefixed, cpu('prod/Deployment/app-web', '300m'), wide);
    assert.deepEqual(
      p1.diffs.map((d) => `${d.file} ${d.before}→${d.after}`),
      ['prod/web.yaml 500m→300m'],
    );
    assert.equal(cpuOf(apply(prefixed, p1), 'prod', 'Deployment/prod/app-web'), '300m');
    // the HPA in prod names `web`; kustomize renames the reference to app-web across the kustomizations
    const p1h = planRecommendation(prefixed, gpuRec('prod/Deployment/app-web', [['minReplicas', '3']]), wide);
    assert.equal(render(apply(prefixed, p1h), 'prod').get('HorizontalPodAutoscaler/prod/web')!.spec.minReplicas, 3);
    assert.equal(render(prefixed, 'prod').get('HorizontalPodAutoscaler/prod/web')!.spec.scaleTargetRef.name, 'app-web');

    // a replicas: entry under the kustomization's own prefix sets replicas: refused, not an edit that renders nothing
    const replicas = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['prod/kustomization.yaml', 'namespace: prod\nnamePrefix: p-\nresources:\n  - ../base\nreplicas:\n  - name: p-web\n    count: 5\n'],
    ]);
    assert.equal(render(replicas, 'prod').get('Deployment/prod/p-web')!.spec.replicas, 5);
    assert.throws(
      () => planRecommendation(replicas, gpuRec('prod/Deployment/p-web', [['replicas', '3']]), wide),
      /the replicas: field of prod\/kustomization\.yaml sets its replicas/,
    );

    // an inline patch targeting the prefixed name: refused, not an edit of the base
    const inline = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['blue/kustomization.yaml', 'namePrefix: blue-\nresources:\n  - ../base\n'],
      [
        'prod/kustomization.yaml',
        'namespace: prod\nresources:\n  - ../blue\npatches:\n  - target: {kind: Deployment, name: blue-web}\n    patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/0/resources/requests/cpu\n        value: 900m\n',
      ],
    ]);
    assert.throws(() => planRecommendation(inline, cpu('prod/Deployment/blue-web', '300m'), wide), /patched where Foresight cannot read or edit it/);

    // one overlay builds web and green-web from one base: a patch there naming `web` would match both (kustomize fails on
    // it), so the shared base is refused; blue-web and green-web in two overlays each: a patch per object, named apart
    const both = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['green/kustomization.yaml', 'namePrefix: green-\nresources:\n  - ../base\n'],
      ['shop/kustomization.yaml', 'namespace: shop\nresources:\n  - ../base\n  - ../green\n'],
    ]);
    assert.throws(() => planRecommendation(both, cpu('shop/Deployment/web', '300m'), wide), /no one kustomization on its way builds shop\/web alone/);
    const colours = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['blue/kustomization.yaml', 'namePrefix: blue-\nresources:\n  - ../base\n'],
      ['green/kustomization.yaml', 'namePrefix: green-\nresources:\n  - ../base\n'],
      ['prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../blue\n  - ../green\n'],
      ['staging/kustomization.yaml', 'namespace: staging\nresources:\n  - ../blue\n  - ../green\n'],
    ]);
    const blue = planRecommendation(colours, cpu('prod/Deployment/blue-web', '300m'), wide);
    const green = planRecommendation(apply(colours, blue), cpu('prod/Deployment/green-web', '200m'), wide);
    const coloured = apply(colours, blue, green);
    assert.deepEqual(
      [...coloured.keys()].filter((f) => f.includes('foresight-')),
      ['prod/foresight-deployment-blue-web.yaml', 'prod/foresight-deployment-green-web.yaml'],
    );
    assert.deepEqual(
      ['Deployment/prod/blue-web', 'Deployment/prod/green-web', 'Deployment/staging/blue-web'].map((id) => cpuOf(coloured, id.split('/')[1], id)),
      ['300m', '200m', '100m'],
    );

    // a patch file two clusters list (outside their folders, as Flux allows): not edited (the other cluster would change);
    // the cluster's own kustomization gets a patch after it
    const clusters = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['overlays/prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../../base\n'],
      ['overlays/staging/kustomization.yaml', 'namespace: staging\nresources:\n  - ../../base\n'],
      ['patches/web.yaml', cpuPatch('400m')],
      ['clusters/a/kustomization.yaml', 'resources:\n  - ../../overlays/prod\npatches:\n  - path: ../../patches/web.yaml\n'],
      ['clusters/b/kustomization.yaml', 'resources:\n  - ../../overlays/staging\npatches:\n  - path: ../../patches/web.yaml\n'],
    ]);
    const shared = planRecommendation(clusters, cpu('prod/Deployment/web', '300m'), wide);
    assert.deepEqual([...shared.changed.keys()].sort(), ['clusters/a/foresight-deployment-web.yaml', 'clusters/a/kustomization.yaml']);
    assert.equal(cpuOf(apply(clusters, shared), 'clusters/a', 'Deployment/prod/web', true), '300m');
    assert.equal(cpuOf(apply(clusters, shared), 'clusters/b', 'Deployment/staging/web', true), '400m');
  });

  it('layouts of real teams: cluster roots over overlays, services under prefixes with HPAs, per-cluster patches, both patch fields, a separate HPA folder', () => {
    const web = (name = 'web', ns = '') =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n${ns}  annotations: {foresight.dev/managed: "true"}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: web:1\n          resources:\n            requests: {cpu: 100m}\n`;
    const cpuPatch = (cpu: string, ns = '') =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n${ns}spec:\n  template:\n    spec:\n      containers:\n        - name: app\n          resources:\n            requests: {cpu: ${cpu}}\n`;
    const hpa = (name: string, target: string) =>
      `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: ${name}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${target}}\n  minReplicas: 2\n  maxReplicas: 10\n`;
    const cpuOf = (files: Map<string, string>, overlay: string, id: string) =>
      render(files, overlay).get(id)!.spec.template.spec.containers[0].resources.requests.cpu;
    const edits = (p: { diffs: { file: string; before: string | null; after: string }[] }) => p.diffs.map((d) => `${d.file} ${d.before}→${d.after}`);

    // a cluster root over the prod overlay (as the example repository could have): the overlay's patch is edited, each time
    const cluster = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n  - hpa.yaml\n'],
      ['base/web.yaml', web()],
      ['base/hpa.yaml', hpa('web', 'web')],
      ['overlays/prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../../base\npatches:\n  - path: web.yaml\n'],
      ['overlays/prod/web.yaml', cpuPatch('400m')],
      ['overlays/staging/kustomization.yaml', 'namespace: staging\nresources:\n  - ../../base\n'],
      ['clusters/eu/kustomization.yaml', 'resources:\n  - ../../overlays/prod\n'],
    ]);
    const c1 = planRecommendation(
      cluster,
      gpuRec(
        'prod/Deployment/web',
        [
          ['requests.cpu', '300m'],
          ['limits.cpu', '1'],
        ],
        'app',
      ),
      wide,
    );
    assert.deepEqual(edits(c1), ['overlays/prod/web.yaml 400m→300m', 'overlays/prod/web.yaml null→1']);
    const c2 = planRecommendation(
      apply(cluster, c1),
      gpuRec('prod/Deployment/web', [
        ['minReplicas', '3'],
        ['maxReplicas', '12'],
      ]),
      wide,
    );
    const c3 = planRecommendation(apply(cluster, c1, c2), gpuRec('prod/Deployment/web', [['maxReplicas', '14']]), wide);
    assert.deepEqual(edits(c3), ['overlays/prod/foresight-horizontalpodautoscaler-web.yaml 12→14']);
    const eu = render(apply(cluster, c1, c2, c3), 'clusters/eu');
    assert.equal(eu.get('Deployment/prod/web')!.spec.template.spec.containers[0].resources.requests.cpu, '300m');
    assert.deepEqual([eu.get('HorizontalPodAutoscaler/prod/web')!.spec.minReplicas, eu.get('HorizontalPodAutoscaler/prod/web')!.spec.maxReplicas], [3, 14]);
    assert.equal(render(apply(cluster, c1, c2, c3), 'overlays/staging').get('HorizontalPodAutoscaler/staging/web')!.spec.maxReplicas, 10);
    // two cluster roots over it: the overlay's patch is still the one edited
    const two = new Map([...cluster, ['clusters/us/kustomization.yaml', 'resources:\n  - ../../overlays/prod\n']]);
    assert.deepEqual(edits(planRecommendation(two, gpuRec('prod/Deployment/web', [['requests.cpu', '300m']], 'app'), wide)), [
      'overlays/prod/web.yaml 400m→300m',
    ]);

    // services under prefixes from one base, each with its HPA, under one root: each HPA scales its own service
    const services = new Map([
      ['bases/svc/kustomization.yaml', 'resources:\n  - app.yaml\n'],
      ['bases/svc/app.yaml', `${web('app')}---\n${hpa('app', 'app')}`],
      ['services/orders/kustomization.yaml', 'namePrefix: orders-\nresources:\n  - ../../bases/svc\n'],
      ['services/payments/kustomization.yaml', 'namePrefix: payments-\nresources:\n  - ../../bases/svc\n'],
      ['envs/prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../../services/orders\n  - ../../services/payments\n'],
    ]);
    const orders = planRecommendation(services, gpuRec('prod/Deployment/orders-app', [['minReplicas', '4']]), wide);
    const rendered = render(apply(services, orders), 'envs/prod');
    assert.equal(rendered.get('HorizontalPodAutoscaler/prod/orders-app')!.spec.minReplicas, 4);
    assert.equal(rendered.get('HorizontalPodAutoscaler/prod/payments-app')!.spec.minReplicas, 2);
    assert.equal(rendered.get('HorizontalPodAutoscaler/prod/payments-app')!.spec.scaleTargetRef.name, 'payments-app');

    // an HPA in a folder of its own (another root), naming the workload as deployed
    const separate = new Map([
      ['apps/web/prod/kustomization.yaml', 'namespace: prod\nresources:\n  - web.yaml\n'],
      ['apps/web/prod/web.yaml', web()],
      ['autoscaling/prod/kustomization.yaml', 'namespace: prod\nresources:\n  - web-hpa.yaml\n'],
      ['autoscaling/prod/web-hpa.yaml', hpa('web', 'web')],
    ]);
    assert.deepEqual(edits(planRecommendation(separate, gpuRec('prod/Deployment/web', [['minReplicas', '4']]), wide)), ['autoscaling/prod/web-hpa.yaml 2→4']);

    // a patch that names the default namespace of a base without one, and patchesStrategicMerge beside patches (kustomize
    // applies the strategic-merge ones first): the reading and the edit follow what renders
    const fields = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../base\npatches:\n  - path: p.yaml\npatchesStrategicMerge:\n  - psm.yaml\n'],
      ['prod/p.yaml', cpuPatch('500m', '  namespace: default\n')],
      ['prod/psm.yaml', cpuPatch('300m')],
    ]);
    assert.equal(cpuOf(fields, 'prod', 'Deployment/prod/web'), '500m');
    const f1 = planRecommendation(fields, gpuRec('prod/Deployment/web', [['requests.cpu', '250m']], 'app'), wide);
    assert.deepEqual(edits(f1), ['prod/p.yaml 500m→250m']);
    assert.equal(cpuOf(apply(fields, f1), 'prod', 'Deployment/prod/web'), '250m');

    // per-cluster patches over the overlay's, each cluster's file pinned in the mapping: each cluster reads its own value
    const mapping = (c: string) => `  - workload: prod/Deployment/web\n    cluster: ${c}\n    file: clusters/${c}/web.yaml\n`;
    const pinned = new Map([
      ...cluster,
      ['clusters/eu/kustomization.yaml', 'resources:\n  - ../../overlays/prod\npatches:\n  - path: web.yaml\n'],
      ['clusters/eu/web.yaml', cpuPatch('600m')],
      ['clusters/us/kustomization.yaml', 'resources:\n  - ../../overlays/prod\npatches:\n  - path: web.yaml\n'],
      ['clusters/us/web.yaml', cpuPatch('700m')],
      ['foresight-mapping.yaml', `apiVersion: foresight.dev/v1\nkind: Mapping\nclusters: [eu, us]\nworkloads:\n${mapping('eu')}${mapping('us')}`],
    ]);
    const us = planRecommendation(pinned, { ...gpuRec('prod/Deployment/web', [['requests.cpu', '650m']], 'app'), cluster: 'us' }, wide);
    assert.deepEqual(edits(us), ['clusters/us/web.yaml 700m→650m']);
    assert.equal(cpuOf(apply(pinned, us), 'clusters/us', 'Deployment/prod/web'), '650m');

    // components are not read: a shared base a kustomization with components builds gets no patch beside them (one could
    // undo theirs); the edit is refused
    const comp = new Map([
      ['staging/kustomization.yaml', 'namespace: staging\nresources:\n  - ../base\n'],
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['comp/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: p.yaml\n'],
      ['comp/p.yaml', cpuPatch('900m')],
      ['prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../base\ncomponents:\n  - ../comp\n'],
    ]);
    assert.equal(cpuOf(comp, 'prod', 'Deployment/prod/web'), '900m');
    assert.throws(
      () => planRecommendation(comp, gpuRec('prod/Deployment/web', [['requests.cpu', '300m']], 'app'), wide),
      /uses components, which Foresight does not read \(a patch written beside them could undo theirs\)/,
    );
    // an HPA in a prefixed overlay that names the workload's final name: kept as written by kustomize, found
    const finalName = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['prod/kustomization.yaml', 'namespace: prod\nnamePrefix: prod-\nresources:\n  - ../base\n  - hpa.yaml\n'],
      ['prod/hpa.yaml', hpa('web', 'prod-web')],
    ]);
    assert.equal(render(finalName, 'prod').get('HorizontalPodAutoscaler/prod/prod-web')!.spec.scaleTargetRef.name, 'prod-web');
    assert.deepEqual(edits(planRecommendation(finalName, gpuRec('prod/Deployment/prod-web', [['minReplicas', '4']]), wide)), ['prod/hpa.yaml 2→4']);
    // an HPA naming web beside web and a suffixed copy: kustomize keeps the reference on the one named web now; beside
    // blue-web and green-web (both had the name) it renames nothing and scales neither
    const canary = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['canary/kustomization.yaml', 'nameSuffix: -canary\nresources:\n  - ../base\n'],
      ['prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../base\n  - ../canary\n  - hpa.yaml\n'],
      ['prod/hpa.yaml', hpa('web', 'web')],
    ]);
    assert.equal(render(canary, 'prod').get('HorizontalPodAutoscaler/prod/web')!.spec.scaleTargetRef.name, 'web');
    assert.deepEqual(edits(planRecommendation(canary, gpuRec('prod/Deployment/web', [['minReplicas', '4']]), wide)), ['prod/hpa.yaml 2→4']);
    assert.throws(() => planRecommendation(canary, gpuRec('prod/Deployment/web-canary', [['minReplicas', '4']]), wide), /no HorizontalPodAutoscaler/);
    const colours = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['blue/kustomization.yaml', 'namePrefix: blue-\nresources:\n  - ../base\n'],
      ['green/kustomization.yaml', 'namePrefix: green-\nresources:\n  - ../base\n'],
      ['prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../blue\n  - ../green\n  - hpa.yaml\n'],
      ['prod/hpa.yaml', hpa('web', 'web')],
    ]);
    assert.equal(render(colours, 'prod').get('HorizontalPodAutoscaler/prod/web')!.spec.scaleTargetRef.name, 'web');
    assert.throws(() => planRecommendation(colours, gpuRec('prod/Deployment/blue-web', [['minReplicas', '4']]), wide), /no HorizontalPodAutoscaler/);

    // an overlay that builds the shared base's web and a copy named web of its own under a suffix: a patch named web
    // there would match both, so it is refused
    const copy = new Map([
      ['base/kustomization.yaml', 'resources:\n  - web.yaml\n'],
      ['base/web.yaml', web()],
      ['canary/kustomization.yaml', 'nameSuffix: -canary\nresources:\n  - web.yaml\n'],
      ['canary/web.yaml', web()],
      ['overlays/prod/kustomization.yaml', 'namespace: prod\nresources:\n  - ../../base\n  - ../../canary\n'],
      ['overlays/staging/kustomization.yaml', 'namespace: staging\nresources:\n  - ../../base\n'],
    ]);
    assert.throws(
      () => planRecommendation(copy, gpuRec('prod/Deployment/web', [['requests.cpu', '300m']], 'app'), wide),
      /no one kustomization on its way builds prod\/web alone/,
    );
  });
});
