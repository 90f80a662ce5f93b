/** A recommendation of field changes for plan and render tests (the other fields are placeholders). */
import type { Recommendation } from '../../src/codec/generated-types.js';

/** HPA (no container) or RESOURCES (a container) changes of `namespace/kind/name`, each with its current value unknown. */
export function fieldRec(
  workload: string,
  changes: [string, string][],
  container: string | null = null,
  overrides: Partial<Recommendation> = {},
): Recommendation {
  const [namespace, kind, name] = workload.split('/');
  return {
    id: 'r1',
    type: container ? 'RESOURCES' : 'HPA',
    cluster: 'prod',
    namespace,
    kind,
    name,
    container,
    changes: changes.map(([field, proposed]) => ({ field, current: null, proposed })),
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
    ...overrides,
  };
}

/** The same for a model server's changes (KEDA, GPU and MIG fields). */
export function gpuRec(workload: string, changes: [string, string][], container: string | null = null): Recommendation {
  const base = fieldRec(workload, changes, container);
  return { ...base, id: 'gpu1', forecast: { ...base.forecast, metric: 'vllm:generation_tokens_total' } };
}
