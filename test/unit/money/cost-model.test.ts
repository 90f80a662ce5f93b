/**
 * The cost model by hand-computed cases: Δ × unit price × 730 h, per CPU core, GiB and GPU,
 * and an unknown price said as such, never 0.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentValue, locateField, ManifestIndex } from '../../../src/manifests/manifests.js';
import {
  changeCost,
  HOURS_PER_MONTH,
  monthlyCost,
  movePoolCostDelta,
  scaleResources,
  replicasCostDelta,
  requestsCostDelta,
} from '../../../src/money/cost-model.js';
import type { PoolPrices } from '../../../src/windows/billing.js';
import { exampleFiles } from '../../helpers/gitops.js';
import { Money, type MoneyDeps } from '../../../src/money/money.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { SizingRules } from '../../../src/recommend/sizing.js';
import { parseSeriesId } from '../../../src/codec/series-id.js';
import { autoscaled, containerCpuRequests, cpuHpaOf, currentReplicas, labelsOf, nodePoolOf, podResources, teamOf } from '../../../src/money/workload-facts.js';

const GiB = 2 ** 30;
const general: PoolPrices = { pool: 'general', cpuCoreHour: 0.04, memoryGibHour: 0.005, currency: 'USD', period: '2026-11' };
const gpu: PoolPrices = { pool: 'gpu-a100', cpuCoreHour: 0.04, memoryGibHour: 0.005, gpuHour: 3.67, currency: 'USD', period: '2026-11' };
const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);

/** pay/api, a managed Deployment whose pod spec is `podSpec` (YAML indented under template.spec) */
function payApi(podSpec: string) {
  const m = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay, annotations: {foresight.dev/managed: 'true'}}
spec:
  template:
    spec:
${podSpec}`;
  return ManifestIndex.build(new Map([['apps/pay/api.yaml', m]])).resolve({ namespace: 'pay', kind: 'Deployment', name: 'api' });
}

describe('cost model', () => {
  it('CPU: 2 more replicas of 1.5 cores at 0.04/core-hour = 2 × 1.5 × 0.04 × 730 = 87.60 a month', () => {
    const c = replicasCostDelta({ cpuCores: 1.5, memoryBytes: 0, gpus: 0 }, 3, 5, general);
    assert.ok(c.known);
    close(c.monthly, 87.6);
    assert.equal(c.currency, 'USD');
    assert.equal(HOURS_PER_MONTH, 730);
  });

  it('memory: a request cut of 512 MiB on 4 replicas at 0.005/GiB-hour = −4 × 0.5 × 0.005 × 730 = −7.30', () => {
    const c = requestsCostDelta({ cpuCores: 0, memoryBytes: -512 * 2 ** 20, gpus: 0 }, 4, general);
    assert.ok(c.known);
    close(c.monthly, -7.3);
  });

  it('CPU and memory together: 1 replica of 1 core and 2 GiB less = −(0.04 + 2 × 0.005) × 730 = −36.50', () => {
    const c = replicasCostDelta({ cpuCores: 1, memoryBytes: 2 * GiB, gpus: 0 }, 2, 1, general);
    assert.ok(c.known);
    close(c.monthly, -36.5);
  });

  it('GPU: one more replica of 1 GPU, 8 cores, 32 GiB at 3.67/GPU-hour = (3.67 + 8 × 0.04 + 32 × 0.005) × 730 = 3029.50', () => {
    const c = replicasCostDelta({ cpuCores: 8, memoryBytes: 32 * GiB, gpus: 1 }, 1, 2, gpu);
    assert.ok(c.known);
    close(c.monthly, (3.67 + 0.32 + 0.16) * 730);
    close(c.monthly, 3029.5);
  });

  it('unknown price: no billing rows for the pool says so and gives no figure', () => {
    const c = replicasCostDelta({ cpuCores: 1, memoryBytes: GiB, gpus: 0 }, 1, 2, { pool: 'batch', period: '2026-11' });
    assert.deepEqual(c, { known: false, reason: 'cost unknown: no billing rows for pool batch in 2026-11', pool: 'batch' });
  });

  it('unknown price: a GPU workload in a pool priced for CPU and memory only names the missing unit', () => {
    const c = replicasCostDelta({ cpuCores: 8, memoryBytes: 32 * GiB, gpus: 1 }, 1, 2, general);
    assert.equal(c.known, false);
    assert.equal(!c.known && c.reason, 'cost unknown: no gpu-hour price for pool general in 2026-11');
  });

  it('a price is needed only for what the change moves: a CPU-only change in a pool without a memory price is known', () => {
    const c = requestsCostDelta({ cpuCores: -0.5, memoryBytes: 0, gpus: 0 }, 2, { pool: 'p', cpuCoreHour: 0.1 });
    assert.ok(c.known);
    close(c.monthly, -0.5 * 2 * 0.1 * 730);
  });

  it('unknown requests: no manifest means no figure', () => {
    assert.equal(replicasCostDelta(undefined, 1, 2, general).known, false);
    assert.equal(requestsCostDelta(undefined, 2, general).known, false);
  });

  it('SPOT: the same 3 replicas of 2 cores and 4 GiB priced in the spot pool: 3 × (2 × (0.012 − 0.04) + 4 × (0.0015 − 0.005)) × 730 = −153.30', () => {
    const spot: PoolPrices = { pool: 'spot', cpuCoreHour: 0.012, memoryGibHour: 0.0015, currency: 'USD' };
    const c = movePoolCostDelta({ cpuCores: 2, memoryBytes: 4 * GiB, gpus: 0 }, 3, general, spot);
    assert.ok(c.known);
    close(c.monthly, -153.3);
    assert.equal(c.pool, 'general');
    const noSpot = movePoolCostDelta({ cpuCores: 2, memoryBytes: 4 * GiB, gpus: 0 }, 3, general, { pool: 'spot' });
    assert.equal(!noSpot.known && noSpot.reason, 'cost unknown: no billing rows for pool spot');
  });

  it('SPOT out of a pool its commitments cover whole saves nothing there, so the move costs the spot price (the cost sizing.ts reads to skip it)', () => {
    const spot: PoolPrices = { pool: 'spot', cpuCoreHour: 0.012, memoryGibHour: 0.0015, currency: 'USD' };
    const unit = { marginal: 0.04, coveredShare: 1, onDemandByHour: Array<number>(24).fill(0), unusedByHour: Array<number>(24).fill(0) };
    const covered: PoolPrices = { ...general, committed: { cpuCoreHour: unit, memoryGibHour: { ...unit, marginal: 0.005 } } };
    const c = movePoolCostDelta({ cpuCores: 2, memoryBytes: 4 * GiB, gpus: 0 }, 3, covered, spot);
    assert.ok(c.known);
    // leaving sheds no on-demand usage (0 of every hour); arriving pays 3 × (2 × 0.012 + 4 × 0.0015) × 730 = +65.70
    close(c.monthly, 65.7);
    assert.ok(c.rules?.includes('commitment:cpu-core-hour:marginal=0.04:covered=100%:cut-capped'), c.rules?.join(','));
    // with 1 core on demand each hour the move saves that core at 0.04 and pays spot for all: 65.70 − 29.20 = +36.50
    const some: PoolPrices = { ...covered, committed: { ...covered.committed, cpuCoreHour: { ...unit, onDemandByHour: Array<number>(24).fill(1) } } };
    close((movePoolCostDelta({ cpuCores: 2, memoryBytes: 4 * GiB, gpus: 0 }, 3, some, spot) as { monthly: number }).monthly, 36.5);
  });

  it('cuts of one committed pool priced alone overlap: 3 and 3 cores off 4 on demand each hour save 4 × 0.04 × 730 = 116.80 together, not 2 × 87.60', () => {
    const unit = { marginal: 0.04, coveredShare: 10 / 14, onDemandByHour: Array<number>(24).fill(4), unusedByHour: Array<number>(24).fill(0) };
    const covered: PoolPrices = { ...general, committed: { cpuCoreHour: unit } };
    const cut = { cpuCores: -3, memoryBytes: 0, gpus: 0 };
    close((changeCost(cut, covered) as { monthly: number }).monthly, -87.6);
    close((changeCost(scaleResources(cut, 2), covered) as { monthly: number }).monthly, -116.8);
    // without commitments prices are linear: the two add up
    close((changeCost(scaleResources(cut, 2), general) as { monthly: number }).monthly, 2 * (changeCost(cut, general) as { monthly: number }).monthly);
  });

  it('zero change costs exactly 0 with any prices', () => {
    const c = monthlyCost({ cpuCores: 0, memoryBytes: 0, gpus: 0 }, { pool: 'x' });
    assert.deepEqual(c, { known: true, monthly: 0, pool: 'x', currency: undefined });
  });
});

describe('workload facts from the manifest', () => {
  const files = new Map([
    [
      'apps/ml/infer.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: infer
  namespace: ml
  labels: { team: research }
  annotations: { foresight.dev/managed: "true" }
spec:
  replicas: 2
  template:
    metadata:
      labels: { foresight.dev/team: ml-platform }
    spec:
      nodeSelector: { karpenter.sh/nodepool: gpu-a100 }
      containers:
      - name: server
        resources:
          requests: { cpu: "8", memory: 32Gi }
          limits: { nvidia.com/gpu: 1, memory: 40Gi }
      - name: sidecar
        resources:
          limits: { cpu: 250m, memory: 256Mi }
`,
    ],
    [
      'apps/web/web.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
  annotations: { foresight.dev/managed: "true" }
spec:
  template:
    spec:
      containers:
      - name: app
`,
    ],
  ]);
  const index = ManifestIndex.build(files);
  const infer = index.resolve({ namespace: 'ml', kind: 'Deployment', name: 'infer' });
  const web = index.resolve({ namespace: 'web', kind: 'Deployment', name: 'web' });

  it("per-replica resources: every container's requests, a limit standing in for a missing request (GPU, sidecar)", () => {
    assert.deepEqual(podResources(infer), { cpuCores: 8.25, memoryBytes: 32 * GiB + 256 * 2 ** 20, gpus: 1 });
    assert.equal(podResources(web), undefined);
    assert.equal(podResources(undefined), undefined);
  });

  it("node pool from the nodeSelector, else the policy's; team from the workload label before the pod label", () => {
    assert.equal(nodePoolOf(infer, 'default'), 'gpu-a100');
    assert.equal(nodePoolOf(web, 'default'), 'default');
    assert.equal(teamOf(infer), 'research');
    assert.equal(teamOf(web), undefined);
    assert.equal(labelsOf(infer).team, 'research'); // the labels known future events match on: the workload's and its pod template's
    assert.equal(labelsOf(infer)['foresight.dev/team'], 'ml-platform');
    assert.equal(currentReplicas(infer), 2);
    assert.equal(currentReplicas(web), 1);
  });

  it('per-replica resources count native sidecars (init containers with restartPolicy: Always), not init containers that end', () => {
    const api = payApi(`      initContainers:
        - {name: migrate, image: m, resources: {requests: {cpu: '2', memory: 2Gi}}}
        - {name: istio-proxy, image: i, restartPolicy: Always, resources: {requests: {cpu: 500m, memory: 512Mi}}}
      containers:
        - {name: api, image: x, resources: {requests: {cpu: '1', memory: 1Gi}}}
`);
    assert.deepEqual(podResources(api), { cpuCores: 1.5, memoryBytes: 1.5 * GiB, gpus: 0 });
    // what a CPU HPA counts per container (sizing.ts: the pod's other containers), a limit for a missing request
    const withLimit = payApi(`      initContainers:
        - {name: istio-proxy, image: i, restartPolicy: Always, resources: {limits: {cpu: 200m}}}
      containers:
        - {name: api, image: x, resources: {requests: {cpu: '1'}}}
        - {name: log, image: l}
`);
    assert.deepEqual(
      containerCpuRequests(withLimit!),
      new Map([
        ['api', 1],
        ['log', undefined],
        ['istio-proxy', 0.2],
      ]),
    );
  });

  it('limits-only containers: each resource without a request is read from its limit (a native sidecar and a Helm chart alike)', () => {
    // Kubernetes defaults a missing request to the limit, per resource: 2 + 0.5 (sidecar limit) cores, 1 (request) + 0.25 GiB (sidecar limit)
    const api = payApi(`      initContainers:
        - {name: proxy, image: i, restartPolicy: Always, resources: {limits: {cpu: 500m, memory: 256Mi}}}
      containers:
        - {name: api, image: x, resources: {requests: {memory: 1Gi}, limits: {cpu: '2', memory: 4Gi}}}
`);
    assert.deepEqual(podResources(api), { cpuCores: 2.5, memoryBytes: 1.25 * GiB, gpus: 0 });
    // a Helm chart whose values give limits only (the mapping names limits.*): 1.5 cores, 3 GiB, not unknown
    const files = new Map([
      [
        'foresight-mapping.yaml',
        `apiVersion: foresight.dev/v1
kind: Mapping
workloads:
  - workload: pay/Deployment/cart
    helm:
      values: charts/cart/values.yaml
      fields:
        replicas: replicaCount
        limits.cpu: resources.limits.cpu
        limits.memory: resources.limits.memory
`,
      ],
      ['charts/cart/values.yaml', 'replicaCount: 2\nresources:\n  limits: {cpu: 1500m, memory: 3Gi}\n'],
    ]);
    const cart = ManifestIndex.build(files).resolve({ namespace: 'pay', kind: 'Deployment', name: 'cart' });
    assert.ok(cart?.helm, 'resolved from the Helm values');
    assert.deepEqual(podResources(cart), { cpuCores: 1.5, memoryBytes: 3 * GiB, gpus: 0 });
  });

  it('node pool from a required node affinity that pins a pool label to one value (Karpenter), not from alternatives', () => {
    const m = (affinity: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay, annotations: {foresight.dev/managed: 'true'}}
spec:
  template:
    spec:
      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: ${affinity}}}}
      containers:
        - {name: api, image: x, resources: {requests: {cpu: '1'}}}
`;
    const pool = (affinity: string) =>
      nodePoolOf(ManifestIndex.build(new Map([['apps/pay/api.yaml', m(affinity)]])).resolve({ namespace: 'pay', kind: 'Deployment', name: 'api' }), 'default');
    assert.equal(pool('[{matchExpressions: [{key: karpenter.sh/nodepool, operator: In, values: [batch]}]}]'), 'batch');
    assert.equal(pool('[{matchExpressions: [{key: karpenter.sh/nodepool, operator: In, values: [a, b]}]}]'), 'default', 'two pools: unknown');
    assert.equal(pool('[{matchExpressions: [{key: karpenter.sh/nodepool, operator: NotIn, values: [a]}]}]'), 'default');
    assert.equal(
      pool(
        '[{matchExpressions: [{key: karpenter.sh/nodepool, operator: In, values: [a]}]}, {matchExpressions: [{key: karpenter.sh/nodepool, operator: In, values: [b]}]}]',
      ),
      'default',
      'alternative terms: unknown',
    );
  });

  it("on spot capacity (the policy's selector, GKE's, AKS's, in a nodeSelector or a required affinity): priced in the spot pool and not moved again", async () => {
    const m = (name: string, placement: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: pay, annotations: {foresight.dev/managed: 'true'}}
spec:
  template:
    metadata: {labels: {app: ${name}}}
    spec:
${placement}
      containers:
        - {name: app, image: x, resources: {requests: {cpu: '1'}}}
`;
    const files = new Map([
      ['apps/pay/karpenter.yaml', m('karpenter', '      nodeSelector: {karpenter.sh/capacity-type: spot, karpenter.sh/nodepool: general}')],
      ['apps/pay/gke.yaml', m('gke', "      nodeSelector: {cloud.google.com/gke-spot: 'true', cloud.google.com/gke-nodepool: general}")],
      ['apps/pay/aks.yaml', m('aks', '      nodeSelector: {kubernetes.azure.com/scalesetpriority: spot}')],
      [
        'apps/pay/affinity.yaml',
        m(
          'affinity',
          '      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: karpenter.sh/capacity-type, operator: In, values: [spot]}]}]}}}',
        ),
      ],
      ['apps/pay/ondemand.yaml', m('ondemand', '      nodeSelector: {karpenter.sh/capacity-type: on-demand, karpenter.sh/nodepool: general}')],
    ]);
    const index = ManifestIndex.build(files);
    const money = new Money({ manifests: () => index } as unknown as MoneyDeps);
    const id = (name: string) => parseSeriesId(`c/pay/Deployment/${name}/-/cpu_usage`)!;
    const policy = DEFAULT_POLICY; // spot: karpenter.sh/capacity-type: spot, pool "spot"
    for (const name of ['karpenter', 'gke', 'aks', 'affinity']) assert.equal(money.workload(id(name)).pool(policy), 'spot', name);
    assert.equal(money.workload(id('ondemand')).pool(policy), 'general');
    // a selector of the policy's own: a workload with it is on spot too
    const own = { ...structuredClone(DEFAULT_POLICY), spot: { ...DEFAULT_POLICY.spot, nodeSelector: { 'node-pool': 'cheap' }, nodePool: 'cheap' } };
    files.set('apps/pay/own.yaml', m('own', '      nodeSelector: {node-pool: cheap}'));
    const own2 = new Money({ manifests: () => ManifestIndex.build(files) } as unknown as MoneyDeps);
    assert.equal(own2.workload(id('own')).pool(own), 'cheap');
    // one more replica of 1 core at the spot pool's 0.012 a core-hour: 0.012 × 730 = 8.76, not the on-demand 0.04 × 730 = 29.20
    const prices = (pool: string): PoolPrices => (pool === 'spot' ? { ...general, pool: 'spot', cpuCoreHour: 0.012 } : general);
    const gke = money.workload(id('gke'));
    const c = replicasCostDelta(gke.perReplica, 2, 3, prices(gke.pool(policy)));
    assert.ok(c.known);
    close(c.monthly, 8.76);
    // SPOT is not proposed again: the rule steps aside before reading any window (none is given here)
    const sizing = new SizingRules({ money } as unknown as ConstructorParameters<typeof SizingRules>[0]);
    for (const name of ['karpenter', 'gke', 'aks', 'affinity'])
      assert.equal(await sizing.spot(id(name), { topic: 't', partition: 0 }, `c/pay/Deployment/${name}/-/cpu_usage`, 0, policy, undefined), undefined, name);
  });

  it("replicas in force of a KEDA-scaled workload: its ScaledObject's minReplicaCount (the example's llm-server runs 2, not the Deployment's 1)", () => {
    const llm = ManifestIndex.build(exampleFiles()).resolve({ namespace: 'ml', kind: 'Deployment', name: 'llm-server' });
    assert.equal(currentReplicas(llm), 2);
    // scaled to zero when idle: the floor says nothing of the replicas that run while it is active (a reviewer find)
    const files = exampleFiles();
    const overlay = [...files.keys()].find((f) => /ml\/.*prod.*/.test(f) && /minReplicaCount: 2/.test(files.get(f)!))!;
    files.set(overlay, files.get(overlay)!.replace(/minReplicaCount: 2/, 'minReplicaCount: 0'));
    const zero = ManifestIndex.build(files).resolve({ namespace: 'ml', kind: 'Deployment', name: 'llm-server' });
    assert.equal(currentValue(zero, 'keda.minReplicaCount', null), '0');
    assert.equal(currentReplicas(zero), 1);
  });

  it('an HPA scaling on CPU utilisation is found, with its bounds and target (RESOURCES sizes the CPU request to the target)', () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay, annotations: {foresight.dev/managed: 'true'}}
spec:
  template:
    spec:
      containers:
      - name: app
        resources: {requests: {cpu: "2", memory: 4Gi}}
`;
    const hpa = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: pay}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 4
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
`;
    const money = new Money({ manifests: () => ManifestIndex.build(new Map([['apps/pay/api.yaml', `${deployment}---\n${hpa}`]])) } as unknown as MoneyDeps);
    const facts = money.workload(parseSeriesId('c/pay/Deployment/api/app/cpu_usage')!);
    assert.deepEqual(facts.cpuHpa, { minReplicas: 4, maxReplicas: 10, targetUtilization: 0.7 });
    assert.equal(facts.replicas, 4);
    // a ContainerResource metric judges one container: its target, and the container named
    const perContainer = hpa.replace(
      '- type: Resource\n    resource: {name: cpu,',
      '- type: ContainerResource\n    containerResource: {name: cpu, container: app,',
    );
    assert.ok(perContainer.includes('container: app'));
    const files = new Map([['apps/pay/api.yaml', `${deployment}---\n${perContainer}`]]);
    const resolved = ManifestIndex.build(files).resolve({ namespace: 'pay', kind: 'Deployment', name: 'api' });
    assert.deepEqual(cpuHpaOf(resolved), { minReplicas: 4, maxReplicas: 10, targetUtilization: 0.7, container: 'app' });
    // and a recommendation of the target edits that metric's averageUtilization
    assert.deepEqual(locateField(resolved!, 'targetCPUUtilization', null).path, ['spec', 'metrics', 0, 'containerResource', 'target', 'averageUtilization']);
    const withMetrics = (metrics: string) =>
      ManifestIndex.build(new Map([['apps/pay/api.yaml', `${deployment}---\n${hpa.replace(/ {2}metrics:\n[\s\S]*$/, `  metrics:\n${metrics}`)}`]])).resolve({
        namespace: 'pay',
        kind: 'Deployment',
        name: 'api',
      });
    // an AverageValue target first (absolute, not a share of the request), then the container's Utilization one: that one
    const averageFirst = withMetrics(
      '  - type: Resource\n    resource: {name: cpu, target: {type: AverageValue, averageValue: 500m}}\n' +
        '  - type: ContainerResource\n    containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 60}}\n',
    );
    assert.deepEqual(cpuHpaOf(averageFirst), { minReplicas: 4, maxReplicas: 10, targetUtilization: 0.6, container: 'app' });
    assert.deepEqual(locateField(averageFirst!, 'targetCPUUtilization', null).path, [
      'spec',
      'metrics',
      1,
      'containerResource',
      'target',
      'averageUtilization',
    ]);
    // two CPU utilisation metrics (the pod's and a container's): the HPA scales on the largest, so no one target is read
    const two = withMetrics(
      '  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}\n' +
        '  - type: ContainerResource\n    containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 60}}\n',
    );
    assert.deepEqual(cpuHpaOf(two), { minReplicas: 4, maxReplicas: 10, several: 2 });
    assert.throws(() => locateField(two!, 'targetCPUUtilization', null), /2 cpu utilisation metrics; which target to set is not known/);
    // a plain Deployment has no HPA on CPU
    const plain = payApi('      containers:\n      - name: app\n        resources: {requests: {cpu: "2"}}\n');
    assert.equal(cpuHpaOf(plain), undefined);
    // autoscaled (a known event raises its replicas, not its requests): an HPA, not a plain Deployment
    assert.equal(autoscaled(money.workload(parseSeriesId('c/pay/Deployment/api/app/cpu_usage')!).resolved!), true);
    assert.equal(autoscaled(plain!), false);
  });

  it('a Helm chart counts as autoscaled when its mapping names a replica bound, a CPU target or a KEDA field', () => {
    const chart = (fields: string): boolean => {
      const files = new Map([
        [
          'foresight-mapping.yaml',
          `apiVersion: foresight.dev/v1\nkind: Mapping\nworkloads:\n  - workload: pay/Deployment/cart\n    helm:\n      values: charts/cart/values.yaml\n      fields:\n${fields}`,
        ],
        ['charts/cart/values.yaml', 'replicaCount: 2\nautoscaling: {minReplicas: 2}\nkeda: {min: 1}\nresources: {requests: {cpu: 500m}}\n'],
      ]);
      return autoscaled(ManifestIndex.build(files).resolve({ namespace: 'pay', kind: 'Deployment', name: 'cart' })!);
    };
    assert.equal(chart('        replicas: replicaCount\n        requests.cpu: resources.requests.cpu\n'), false);
    assert.equal(chart('        minReplicas: autoscaling.minReplicas\n        requests.cpu: resources.requests.cpu\n'), true, 'only the floor mapped');
    assert.equal(chart('        keda.minReplicaCount: keda.min\n        requests.cpu: resources.requests.cpu\n'), true);
  });

  it("a Helm chart's CPU HPA: its mapped target, unless `enabled: false` beside it switches it off (helm create's layout)", () => {
    const hpa = (enabled: string) => {
      const files = new Map([
        [
          'foresight-mapping.yaml',
          `apiVersion: foresight.dev/v1\nkind: Mapping\nworkloads:\n  - workload: pay/Deployment/cart\n    helm:\n      values: charts/cart/values.yaml\n      fields:\n        minReplicas: autoscaling.minReplicas\n        maxReplicas: autoscaling.maxReplicas\n        targetCPUUtilization: autoscaling.targetCPUUtilizationPercentage\n`,
        ],
        ['charts/cart/values.yaml', `autoscaling: {${enabled}minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 80}\n`],
      ]);
      return cpuHpaOf(ManifestIndex.build(files).resolve({ namespace: 'pay', kind: 'Deployment', name: 'cart' }));
    };
    assert.deepEqual(hpa(''), { minReplicas: 2, maxReplicas: 6, targetUtilization: 0.8 });
    assert.deepEqual(hpa('enabled: true, '), { minReplicas: 2, maxReplicas: 6, targetUtilization: 0.8 });
    assert.equal(hpa('enabled: false, '), undefined);
  });
});
