import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestIndex } from '../../../src/manifests/manifests.js';
import { scalingInForce, stepRates } from '../../../src/recommend/model-server-recommendations.js';
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
