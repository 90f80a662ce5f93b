/** A recommendation of field changes for plan and render tests (the other fields are placeholders). */
import type { Recommendation } from '../../src/codec/generated-types.js';

export function gpuRec(workload: string, changes: [string, string][], container: string | null = null): Recommendation {
  const [namespace, kind, name] = workload.split('/');
  return {
    id: 'gpu1',
    type: container ? 'RESOURCES' : 'HPA',
    cluster: 'prod',
    namespace,
    kind,
    name,
    container,
    changes: changes.map(([field, proposed]) => ({ field, current: null, proposed })),
    currentSource: 'MANIFEST',
    forecast: { metric: 'vllm:generation_tokens_total', horizonSeconds: 3600, q50: 1, q90: 2, q99: 3, quantileUsed: 0.99, peakTime: null },
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
  };
}
