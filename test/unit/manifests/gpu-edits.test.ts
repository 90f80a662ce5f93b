/**
 * Model-server recommendations become minimal edits of the example repository's `ml` namespace:
 * a KEDA ScaledObject's floor, ceiling and trigger threshold (Kustomize patch and base, Helm
 * values), and a replica's GPU (nvidia.com/gpu → a MIG slice); every other byte is kept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentValue, ManifestIndex } from '../../../src/manifests/manifests.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { podResources } from '../../../src/money/workload-facts.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { exampleFiles, MIG_CHANGES, withGpuPatch } from '../../helpers/gitops.js';
import { fieldRec, gpuRec } from '../../helpers/recommendation.js';
import { spotChanges } from '../../../src/recommend/sizing.js';
import type { Recommendation } from '../../../src/codec/generated-types.js';

/** [line, before, after] of the lines that differ; the texts must have the same line count. */
function diffLines(a: string, b: string): [number, string, string][] {
  const x = a.split('\n');
  const y = b.split('\n');
  assert.equal(x.length, y.length, 'line count changed');
  return x.flatMap((l, i) => (l === y[i] ? [] : [[i + 1, l, y[i]] as [number, string, string]]));
}

const LLM = { namespace: 'ml', kind: 'Deployment', name: 'llm-server' };

describe('KEDA and GPU edits', () => {
  it("edits the ScaledObject's floor in the overlay patch and its threshold in the base, in their own quoting", () => {
    const files = exampleFiles();
    const plan = planRecommendation(
      files,
      gpuRec('ml/Deployment/llm-server', [
        ['keda.minReplicaCount', '4'],
        ['keda.maxReplicaCount', '10'],
        ['keda.threshold', '6'],
      ]),
      DEFAULT_POLICY,
    );
    const patch = 'apps/ml/overlays/prod/llm-server-patch.yaml';
    const base = 'apps/ml/base/llm-server-scaledobject.yaml';
    assert.deepEqual([...plan.changed.keys()].sort(), [base, patch]);
    assert.deepEqual(diffLines(files.get(patch)!, plan.changed.get(patch)!), [
      [7, '  minReplicaCount: 2   # one replica per zone at least', '  minReplicaCount: 4   # one replica per zone at least'],
      [8, '  maxReplicaCount: 6', '  maxReplicaCount: 10'],
    ]);
    // the trigger list is edited where it is written: a patch adding one would replace the list
    assert.deepEqual(diffLines(files.get(base)!, plan.changed.get(base)!), [
      [17, "      threshold: '8'       # waiting requests per replica", "      threshold: '6'       # waiting requests per replica"],
    ]);
    const w = ManifestIndex.build(new Map([...files, ...plan.changed])).resolve(LLM);
    assert.deepEqual(
      ['keda.minReplicaCount', 'keda.maxReplicaCount', 'keda.threshold'].map((f) => currentValue(w, f, null)),
      ['4', '10', '6'],
    );
  });

  it('moves a replica from a whole GPU to a MIG slice: the slice replaces the whole-GPU lines, no nvidia.com/gpu: 0 is left', () => {
    const files = exampleFiles();
    const file = 'apps/ml/base/llm-server.yaml';
    const plan = planRecommendation(files, gpuRec('ml/Deployment/llm-server', MIG_CHANGES, 'vllm'), DEFAULT_POLICY);
    assert.deepEqual([...plan.changed.keys()], [file]);
    const gpuLine = '            nvidia.com/gpu: 1\n';
    const sliced = '            nvidia.com/mig-3g.40gb: 1\n';
    assert.equal(plan.changed.get(file), files.get(file)!.replaceAll(gpuLine, sliced));
    assert.equal(files.get(file)!.split(gpuLine).length, 3, 'both the request and the limit lines were replaced');
    assert.deepEqual(
      plan.diffs.map((d) => [d.field, d.before, d.after]),
      [
        ['requests.nvidia.com/mig-3g.40gb', null, '1'],
        ['limits.nvidia.com/mig-3g.40gb', null, '1'],
        ['requests.nvidia.com/gpu', '1', '(removed)'],
        ['limits.nvidia.com/gpu', '1', '(removed)'],
      ],
    );
    const w = ManifestIndex.build(new Map([...files, ...plan.changed])).resolve(LLM);
    assert.equal(currentValue(w, 'limits.nvidia.com/mig-3g.40gb', 'vllm'), '1');
    assert.equal(currentValue(w, 'requests.nvidia.com/gpu', 'vllm'), null);
    // a replica's cost after the switch: its slice is 3/7 of a GPU
    assert.deepEqual(podResources(w), { cpuCores: 4, memoryBytes: 24 * 2 ** 30, gpus: 3 / 7 });
    // applied again: nothing left to change
    const again = planRecommendation(new Map([...files, ...plan.changed]), gpuRec('ml/Deployment/llm-server', MIG_CHANGES, 'vllm'), DEFAULT_POLICY);
    assert.equal(again.changed.size, 0);
  });

  it('in a Kustomize patch the whole GPU is set to null (a strategic-merge deletion of the base key); in Helm values too', () => {
    const files = withGpuPatch(exampleFiles());
    const patch = 'apps/ml/overlays/prod/llm-server-patch.yaml';
    const plan = planRecommendation(files, gpuRec('ml/Deployment/llm-server', MIG_CHANGES, 'vllm'), DEFAULT_POLICY);
    assert.deepEqual([...plan.changed.keys()], [patch], 'the base is left alone');
    assert.equal(
      plan.changed.get(patch),
      files
        .get(patch)!
        .replace(
          '            nvidia.com/gpu: 1   # a whole A100 in production\n',
          '            nvidia.com/gpu: null   # a whole A100 in production\n            nvidia.com/mig-3g.40gb: 1\n',
        ) + '          limits:\n            nvidia.com/mig-3g.40gb: 1\n            nvidia.com/gpu: null\n',
    );
    const w = ManifestIndex.build(new Map([...files, ...plan.changed])).resolve(LLM);
    assert.deepEqual(
      ['requests.nvidia.com/gpu', 'limits.nvidia.com/gpu', 'requests.nvidia.com/mig-3g.40gb', 'limits.nvidia.com/mig-3g.40gb'].map((f) =>
        currentValue(w, f, 'vllm'),
      ),
      [null, null, '1', '1'],
    );
    // Helm: the mapped values key to null (Helm deletes a chart default set to null)
    const helm = 'charts/embedder/values-prod.yaml';
    const withMig = new Map(files);
    withMig.set(
      'foresight-mapping.yaml',
      files
        .get('foresight-mapping.yaml')!
        .replace(
          '        limits.nvidia.com/gpu: resources.gpus\n',
          '        limits.nvidia.com/gpu: resources.gpus\n        limits.nvidia.com/mig-1g.10gb: resources.mig\n',
        ),
    );
    const h = planRecommendation(
      withMig,
      gpuRec(
        'ml/Deployment/embedder',
        [
          ['limits.nvidia.com/mig-1g.10gb', '1'],
          ['limits.nvidia.com/gpu', '0'],
        ],
        'triton',
      ),
      DEFAULT_POLICY,
    );
    assert.deepEqual(diffLines(files.get(helm)!, h.changed.get(helm)!.replace('  mig: 1\n', '')), [
      [
        16,
        '  gpus: 1                # rendered as nvidia.com/gpu requests and limits',
        '  gpus: null                # rendered as nvidia.com/gpu requests and limits',
      ],
    ]);
    assert.match(h.changed.get(helm)!, /\n {2}mig: 1\n/);
  });

  it('edits KEDA and GPU fields of a Helm values file through the mapping, keeping its quotes', () => {
    const files = exampleFiles();
    const file = 'charts/embedder/values-prod.yaml';
    const plan = planRecommendation(
      files,
      gpuRec('ml/Deployment/embedder', [
        ['keda.minReplicaCount', '2'],
        ['keda.threshold', '6'],
      ]),
      DEFAULT_POLICY,
    );
    assert.deepEqual(diffLines(files.get(file)!, plan.changed.get(file)!), [
      [8, '  minReplicaCount: 1', '  minReplicaCount: 2'],
      [
        10,
        '  queueThreshold: "10"   # nv_inference_pending_request_count per replica',
        '  queueThreshold: "6"   # nv_inference_pending_request_count per replica',
      ],
    ]);
    // the GPUs of a replica, for its cost: from the values path the mapping names
    const embedder = { namespace: 'ml', kind: 'Deployment', name: 'embedder' };
    assert.deepEqual(podResources(ManifestIndex.build(files).resolve(embedder)), { cpuCores: 2, memoryBytes: 8 * 2 ** 30, gpus: 1 });
    assert.deepEqual(podResources(ManifestIndex.build(files).resolve(LLM)), { cpuCores: 4, memoryBytes: 24 * 2 ** 30, gpus: 1 });
    const gpu = planRecommendation(files, gpuRec('ml/Deployment/embedder', [['limits.nvidia.com/gpu', '2']], 'triton'), DEFAULT_POLICY);
    assert.deepEqual(diffLines(files.get(file)!, gpu.changed.get(file)!), [
      [
        16,
        '  gpus: 1                # rendered as nvidia.com/gpu requests and limits',
        '  gpus: 2                # rendered as nvidia.com/gpu requests and limits',
      ],
    ]);
  });

  it('moves a model server to a spot GPU pool by its node selector: plain manifest, Kustomize patch and Helm values, one value each', () => {
    const spot = { 'node-pool': 'gpu-a100-spot' };
    const spotRec = (files: Map<string, string>, workload: string): Recommendation => {
      const [namespace, kind, name] = workload.split('/');
      const changes = spotChanges(ManifestIndex.build(files).resolve({ namespace, kind, name }), spot);
      return fieldRec(
        workload,
        changes.map((c) => [c.field, c.proposed]),
        null,
        { type: 'SPOT', changes },
      );
    };
    // plain (the base, no patch of the Deployment): the pool label's value, in place
    const files = exampleFiles();
    const base = 'apps/ml/base/llm-server.yaml';
    const rec = spotRec(files, 'ml/Deployment/llm-server');
    assert.deepEqual(rec.changes, [{ field: 'nodeSelector.node-pool', current: 'gpu-a100', proposed: 'gpu-a100-spot' }]);
    const plain = planRecommendation(files, rec, DEFAULT_POLICY);
    assert.deepEqual(diffLines(files.get(base)!, plain.changed.get(base)!), [[22, '        node-pool: gpu-a100', '        node-pool: gpu-a100-spot']]);
    assert.equal(spotChanges(ManifestIndex.build(new Map([...files, ...plain.changed])).resolve(LLM), spot).length, 0, 'there already: nothing to move');
    // Kustomize: the overlay's Deployment patch gets the selector, the base is left alone
    const patched = withGpuPatch(exampleFiles());
    const patch = 'apps/ml/overlays/prod/llm-server-patch.yaml';
    const kus = planRecommendation(patched, spotRec(patched, 'ml/Deployment/llm-server'), DEFAULT_POLICY);
    assert.deepEqual([...kus.changed.keys()], [patch]);
    assert.equal(kus.changed.get(patch), `${patched.get(patch)!}      nodeSelector:\n        node-pool: gpu-a100-spot\n`);
    assert.equal(currentValue(ManifestIndex.build(new Map([...patched, ...kus.changed])).resolve(LLM), 'nodeSelector.node-pool', null), 'gpu-a100-spot');
    // Helm: the values path the mapping names (none in the file yet: added at its end)
    const helm = 'charts/embedder/values-prod.yaml';
    const mapped = new Map(files);
    mapped.set(
      'foresight-mapping.yaml',
      files
        .get('foresight-mapping.yaml')!
        .replace(
          '        limits.nvidia.com/gpu: resources.gpus\n',
          '        limits.nvidia.com/gpu: resources.gpus\n        nodeSelector.node-pool: nodeSelector.node-pool\n',
        ),
    );
    const h = planRecommendation(mapped, spotRec(mapped, 'ml/Deployment/embedder'), DEFAULT_POLICY);
    assert.equal(h.changed.get(helm), `${files.get(helm)!}nodeSelector:\n  node-pool: gpu-a100-spot\n`);
  });

  it('refuses what the API server would: a GPU request unlike its limit, a fraction of a GPU, a floor above the ceiling', () => {
    const files = exampleFiles();
    const refused = (changes: [string, string][], container: string | null, detail: RegExp): void =>
      assert.throws(
        () => planRecommendation(files, gpuRec('ml/Deployment/llm-server', changes, container), DEFAULT_POLICY),
        (e: unknown) => e instanceof RejectedMessage && e.reason === 'out-of-bounds' && detail.test(e.message),
      );
    refused([['limits.nvidia.com/gpu', '2']], 'vllm', /requests\.nvidia\.com\/gpu 1 differs from limits\.nvidia\.com\/gpu 2/);
    refused(
      [
        ['requests.nvidia.com/gpu', '0.5'],
        ['limits.nvidia.com/gpu', '0.5'],
      ],
      'vllm',
      /nvidia\.com\/gpu "?0\.5"? is not a whole number/,
    );
    refused([['keda.minReplicaCount', '7']], null, /minReplicaCount 7 exceeds maxReplicaCount 6/);
    assert.throws(
      () => planRecommendation(files, gpuRec('shop/Deployment/checkout', [['keda.minReplicaCount', '2']]), DEFAULT_POLICY),
      (e: unknown) => e instanceof RejectedMessage && /no KEDA ScaledObject/.test(e.message),
    );
  });
});
