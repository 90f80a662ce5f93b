/**
 * A change the committer makes by removing a key (a model server's move to a MIG slice proposes
 * nvidia.com/gpu 0, and plan.ts removes the key rather than writing 0) is in force once the key
 * is gone from the checkout (a reviewer's find #12: it never counted as landed, so its outcome
 * was never measured). Computed on the example repository with the committer's own edit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestIndex } from '../../../src/manifests/manifests.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { OutcomeTracker } from '../../../src/outcomes/tracker.js';
import type { Tracked } from '../../../src/outcomes/lifecycle.js';
import type { SeriesIdentity } from '../../../src/codec/series-id.js';
import { exampleFiles, MIG_CHANGES, withGpuPatch } from '../../helpers/gitops.js';
import { gpuRec } from '../../helpers/recommendation.js';

const KEY = { namespace: 'ml', kind: 'Deployment', name: 'llm-server' };
const inForceIn = (files: Map<string, string>, rec: ReturnType<typeof gpuRec>): boolean => {
  const resolved = ManifestIndex.build(files).resolve(KEY);
  const tracker = new OutcomeTracker({ money: { workload: () => ({ resolved }) } } as unknown as ConstructorParameters<typeof OutcomeTracker>[0]);
  return (tracker as unknown as { inForce(id: SeriesIdentity, t: Tracked): boolean }).inForce({} as SeriesIdentity, { rec } as unknown as Tracked);
};

describe('a removed key in force', () => {
  for (const [label, files] of [
    ['in the base manifest (the key deleted)', exampleFiles()],
    ['in a Kustomize patch (the key set to null)', withGpuPatch(exampleFiles())],
  ] as const) {
    it(`counts the MIG change as landed once the whole-GPU key is gone, ${label}`, () => {
      const rec = gpuRec('ml/Deployment/llm-server', MIG_CHANGES, 'vllm');
      assert.equal(inForceIn(files, rec), false, 'before the commit: not in force');
      const plan = planRecommendation(files, rec, undefined);
      assert.ok(plan.diffs.some((d) => d.field === 'requests.nvidia.com/gpu' && d.after === '(removed)'));
      assert.equal(inForceIn(new Map([...files, ...plan.changed]), rec), true, 'after the commit: in force');
    });
  }
});
