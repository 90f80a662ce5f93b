import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestIndex } from '../../../src/manifests/manifests.js';
import { parseSeriesId } from '../../../src/codec/series-id.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { isModelServerDemand, scalingInForce, stepRates } from '../../../src/recommend/model-server-recommendations.js';
import { exampleFiles } from '../../helpers/gitops.js';

describe('model-server recommendations: inputs', () => {
  it("turns a counter's 5-minute step means into per-second rates; a reset or a forward-filled step keeps the last rate", () => {
    // +300 per step = 1/s, +600 = 2/s, then a repeated step (forward fill), a reset to 0, +900 = 3/s
    const r = Array.from(stepRates([1000, 1300, 1900, 1900, 0, 900]));
    assert.deepEqual(r, [1, 1, 2, 2, 2, 3]);
    assert.deepEqual(Array.from(stepRates([5, 5, 5])), [0, 0, 0], 'a counter that never moves has no rate: 0');
  });

  it('reads the autoscaling in force from the example repository: the KEDA ScaledObject with its prod overlay', () => {
    const w = ManifestIndex.build(exampleFiles()).resolve({ namespace: 'ml', kind: 'Deployment', name: 'llm-server' });
    assert.deepEqual(scalingInForce(w), { kedaMin: 2, kedaMax: 6, kedaThreshold: '8', hpaMin: null, replicas: null });
    assert.deepEqual(scalingInForce(undefined), { kedaMin: null, kedaMax: null, kedaThreshold: null, hpaMin: null, replicas: null });
  });
});

describe('model-server recommendations: the deciding series', () => {
  const policy = (modelServer: ResolvedPolicy['modelServer']): ResolvedPolicy => ({ ...structuredClone(DEFAULT_POLICY), modelServer });
  const vllm = parseSeriesId('c1/ml/Deployment/llm/vllm/vllm:generation_tokens_total')!;
  const proxy = parseSeriesId('c1/ml/Deployment/llm/proxy/vllm:generation_tokens_total')!;
  const workloadLevel = parseSeriesId('c1/ml/Deployment/llm/-/vllm:generation_tokens_total')!;
  const queue = parseSeriesId('c1/ml/Deployment/llm/vllm/vllm:num_requests_waiting')!;

  it('without modelServer.container every series with the demand metric is a candidate (the loop lets one decide)', () => {
    const p = policy({});
    assert.deepEqual(
      [vllm, proxy, workloadLevel, queue].map((id) => isModelServerDemand(id, p)),
      [true, true, true, false],
    );
    assert.equal(isModelServerDemand(vllm, structuredClone(DEFAULT_POLICY)), false, 'no modelServer block: no model server');
  });

  it('with modelServer.container only that container decides', () => {
    const p = policy({ container: 'vllm' });
    assert.deepEqual(
      [vllm, proxy, workloadLevel, queue].map((id) => isModelServerDemand(id, p)),
      [true, false, false, false],
    );
  });
});
