/** Which track a published change is followed on (tracker.ts): one per kind and following series, the HPA one under the legacy field names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutcomeTracker } from '../../../src/outcomes/tracker.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { parseSeriesId } from '../../../src/codec/series-id.js';

const workload = { id: parseSeriesId('c/shop/Deployment/web/-/cpu_usage')!, policy: DEFAULT_POLICY };
const container = { id: parseSeriesId('c/shop/Deployment/web/app/cpu_usage')!, policy: DEFAULT_POLICY };
const server = { id: parseSeriesId('c/ml/Deployment/llm/vllm/vllm:generation_tokens_total')!, policy: DEFAULT_POLICY };

describe('outcome tracks', () => {
  it('names one track per kind and series; an HPA change on the workload demand keeps the plain field names', () => {
    assert.equal(OutcomeTracker.trackOf({ type: 'HPA', rules: [] }, workload), '');
    assert.equal(OutcomeTracker.trackOf({ type: 'IDLE', rules: [] }, workload), 'IDLE:cpu_usage:-');
    assert.equal(OutcomeTracker.trackOf({ type: 'SPOT', rules: [] }, workload), 'SPOT:cpu_usage:-');
    assert.equal(OutcomeTracker.trackOf({ type: 'RESOURCES', rules: [] }, container), 'RESOURCES:cpu_usage:app');
    // a model server's replica change is not the workload's HPA track, even on the same workload
    assert.equal(OutcomeTracker.trackOf({ type: 'HPA', rules: ['model-server'] }, server), 'HPA:vllm:generation_tokens_total:vllm');
  });
});
