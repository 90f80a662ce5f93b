import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sizeGpu, type ReplicaPlan } from '../../../src/policy/model-server-capacity.js';
import { currentValue, ManifestIndex, type ResolvedWorkload } from '../../../src/manifests/manifests.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { fieldRec } from '../../helpers/recommendation.js';
import { replicasCostDelta } from '../../../src/money/cost-model.js';
import { podResources } from '../../../src/money/workload-facts.js';
import { gpuChange, replicaChange, replicaGpus } from '../../../src/recommend/model-server-changes.js';

const GiB = 2 ** 30;
const perReplica = { cpuCores: 4, memoryBytes: 24 * GiB, gpus: 1 };
const prices = { pool: 'gpu-a100', cpuCoreHour: 0.03, memoryGibHour: 0.004, gpuHour: 3, currency: 'USD' };
const plan: ReplicaPlan = { replicas: 4, forDemand: 4, forQueue: 0, peakDemand: 9500, peakAtMs: 0, reasons: ['r'] };
const keda = { kedaMin: 2, kedaMax: 6, kedaThreshold: '8', hpaMin: null, replicas: null };

describe('model-server changes and their GPU cost', () => {
  it("raises the KEDA floor and prices the replicas' GPUs from the pool's GPU-hour price (hand-computed)", () => {
    const c = replicaChange(plan, keda, { queueDepthSlo: 8 }, perReplica, prices)!;
    assert.deepEqual(c.changes, [{ field: 'keda.minReplicaCount', current: '2', proposed: '4' }]);
    // 2 more replicas × (4 × 0.03 + 24 × 0.004 + 1 × 3) = 6.432 per hour × 730
    assert.ok(c.cost.known && Math.abs(c.cost.monthly - 6.432 * 730) < 1e-9);
    // a floor above the ceiling raises the ceiling; a new SLO moves the trigger threshold
    const high = replicaChange({ ...plan, replicas: 7 }, keda, { queueDepthSlo: 6 }, perReplica, prices)!;
    assert.deepEqual(
      high.changes.map((x) => [x.field, x.current, x.proposed]),
      [
        ['keda.minReplicaCount', '2', '7'],
        ['keda.maxReplicaCount', '6', '7'],
        ['keda.threshold', '8', '6'],
      ],
    );
    // no KEDA: the HPA floor; nothing in force differs: no change
    const hpa = replicaChange(plan, { ...keda, kedaMin: null, kedaMax: null, kedaThreshold: null, hpaMin: 3 }, { queueDepthSlo: 8 }, perReplica, prices)!;
    assert.deepEqual(hpa.changes, [{ field: 'minReplicas', current: '3', proposed: '4' }]);
    assert.equal(replicaChange({ ...plan, replicas: 2 }, keda, { queueDepthSlo: 8 }, perReplica, prices), undefined);
  });

  it('a MIG slice gives back the rest of the GPU; time-slicing shares it; a missing GPU-hour price is unknown, never 0', () => {
    const mig = sizeGpu({ memoryMiB: 30 * 1024, activity: 0.3 }, { sharing: 'mig', headroom: 0.1, gpuModel: 'A100-80GB' });
    assert.equal(mig.kind === 'mig' && mig.profile.profile, '3g.40gb');
    const c = gpuChange(mig, 4, 1, prices)!;
    assert.deepEqual(
      c.changes.map((x) => [x.field, x.proposed]),
      [
        ['requests.nvidia.com/mig-3g.40gb', '1'],
        ['limits.nvidia.com/mig-3g.40gb', '1'],
        ['requests.nvidia.com/gpu', '0'],
        ['limits.nvidia.com/gpu', '0'],
      ],
    );
    // 4 replicas × 1 GPU × (3/7 − 1) × 3 per GPU-hour × 730
    assert.ok(c.cost.known && Math.abs(c.cost.monthly - 4 * (3 / 7 - 1) * 3 * 730) < 1e-9);
    const ts = sizeGpu({ memoryMiB: 15 * 1024, activity: 0.2 }, { sharing: 'time-slicing', headroom: 0.1, gpuModel: 'A100-80GB' });
    const t = gpuChange(ts, 4, 1, prices)!;
    assert.deepEqual(t.changes, [{ field: 'nodeSelector.nvidia.com/gpu.sharing-strategy', current: null, proposed: 'time-slicing' }]);
    assert.ok(t.cost.known && Math.abs(t.cost.monthly - 4 * (0.25 - 1) * 3 * 730) < 1e-9);
    const unpriced = gpuChange(mig, 4, 1, { pool: 'gpu-a100', cpuCoreHour: 0.03, period: '2026-11' })!;
    assert.deepEqual(unpriced.cost, { known: false, reason: 'cost unknown: no gpu-hour price for pool gpu-a100 in 2026-11', pool: 'gpu-a100' });
    assert.equal(
      gpuChange(sizeGpu({ memoryMiB: 70 * 1024, activity: 0.9 }, { sharing: 'mig', headroom: 0.1, gpuModel: 'A100-80GB' }), 4, 1, prices),
      undefined,
    );
  });

  it("counts a replica's GPUs from the manifest's nvidia.com/gpu; the policy's gpusPerReplica fills in only without a manifest (hand-computed)", () => {
    const mig = sizeGpu({ memoryMiB: 30 * 1024, activity: 0.3 }, { sharing: 'mig', headroom: 0.1, gpuModel: 'A100-80GB' });
    // no manifest read: the policy's count (1), priced 4 replicas × 1 GPU × (3/7 − 1) × 3 per GPU-hour × 730 = −5005.714…
    const fromPolicy = gpuChange(mig, 4, replicaGpus(undefined, 'vllm', 1)!, prices)!;
    assert.ok(fromPolicy.cost.known && Math.abs(fromPolicy.cost.monthly - -5005.714285714285) < 1e-6);
    assert.deepEqual(fromPolicy.changes[2], { field: 'requests.nvidia.com/gpu', current: '1', proposed: '0' });
    // the manifest requests 2 GPUs a replica, the policy says nothing (default 1): the replica keeps its 2 GPUs,
    // not a MIG slice priced as if it had held 1 (−5005.71 a month that would never have been saved)
    const two = server('requests: {nvidia.com/gpu: 2}, limits: {nvidia.com/gpu: 2}');
    assert.equal(replicaGpus(two, 'vllm', 1), 2);
    assert.equal(gpuChange(mig, 4, replicaGpus(two, 'vllm', 1)!, prices), undefined);
    // the manifest requests no GPU: nothing to share, whatever the policy says
    assert.equal(replicaGpus(server('requests: {cpu: "4"}'), 'vllm', 1), null);
  });

  it('a GPU set only as a limit counts as its request (Kubernetes defaults requests to limits): the same GPU cost and sharing proposal', () => {
    const mig = sizeGpu({ memoryMiB: 30 * 1024, activity: 0.3 }, { sharing: 'mig', headroom: 0.1, gpuModel: 'A100-80GB' });
    const both = server('requests: {cpu: "4", memory: 24Gi, nvidia.com/gpu: 1}, limits: {memory: 24Gi, nvidia.com/gpu: 1}');
    const limitOnly = server('requests: {cpu: "4", memory: 24Gi}, limits: {memory: 24Gi, nvidia.com/gpu: 1}');
    // the projected cost of one more replica: 4 × 0.03 + 24 × 0.004 + 1 GPU × 3 = 3.216 an hour × 730, either way
    assert.deepEqual(podResources(limitOnly), podResources(both));
    const more = replicasCostDelta(podResources(limitOnly), 2, 3, prices);
    assert.ok(more.known && Math.abs(more.monthly - 3.216 * 730) < 1e-9, JSON.stringify(more));
    // the sharing proposal: 1 GPU a replica, moved to a MIG slice, priced 4 × (3/7 − 1) × 3 × 730 either way
    assert.equal(replicaGpus(both, 'vllm', 1), 1);
    assert.equal(replicaGpus(limitOnly, 'vllm', 1), 1);
    const linesOf = (w: NonNullable<typeof both>) => ({
      request: currentValue(w, 'requests.nvidia.com/gpu', 'vllm'),
      limit: currentValue(w, 'limits.nvidia.com/gpu', 'vllm'),
    });
    const proposal = gpuChange(mig, 4, replicaGpus(limitOnly, 'vllm', 1)!, prices, linesOf(limitOnly!));
    assert.ok(proposal, 'a limit-only GPU is shared like a requested one');
    const requested = gpuChange(mig, 4, replicaGpus(both, 'vllm', 1)!, prices, linesOf(both!))!;
    assert.deepEqual(proposal.cost, requested.cost);
    assert.deepEqual(
      proposal.changes.map((c) => [c.field, c.proposed]),
      requested.changes.map((c) => [c.field, c.proposed]),
    );
    // what each shows as current is the manifest's line: a limit-only GPU has no request line to show as 1
    assert.deepEqual(
      proposal.changes.slice(2).map((c) => c.current),
      [null, '1'],
    );
    assert.deepEqual(
      requested.changes.slice(2).map((c) => c.current),
      ['1', '1'],
    );
    assert.ok(proposal.cost.known && Math.abs(proposal.cost.monthly - 4 * (3 / 7 - 1) * 3 * 730) < 1e-9);
    // and the committer applies it: the limit becomes the slice, a request of the slice is added, no nvidia.com/gpu is left
    const files = serverFiles('requests: {cpu: "4", memory: 24Gi}, limits: {memory: 24Gi, nvidia.com/gpu: 1}');
    const plan = planRecommendation(files, fieldRec('ml/Deployment/llm-server', [], 'vllm', { changes: proposal.changes }), DEFAULT_POLICY);
    const after = ManifestIndex.build(new Map([...files, ...plan.changed])).resolve(LLM);
    assert.deepEqual(
      ['requests', 'limits'].flatMap((k) => [`${k}.nvidia.com/mig-3g.40gb`, `${k}.nvidia.com/gpu`].map((f) => currentValue(after, f, 'vllm'))),
      ['1', null, '1', null],
    );
    assert.equal(podResources(after)?.gpus, 3 / 7);
    // a policy of 2 GPUs a replica does not outrank the manifest's limit of 1
    assert.equal(replicaGpus(limitOnly, 'vllm', 2), 1);
    // a Helm chart whose mapping names only the GPU limit alike
    const chartFiles = new Map([
      [
        'foresight-mapping.yaml',
        `apiVersion: foresight.dev/v1
kind: Mapping
workloads:
  - workload: ml/Deployment/llm-server
    helm:
      values: charts/llm/values.yaml
      fields:
        replicas: replicaCount
        limits.nvidia.com/gpu: resources.limits.gpu
`,
      ],
      ['charts/llm/values.yaml', 'replicaCount: 4\nresources:\n  limits: {gpu: 1}\n'],
    ]);
    const chart = ManifestIndex.build(chartFiles).resolve(LLM);
    assert.ok(chart?.helm, 'resolved from the Helm values');
    assert.equal(replicaGpus(chart, 'vllm', 2), 1);
    assert.equal(podResources(chart)?.gpus, 1);
  });
});

const LLM = { namespace: 'ml', kind: 'Deployment', name: 'llm-server' };

/** ml/Deployment/llm-server, resolved from serverFiles(resources). */
function server(resources: string): ResolvedWorkload {
  return ManifestIndex.build(serverFiles(resources)).resolve(LLM);
}

/** A repository with ml/Deployment/llm-server, one container, vllm, whose `resources` are `resources`. */
function serverFiles(resources: string): Map<string, string> {
  return new Map([
    [
      'apps/ml/llm-server.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: llm-server, namespace: ml, annotations: {foresight.dev/managed: 'true'}}
spec:
  replicas: 4
  template:
    spec:
      containers:
        - {name: vllm, image: vllm/vllm-openai, resources: {${resources}}}
`,
    ],
  ]);
}
