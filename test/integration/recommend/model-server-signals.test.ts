/**
 * DCGM, vLLM and Triton series on the real stack: scraped shapes (the exporters' exposition
 * fixtures) go through Kafka as Prometheus-adapter JSON and as OTLP/JSON, the processor
 * attributes them to the Deployment that owns the pod and windows them in Redis; a counter's
 * window maxima read back as its rate; an idle GPU's series is dead-lettered, not attributed;
 * and the windows, read by model-server-facts.ts, drive the capacity model to a KEDA edit.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { counterRates } from '../../../src/codec/model-server-metrics.js';
import { currentValue, ManifestIndex } from '../../../src/manifests/manifests.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { learnThroughput, modelServerOf, modelServerReplicas, sizeGpu } from '../../../src/policy/model-server-capacity.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { readServerFacts } from '../../../src/recommend/model-server-facts.js';
import { replicaChange } from '../../../src/recommend/model-server-changes.js';
import { podResources } from '../../../src/money/workload-facts.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { FINE } from '../../../src/windows/resolutions.js';
import { WindowStore } from '../../../src/windows/window-store.js';
import { testConfig, testEnv, uniqueId } from '../../helpers/env.js';
import { adapterJson, otlpJsonOf, readExposition, type ExposedSample } from '../../helpers/exposition.js';
import { testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { appliedPerSeries, snapshotWindows } from '../../helpers/windows.js';
import { exampleFiles } from '../../helpers/gitops.js';
import { gpuRec } from '../../helpers/recommendation.js';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

const POD = { namespace: 'ml', pod: 'llm-server-7d9c5b6f4d-x2k8q', container: 'vllm' };
const DCGM_SCRAPE = { namespace: 'gpu-operator', pod: 'nvidia-dcgm-exporter-b6hw2', container: 'nvidia-dcgm-exporter' };
/** vLLM generates this many tokens per second throughout */
const TOKENS_PER_S = 1500;

describe('model-server signals on the real stack', () => {
  it('DCGM, vLLM and Triton series from Prometheus JSON and OTLP land in the windows of the owning Deployment, counters readable as rates', async () => {
    const id = uniqueId('gpu');
    const t = { prom: `${id}.prom`, otlp: `${id}.otlp` };
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
    const cfg0 = testConfig(env);
    env.FORESIGHT_INPUTS = `${cfg0.topics.metrics}=avro-metric,${t.prom}=prometheus-json,${t.otlp}=otlp-json`;
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    await ensureTopics(kafka, cfg.topics, cfg.ingest.inputs.keys());

    const dcgm = readExposition('dcgm-exporter.prom');
    const served = [...readExposition('vllm.prom'), ...readExposition('triton.prom')];
    // 16 scrapes 15 s apart (4 minutes), from a minute boundary 5 minutes ago: counters grow, gauges as exposed
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
    const scrapes = Array.from({ length: 16 }, (_, i) => start + i * 15_000);
    const at = (s: ExposedSample, i: number): ExposedSample =>
      s.name === 'vllm:generation_tokens_total' ? { ...s, value: s.value + TOKENS_PER_S * 15 * i } : s;
    const promMessages = scrapes.flatMap((time, i) => [
      ...dcgm.map((s) => ({ value: adapterJson(s, time, DCGM_SCRAPE) })),
      ...served.map((s) => ({ value: adapterJson(at(s, i), time, POD) })),
    ]);
    const strip = (s: ExposedSample): ExposedSample => ({
      ...s,
      labels: Object.fromEntries(Object.entries(s.labels).filter(([k]) => !['pod', 'namespace', 'container'].includes(k))),
    });
    const otlpMessages = scrapes.map((time, i) => ({
      value: Buffer.from(
        JSON.stringify(
          otlpJsonOf(
            [...dcgm.filter((s) => s.labels.pod !== ''), ...served].map((s) => strip(at(s, i))),
            time,
            { 'k8s.namespace.name': 'ml', 'k8s.pod.name': POD.pod, 'k8s.container.name': 'vllm' },
          ),
        ),
      ),
    }));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: t.prom, messages: promMessages });
    await producer.send({ topic: t.otlp, messages: otlpMessages });
    await producer.disconnect();

    const perTopic = (dcgm.length - 1 + served.length) * scrapes.length; // the idle GPU's samples are not applied
    const applied = async (): Promise<number> => [...(await appliedPerSeries(redis, cfg.redis.keyPrefix)).values()].reduce((a, x) => a + x.count, 0);
    await runProcessorUntil(env, async () => (await applied()) >= 2 * perTopic);

    const keys = Object.keys(await snapshotWindows(redis, cfg.redis.keyPrefix));
    for (const topic of [t.prom, t.otlp]) {
      const ids = [...new Set(keys.filter((k) => k.includes(`{${topic}:`)).map((k) => /:w2:(.+):[mfhq]:\d+$/.exec(k)?.[1] ?? ''))];
      for (const metric of [
        'DCGM_FI_DEV_GPU_UTIL',
        'DCGM_FI_DEV_FB_USED',
        'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
        'vllm:num_requests_waiting',
        'vllm:generation_tokens_total',
        'nv_inference_pending_request_count',
      ]) {
        assert.ok(
          ids.includes(`default/ml/Deployment/llm-server/vllm/${metric}`),
          `${topic}: ${metric} under ml/Deployment/llm-server (have ${ids.join(', ')})`,
        );
      }
      assert.ok(!ids.some((x) => x.includes('gpu-operator')), `${topic}: nothing attributed to the exporter's own pod`);
    }
    assert.equal(await applied(), 2 * perTopic, 'the idle GPU samples are not applied');

    // the generation counter's 1-minute maxima, read back as a per-second rate
    const store = new WindowStore(redis, cfg.redis.keyPrefix);
    const seriesId = 'default/ml/Deployment/llm-server/vllm/vllm:generation_tokens_total';
    const ref = (await store.locate(t.prom, 1, seriesId))!;
    const [buckets] = await store.lastBuckets([{ ref, seriesId, resolution: 'fine', n: 3, endMs: start + 2 * FINE.bucketMs }]);
    const rates = counterRates(
      buckets.map((b) => b?.max),
      FINE.bucketMs / 1000,
    );
    assert.deepEqual(rates, [undefined, TOKENS_PER_S, TOKENS_PER_S]);

    // the windows → the capacity model → the KEDA edit of the example repository
    const server = { ...modelServerOf({ ...DEFAULT_POLICY, modelServer: { gpuModel: 'A100-80GB', sharing: 'mig', queueDepthSlo: 1 } })! };
    const workload = { cluster: 'default', namespace: 'ml', kind: 'Deployment', name: 'llm-server', container: 'vllm' };
    const facts = await readServerFacts(
      store,
      t.prom,
      1,
      workload,
      { ...server, gpuActivityMetric: 'DCGM_FI_DEV_GPU_UTIL' },
      { fromMs: start, toMs: start + 4 * 60_000 - 1 },
      () => 2,
    );
    // minute 0 has no rate yet; minutes 1-3: 1500 tokens/s, 3 waiting, 12 running, on 2 replicas
    assert.deepEqual(
      facts.steps.map((x) => [x.startMs - start, x.demand, x.queue, x.running, x.replicas]),
      [1, 2, 3].map((m) => [m * 60_000, TOKENS_PER_S, 3, 12, 2]),
    );
    const throughput = learnThroughput(facts.steps)!;
    assert.equal(throughput, TOKENS_PER_S / 2, 'a queue on every step: what 2 replicas served is their capacity');
    const plan = modelServerReplicas({
      forecast: [{ tMs: Date.now(), demand: TOKENS_PER_S }],
      nowMs: Date.now(),
      throughput,
      queue: 3,
      running: 12,
      replicas: 2,
      server,
      min: 1,
      max: 12,
    });
    // demand needs 2; 3 waiting > SLO 1 × 2 replicas, 6 served at once per replica → 3
    assert.deepEqual([plan.forDemand, plan.forQueue, plan.replicas], [2, 3, 3]);
    const files = exampleFiles();
    const index = ManifestIndex.build(files);
    const w = index.resolve(workload);
    const value = (f: string): string | null => currentValue(w, f, null);
    const change = replicaChange(
      plan,
      {
        kedaMin: Number(value('keda.minReplicaCount')),
        kedaMax: Number(value('keda.maxReplicaCount')),
        kedaThreshold: value('keda.threshold'),
        hpaMin: null,
        replicas: null,
      },
      server,
      podResources(w),
      { pool: 'gpu-a100' },
    )!;
    assert.deepEqual(change.changes, [
      { field: 'keda.minReplicaCount', current: '2', proposed: '3' },
      { field: 'keda.threshold', current: '8', proposed: '1' },
    ]);
    assert.deepEqual(change.cost, { known: false, reason: 'cost unknown: no billing rows for pool gpu-a100', pool: 'gpu-a100' });
    const edited = planRecommendation(
      files,
      gpuRec(
        'ml/Deployment/llm-server',
        change.changes.map((c) => [c.field, c.proposed]),
      ),
      DEFAULT_POLICY,
    );
    assert.ok(edited.changed.get('apps/ml/overlays/prod/llm-server-patch.yaml')!.includes('\n  minReplicaCount: 3   # one replica per zone at least\n'));
    // GPU: p95 of 61234 MiB used and 87% busy does not fit a slice of an A100-80GB
    assert.ok(facts.gpu && Math.abs(facts.gpu.memoryMiB - 61234) / 61234 < 0.02 && Math.abs(facts.gpu.activity - 0.87) < 0.02, JSON.stringify(facts.gpu));
    assert.equal(sizeGpu(facts.gpu, server).kind, 'whole-gpu');
  });
});
