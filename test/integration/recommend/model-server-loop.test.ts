/**
 * The processor's own loop publishes model-server recommendations (recommend/model-server-
 * recommendations.ts): 25 minutes of a vLLM server's series (3000 generated tokens/s, 20
 * requests waiting, 12 running; DCGM: 15 000 MiB used, 20% engine active) for the example
 * repository's ml/Deployment/llm-server, whose policy (policies/ml.yaml) is a model server on
 * A100-80GB with MIG allowed, 600 tokens/s per replica, queue SLO 8, KEDA floor 2 in the prod overlay. The processor
 * publishes on recommendations.v1, by itself: an HPA recommendation raising the KEDA floor, and
 * a critical RESOURCES one moving the replica to a MIG slice, both with the cost unknown (no
 * billing rows for pool gpu-a100); both plan into edits of the repository.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { MetricSample, Recommendation } from '../../../src/codec/generated-types.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { exampleFiles, gitopsRemote } from '../../helpers/gitops.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

const MINUTE = 60_000;
const STEP = 300_000;
const TOKENS_PER_S = 3000;

describe('model-server recommendations from the processor', () => {
  it('a vLLM server under a modelServer policy gets a KEDA floor raise and a MIG right-sizing pull request', async () => {
    const repo = gitopsRemote();
    const checkout = path.join(repo.tmp, 'checkout');
    execFileSync('git', ['clone', '-q', repo.remote, checkout]);
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_POLICY_REPO: checkout, FORESIGHT_REPLAY_HISTORY: 'true' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    const start = Math.floor(Date.now() / STEP) * STEP - 25 * MINUTE;
    const sample = (metric: string, value: number, eventTime: number): MetricSample => ({
      cluster: 'test',
      namespace: 'ml',
      kind: 'Deployment',
      name: 'llm-server',
      container: 'vllm',
      metric,
      unit: '',
      value,
      eventTime,
      attributes: {},
    });
    const samples = Array.from({ length: 26 }, (_, i) => start + i * MINUTE).flatMap((t, i) => [
      sample('vllm:generation_tokens_total', 1e6 + TOKENS_PER_S * 60 * i, t),
      sample('vllm:num_requests_waiting', 20, t),
      sample('vllm:num_requests_running', 12, t),
      sample('DCGM_FI_DEV_FB_USED', 15_000, t),
      sample('DCGM_FI_PROF_GR_ENGINE_ACTIVE', 0.2, t),
    ]);
    await produceSamples(kafka, cfg, codec, samples);
    const mine = async (): Promise<Recommendation[]> =>
      (
        await Promise.all((await readTopic(kafka, cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')))
      ).filter((r) => r.name === 'llm-server');
    let recs: Recommendation[] = [];
    await runProcessorUntil(
      env,
      async () => {
        recs = await mine();
        return recs.some((r) => r.type === 'HPA') && recs.some((r) => r.type === 'RESOURCES');
      },
      90_000,
    );
    const hpa = recs.find((r) => r.type === 'HPA')!;
    const floor = hpa.changes.find((c) => c.field === 'keda.minReplicaCount');
    // 3000/s ÷ 600/s per replica (the policy's) → 5 at least; 20 waiting > SLO 8 × 2 replicas, 6 served at once per replica → 3;
    // held to maxStepPercent 50% of 2 → 3
    assert.ok(floor && floor.current === '2' && floor.proposed === '3', JSON.stringify(hpa.changes));
    assert.ok(!hpa.critical, 'a 50% raise at an unknown cost is routine (a commit)');
    assert.ok(!hpa.changes.some((c) => c.field === 'keda.threshold'), 'the trigger threshold already is the SLO (8)');
    assert.equal(hpa.forecast.metric, 'rate(vllm:generation_tokens_total)');
    assert.ok(
      hpa.rules.includes('throughput:policy') &&
        hpa.rules.includes('max-step: 50% of 2 → 3') &&
        hpa.rules.some((r) => r.includes('waiting > SLO 8 × 2 replicas')),
      hpa.rules.join('; '),
    );
    assert.match(hpa.costUnknown ?? '', /^cost unknown: no billing rows for pool gpu-a100/);

    const gpu = recs.find((r) => r.type === 'RESOURCES')!;
    // p95 15 000 MiB (14.6 GiB) and 20% active, +10%: 2 compute slices and ≥ 16.1 GiB → 2g.20gb
    assert.deepEqual(
      gpu.changes.map((c) => [c.field, c.current, c.proposed]),
      [
        ['requests.nvidia.com/gpu', '1', '0'],
        ['limits.nvidia.com/gpu', '1', '0'],
        ['requests.nvidia.com/mig-2g.20gb', null, '1'],
        ['limits.nvidia.com/mig-2g.20gb', null, '1'],
      ],
    );
    assert.equal(gpu.container, 'vllm');
    assert.ok(gpu.critical && gpu.rules.includes('critical:gpu-sharing'), 'GPU sharing goes to a pull request');
    assert.match(gpu.costUnknown ?? '', /^cost unknown: no billing rows for pool gpu-a100/);
    assert.equal(recs.filter((r) => r.type === 'RESOURCES').length, 1, 'the same slice is not proposed again (hysteresis)');

    // what the committer does with them: minimal edits of the overlay and the base manifest
    const files = exampleFiles();
    const floorEdit = planRecommendation(files, hpa, DEFAULT_POLICY);
    assert.ok(floorEdit.changed.get('apps/ml/overlays/prod/llm-server-patch.yaml')!.includes(`minReplicaCount: ${floor.proposed}   # one replica per zone`));
    const gpuEdit = planRecommendation(files, gpu, DEFAULT_POLICY);
    const base = [...gpuEdit.changed.values()].join('\n');
    assert.ok(base.includes('nvidia.com/mig-2g.20gb: 1') || base.includes("nvidia.com/mig-2g.20gb: '1'"), base);
  });
});
