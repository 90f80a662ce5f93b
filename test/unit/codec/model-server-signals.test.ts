import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counterRates, isCounter, MODEL_SERVER_METRICS } from '../../../src/codec/model-server-metrics.js';
import { decodeOtlpJson, decodeOtlpProto, encodeOtlpProto } from '../../../src/codec/otlp.js';
import { ownerOfPod } from '../../../src/codec/pod-owner.js';
import { decodePrometheusJson } from '../../../src/codec/prometheus-json.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { adapterJson, otlpJsonOf, readExposition } from '../../helpers/exposition.js';

const T = Date.UTC(2026, 10, 27, 10, 0, 0);
const VLLM_POD = { namespace: 'ml', pod: 'llm-server-7d9c5b6f4d-x2k8q', container: 'vllm' };

describe('model-server and GPU signals', () => {
  it('pod names resolve to their owning Deployment or StatefulSet, and nothing else', () => {
    assert.deepEqual(ownerOfPod('llm-server-7d9c5b6f4d-x2k8q'), { kind: 'Deployment', name: 'llm-server' });
    assert.deepEqual(ownerOfPod('triton-0'), { kind: 'StatefulSet', name: 'triton' });
    assert.deepEqual(ownerOfPod('triton-12'), { kind: 'StatefulSet', name: 'triton' });
    // a DaemonSet's or Job's pod (one 5-character suffix), a hash with a vowel, a bare name: not guessed
    assert.equal(ownerOfPod('dcgm-exporter-x2k8q'), undefined);
    assert.equal(ownerOfPod('llm-server-7d9c5b6f4a-x2k8q'), undefined);
    assert.equal(ownerOfPod('debug'), undefined);
  });

  it('DCGM exporter series decode from Prometheus JSON to the workload using the GPU, with the GPU labels kept', () => {
    const dcgm = readExposition('dcgm-exporter.prom');
    // scraped as the DCGM exporter's own pod: its target labels collide and the workload's move to exported_*
    const target = { namespace: 'gpu-operator', pod: 'nvidia-dcgm-exporter-b6hw2', container: 'nvidia-dcgm-exporter' };
    const used = dcgm.filter((s) => s.labels.pod !== '');
    const samples = used.flatMap((s) => decodePrometheusJson(adapterJson(s, T, target)));
    assert.deepEqual(
      samples.map((s) => [s.namespace, s.kind, s.name, s.container, s.metric, s.value]),
      [
        ['ml', 'Deployment', 'llm-server', 'vllm', 'DCGM_FI_DEV_GPU_UTIL', 87],
        ['ml', 'Deployment', 'llm-server', 'vllm', 'DCGM_FI_DEV_FB_FREE', 19766],
        ['ml', 'Deployment', 'llm-server', 'vllm', 'DCGM_FI_DEV_FB_USED', 61234],
        ['ml', 'Deployment', 'llm-server', 'vllm', 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', 0.412],
      ],
    );
    const mig = samples[3].attributes;
    assert.equal(mig.GPU_I_PROFILE, '3g.40gb');
    assert.equal(mig.modelName, 'NVIDIA A100-SXM4-80GB');
    assert.equal(mig.UUID, 'GPU-9a7c3e21-6b4d-4f80-a1c2-3e5d7f9b1a04');
    assert.equal(mig.gpu, '1');
    assert.equal(mig.pod, 'llm-server-7d9c5b6f4d-m4vzt', "the workload's pod, not the exporter's");
    assert.equal('exported_pod' in mig || 'exported_namespace' in mig, false);
    // the same series scraped with honor_labels: true (no collision): same identity
    assert.deepEqual(
      decodePrometheusJson(adapterJson(used[0], T)).map((s) => [s.namespace, s.name, s.container]),
      [['ml', 'llm-server', 'vllm']],
    );
    // an idle GPU belongs to no workload: rejected with the reason, not attributed to the exporter
    const idle = dcgm.find((s) => s.labels.pod === '')!;
    assert.throws(
      () => decodePrometheusJson(adapterJson(idle, T, target)),
      (e: unknown) => e instanceof RejectedMessage && /pod "nvidia-dcgm-exporter-b6hw2"|namespace/.test(e.message),
    );
    assert.throws(
      () => decodePrometheusJson(adapterJson(idle, T)),
      (e: unknown) => e instanceof RejectedMessage && /namespace/.test(e.message),
    );
  });

  it('vLLM and Triton series decode from Prometheus JSON with the scrape target labels, and a pod of no known owner is refused', () => {
    for (const file of ['vllm.prom', 'triton.prom']) {
      const exposed = readExposition(file);
      const samples = exposed.flatMap((s) => decodePrometheusJson(adapterJson(s, T, VLLM_POD)));
      assert.deepEqual(
        samples.map((s) => s.metric),
        exposed.map((s) => s.name),
      );
      for (const s of samples) {
        assert.deepEqual([s.namespace, s.kind, s.name, s.container], ['ml', 'Deployment', 'llm-server', 'vllm']);
        assert.ok(MODEL_SERVER_METRICS[s.metric], `${s.metric} is in the table`);
      }
    }
    const [running] = readExposition('vllm.prom');
    assert.equal(decodePrometheusJson(adapterJson(running, T, VLLM_POD))[0].attributes.model_name, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.throws(
      () => decodePrometheusJson(adapterJson(running, T, { ...VLLM_POD, pod: 'llm-debug' })),
      (e: unknown) => e instanceof RejectedMessage && /pod "llm-debug" is not named like/.test(e.message),
    );
  });

  it('every family decodes from OTLP (JSON and protobuf) with k8s.pod.name resolved to its owner', () => {
    const exposed = [
      ...readExposition('dcgm-exporter.prom').filter((s) => s.labels.pod !== ''),
      ...readExposition('vllm.prom'),
      ...readExposition('triton.prom'),
    ];
    // the Collector's k8sattributes processor names the pod; the exporters' own pod labels are data point attributes
    const req = otlpJsonOf(
      exposed.map((s) => ({ ...s, labels: Object.fromEntries(Object.entries(s.labels).filter(([k]) => !['pod', 'namespace', 'container'].includes(k))) })),
      T,
      { 'k8s.namespace.name': 'ml', 'k8s.pod.name': 'llm-server-7d9c5b6f4d-x2k8q', 'k8s.container.name': 'vllm' },
    );
    const fromJson = decodeOtlpJson(Buffer.from(JSON.stringify(req)));
    assert.deepEqual(decodeOtlpProto(encodeOtlpProto(req)), fromJson);
    assert.deepEqual(
      fromJson.map((s) => s.metric),
      exposed.map((s) => s.name),
    );
    for (const s of fromJson) assert.deepEqual([s.namespace, s.kind, s.name, s.container, s.eventTime], ['ml', 'Deployment', 'llm-server', 'vllm', T]);
    assert.equal(fromJson.find((s) => s.metric === 'vllm:generation_tokens_total')!.value, 412345);
    assert.equal(fromJson.find((s) => s.metric === 'DCGM_FI_PROF_GR_ENGINE_ACTIVE')!.attributes.GPU_I_PROFILE, '3g.40gb');
    const noOwner = otlpJsonOf(readExposition('triton.prom'), T, { 'k8s.namespace.name': 'ml', 'k8s.pod.name': 'triton-debug' });
    assert.throws(
      () => decodeOtlpJson(Buffer.from(JSON.stringify(noOwner))),
      (e: unknown) => e instanceof RejectedMessage && /k8s.pod.name "triton-debug"/.test(e.message),
    );
  });

  it('counters become per-second rates, across a gap and a counter reset (hand-computed)', () => {
    assert.equal(isCounter('vllm:generation_tokens_total'), true);
    assert.equal(isCounter('nv_inference_request_success'), true);
    assert.equal(isCounter('vllm:num_requests_waiting'), false);
    // 15 s steps: +60 → 4/s; a gap, then +120 over 2 steps → 4/s; reset to 20 → 20/15 per s
    const r = counterRates([100, 160, undefined, 280, 20], 15);
    assert.deepEqual(r.slice(0, 4), [undefined, 4, undefined, 4]);
    assert.ok(Math.abs(r[4]! - 20 / 15) < 1e-12);
    assert.deepEqual(counterRates([], 15), []);
  });
});
