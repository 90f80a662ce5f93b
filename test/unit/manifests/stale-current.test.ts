/**
 * A field whose value in the repository is not the `current` a recommendation was made from is
 * left alone (stale-current), unless the change since is Foresight's own, earlier in the same
 * commit; numbers and quantities compare by value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { exampleFiles } from '../../helpers/gitops.js';

const POLICY = { ...DEFAULT_POLICY, replicas: { ...DEFAULT_POLICY.replicas, max: 20 } };
const PATCH = 'apps/shop/overlays/prod/checkout-patch.yaml';

function rec(changes: [string, string | null, string][], opts: Partial<Recommendation> = {}): Recommendation {
  return {
    id: 'r1',
    type: 'HPA',
    cluster: 'prod',
    namespace: 'shop',
    kind: 'Deployment',
    name: 'checkout',
    container: null,
    changes: changes.map(([field, current, proposed]) => ({ field, current, proposed })),
    currentSource: 'MANIFEST',
    forecast: { metric: 'cpu_usage', horizonSeconds: 3600, q50: 1, q90: 2, q99: 3, quantileUsed: 0.99, peakTime: null },
    rules: [],
    monthlyCostDelta: 0,
    currency: 'USD',
    confidence: 0.5,
    modelVersion: 't',
    critical: false,
    createdAt: 0,
    traceparent: null,
    costUnknown: null,
    nodePool: null,
    budget: null,
    resourceDelta: null,
    ...opts,
  };
}

describe('stale current values', () => {
  it('leaves a field a person changed since the recommendation', () => {
    const files = exampleFiles();
    files.set(PATCH, files.get(PATCH)!.replace('minReplicas: 3 ', 'minReplicas: 8 '));
    assert.throws(
      () => planRecommendation(files, rec([['minReplicas', '3', '4']]), POLICY),
      (e: unknown) =>
        e instanceof RejectedMessage &&
        e.reason === 'stale-current' &&
        /minReplicas is 8 in apps\/shop\/overlays\/prod\/checkout-patch\.yaml, but the recommendation was made from 3/.test(e.message),
    );
    assert.equal(planRecommendation(files, rec([['minReplicas', '8', '4']]), POLICY).diffs[0].after, '4', 'made from the new value: applied');
    assert.equal(
      planRecommendation(files, rec([['minReplicas', '3', '4']], { currentSource: 'METRICS' }), POLICY).diffs.length,
      1,
      "a current from the metrics is not the repository's",
    );
  });

  it("compares quantities by value and accepts Foresight's own earlier change in the same commit", () => {
    const files = exampleFiles();
    const cpu = (current: string, proposed: string): Recommendation => rec([['requests.cpu', current, proposed]], { type: 'RESOURCES', container: 'app' });
    assert.equal(planRecommendation(files, cpu('1000m', '500m'), POLICY).diffs.length, 1, '"1" is 1000m');
    const first = planRecommendation(files, cpu('1', '500m'), POLICY);
    const after = new Map([...files, ...first.changed]);
    assert.equal(planRecommendation(after, cpu('1', '400m'), POLICY, undefined, files).diffs[0].after, '400m');
    assert.throws(() => planRecommendation(after, cpu('1', '400m'), POLICY), /stale-current|made from 1/);
  });
});
