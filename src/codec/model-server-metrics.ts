/**
 * The signals GPU model servers emit, as their exporters name them, and what each one is for.
 * The decoders keep these names as the series' metric (a policy names the ones it uses); this
 * table says which are counters (to be turned into rates, counterRates below) and what role
 * each plays in the capacity model (policy/model-server-capacity.ts).
 *
 * Sources:
 * - NVIDIA DCGM exporter, default counters (github.com/NVIDIA/dcgm-exporter,
 *   etc/default-counters.csv; field meanings in the DCGM field identifiers reference). Labels:
 *   `gpu`, `UUID`, `device`, `modelName`, `Hostname`, under MIG `GPU_I_PROFILE` and `GPU_I_ID`,
 *   and with Kubernetes mapping `pod`, `namespace`, `container`.
 * - vLLM's Prometheus metrics (docs.vllm.ai, "Production Metrics"; vllm/engine/metrics.py),
 *   labelled `model_name`.
 * - Triton Inference Server's metrics (docs.nvidia.com, triton-inference-server user guide
 *   "Metrics"), labelled `model` and `version`.
 */
export type MetricRole =
  /** work arriving: what replicas must keep up with */
  | 'demand'
  /** requests waiting for a slot: the queue-depth SLO */
  | 'queue'
  /** requests being served now (vLLM's batch) */
  | 'running'
  /** GPU busy fraction: for right-sizing only, never for scaling (it pins high at low load) */
  | 'gpu-activity'
  /** GPU memory in use or free */
  | 'gpu-memory'
  | 'latency';

export interface ModelServerMetric {
  family: 'dcgm' | 'vllm' | 'triton';
  type: 'gauge' | 'counter';
  unit: string;
  role: MetricRole;
}

export const MODEL_SERVER_METRICS: Readonly<Record<string, ModelServerMetric>> = {
  DCGM_FI_DEV_GPU_UTIL: { family: 'dcgm', type: 'gauge', unit: '%', role: 'gpu-activity' },
  /** the activity metric that works under MIG (GPU_UTIL is not reported per MIG instance) */
  DCGM_FI_PROF_GR_ENGINE_ACTIVE: { family: 'dcgm', type: 'gauge', unit: '1', role: 'gpu-activity' },
  DCGM_FI_DEV_FB_USED: { family: 'dcgm', type: 'gauge', unit: 'MiB', role: 'gpu-memory' },
  DCGM_FI_DEV_FB_FREE: { family: 'dcgm', type: 'gauge', unit: 'MiB', role: 'gpu-memory' },
  'vllm:num_requests_running': { family: 'vllm', type: 'gauge', unit: '{request}', role: 'running' },
  'vllm:num_requests_waiting': { family: 'vllm', type: 'gauge', unit: '{request}', role: 'queue' },
  'vllm:kv_cache_usage_perc': { family: 'vllm', type: 'gauge', unit: '1', role: 'gpu-memory' },
  'vllm:prompt_tokens_total': { family: 'vllm', type: 'counter', unit: '{token}', role: 'demand' },
  'vllm:generation_tokens_total': { family: 'vllm', type: 'counter', unit: '{token}', role: 'demand' },
  nv_inference_request_success: { family: 'triton', type: 'counter', unit: '{request}', role: 'demand' },
  nv_inference_pending_request_count: { family: 'triton', type: 'gauge', unit: '{request}', role: 'queue' },
  /** cumulative µs spent queued by all requests: its rate ÷ the request rate is the mean queue time */
  nv_inference_queue_duration_us: { family: 'triton', type: 'counter', unit: 'us', role: 'latency' },
};

/** Whether a metric is a counter: listed as one, or named like one (Prometheus's `_total` convention). */
export function isCounter(metric: string): boolean {
  return MODEL_SERVER_METRICS[metric]?.type === 'counter' || metric.endsWith('_total');
}

/**
 * Per-second rates of a counter sampled at regular steps (a window's bucket maxima, one per
 * step; undefined where a step has no sample). Follows Prometheus's rate(): a decrease is a
 * counter reset (the server restarted), after which the counter counted up from 0, so the
 * increase is the new value itself. A gap spreads the increase over the steps it spans. The
 * first step has no rate (undefined), nor has a step without a sample.
 */
export function counterRates(values: readonly (number | undefined)[], stepSeconds: number): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  let last: { v: number; i: number } | undefined;
  values.forEach((v, i) => {
    if (v === undefined || !Number.isFinite(v)) {
      out.push(undefined);
      return;
    }
    if (!last) out.push(undefined);
    else {
      const increase = v >= last.v ? v - last.v : v;
      out.push(increase / ((i - last.i) * stepSeconds));
    }
    last = { v, i };
  });
  return out;
}
