/**
 * The processor's own loop publishes model-server recommendations (recommend/model-server-
 * recommendations.ts): 25 minutes of a vLLM server's series (3000 generated tokens/s, 20
 * requests waiting, 12 running; DCGM: 15 000 MiB used, 20% engine active) for the example
 * repository's ml/Deployment/llm-server, whose policy (policies/ml.yaml) is a model server on
 * A100-80GB with MIG allowed, 600 tokens/s per replica, queue SLO 8, KEDA floor 2 in the prod overlay. The processor
 * publishes on recommendations.v1, by itself: an HPA recommendation raising the KEDA floor, and
 * a critical RESOURCES one moving the replica to a MIG slice, both priced from the FOCUS rows of
 * the GPU pool (A100 GPU-hours named by model); both plan into edits of the repository. The
 * same server at 100 tokens/s in another cluster, whose forecast peak one replica of the two
 * serves, gets the SPOT move the policy allows (to gpu-a100-spot, priced from that pool's rows);
 * the busy one does not.
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
import { startCli } from '../../helpers/cli.js';
import { focusRow, produceBilling } from '../../helpers/billing.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { waitFor } from '../../../src/util/retry.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

const MINUTE = 60_000;
const STEP = 300_000;
const TOKENS_PER_S = 3000;
const HOUR = 3_600_000;

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
    // the GPU pools' prices (made-up round figures: the test checks the arithmetic), each hour of the replay
    const rows = [0, 1].flatMap((h) => {
      const at = start - HOUR + h * HOUR;
      const model = { 'cloud.google.com/gke-accelerator': 'nvidia-a100-80gb' };
      return [
        focusRow({ start: at, unit: 'vCPU-Hours', quantity: 24, cost: 24 * 0.03, pool: 'gpu-a100' }),
        focusRow({ start: at, unit: 'GiB-Hours', quantity: 340, cost: 340 * 0.004, pool: 'gpu-a100' }),
        focusRow({ start: at, unit: 'GPU-Hours', quantity: 2, cost: 2 * 3, pool: 'gpu-a100', tags: model }),
        focusRow({ start: at, unit: 'vCPU-Hours', quantity: 12, cost: 12 * 0.012, pool: 'gpu-a100-spot' }),
        focusRow({ start: at, unit: 'GiB-Hours', quantity: 170, cost: 170 * 0.0016, pool: 'gpu-a100-spot' }),
        focusRow({ start: at, unit: 'GPU-Hours', quantity: 1, cost: 1.2, pool: 'gpu-a100-spot', tags: model }),
      ];
    });
    const sample = (metric: string, value: number, eventTime: number, cluster = 'test'): MetricSample => ({
      cluster,
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
      // the quiet twin: 100 tokens/s, nobody waiting
      sample('vllm:generation_tokens_total', 1e6 + 100 * 60 * i, t, 'quiet'),
      sample('vllm:num_requests_waiting', 0, t, 'quiet'),
      sample('vllm:num_requests_running', 3, t, 'quiet'),
    ]);
    const mine = async (): Promise<Recommendation[]> =>
      (
        await Promise.all((await readTopic(kafka, cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')))
      ).filter((r) => r.name === 'llm-server');
    let recs: Recommendation[] = [];
    // prices first (as a live processor has them before a server's steps close), then the servers' series
    await produceBilling(kafka, cfg, codec, rows);
    const proc = startCli(['processor'], env);
    try {
      const costs = new CostStore(redis, cfg.redis.keyPrefix, [{ topic: cfg.topics.billing, partitions: 1 }]);
      const priced = async (): Promise<boolean> =>
        (await costs.poolPrices('gpu-a100/A100-80GB', start)).gpuHour !== undefined && (await costs.poolPrices('gpu-a100-spot', start)).gpuHour !== undefined;
      assert.ok(await waitFor(priced, 60_000, 200), `billing not applied: ${proc.output().slice(-2000)}`);
      await produceSamples(kafka, cfg, codec, samples);
      const done = async (): Promise<boolean> => {
        recs = await mine();
        const busy = recs.filter((r) => r.cluster === 'test');
        return busy.some((r) => r.type === 'HPA') && busy.some((r) => r.type === 'RESOURCES') && recs.some((r) => r.cluster === 'quiet' && r.type === 'SPOT');
      };
      assert.ok(
        await waitFor(done, 90_000, 200),
        `recommendations missing (${recs.map((r) => `${r.cluster}:${r.type}`).join(', ')}): ${proc.output().slice(-3000)}`,
      );
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    const spot = recs.find((r) => r.cluster === 'quiet' && r.type === 'SPOT')!;
    recs = recs.filter((r) => r.cluster === 'test');
    assert.ok(!recs.some((r) => r.type === 'SPOT'), 'one replica of 600 tokens/s cannot carry 3000: no spot move');
    // the policy's spot pool and node selector, in place of the GPU pool's label
    assert.deepEqual(
      spot.changes.map((c) => [c.field, c.current, c.proposed]),
      [['nodeSelector.node-pool', 'gpu-a100', 'gpu-a100-spot']],
    );
    assert.ok(spot.critical && spot.rules.includes('critical:spot'), spot.rules.join('; '));
    assert.ok(
      spot.rules.some((r) => r.startsWith('spot-gpu: 2 replicas ≥ 2; one interrupted leaves 1 × 600/s ≥ forecast peak')),
      spot.rules.join('; '),
    );
    // 2 replicas of 4 vCPU, 24 GiB, 1 GPU: spot (4 × 0.012 + 24 × 0.0016 + 1.2) − on demand (4 × 0.03 + 24 × 0.004 + 3) = −1.9296 an hour each
    assert.equal(spot.costUnknown, null);
    assert.ok(Math.abs(spot.monthlyCostDelta - 2 * -1.9296 * 730) < 1e-6, String(spot.monthlyCostDelta));
    assert.equal(spot.nodePool, 'gpu-a100');
    const spotEdit = planRecommendation(exampleFiles(), spot, DEFAULT_POLICY);
    assert.match(spotEdit.changed.get('apps/ml/base/llm-server.yaml')!, /\n {8}node-pool: gpu-a100-spot\n/);

    const hpa = recs.find((r) => r.type === 'HPA')!;
    const floor = hpa.changes.find((c) => c.field === 'keda.minReplicaCount');
    // 3000/s ÷ 600/s per replica (the policy's) → 5 at least; 20 waiting > SLO 8 × 2 replicas, 6 served at once per replica → 3;
    // held to maxStepPercent 50% of 2 → 3
    assert.ok(floor && floor.current === '2' && floor.proposed === '3', JSON.stringify(hpa.changes));
    // one more replica: (4 × 0.03 + 24 × 0.004 + 3) × 730 = 2347.68 a month, under policies/ml.yaml's 5000: routine (a commit)
    assert.equal(hpa.costUnknown, null);
    assert.ok(Math.abs(hpa.monthlyCostDelta - 3.216 * 730) < 1e-6, String(hpa.monthlyCostDelta));
    assert.ok(!hpa.critical, 'a 50% raise under the review threshold is routine (a commit)');
    assert.ok(!hpa.changes.some((c) => c.field === 'keda.threshold'), 'the trigger threshold already is the SLO (8)');
    assert.equal(hpa.forecast.metric, 'rate(vllm:generation_tokens_total)');
    assert.ok(
      hpa.rules.includes('throughput:policy') &&
        hpa.rules.includes('max-step: 50% of 2 → 3') &&
        hpa.rules.some((r) => r.includes('waiting > SLO 8 × 2 replicas')),
      hpa.rules.join('; '),
    );

    const gpu = recs.find((r) => r.type === 'RESOURCES')!;
    // p95 15 000 MiB (14.6 GiB) and 20% active, +10%: 2 compute slices and ≥ 16.1 GiB → 2g.20gb
    assert.deepEqual(
      gpu.changes.map((c) => [c.field, c.current, c.proposed]),
      [
        ['requests.nvidia.com/mig-2g.20gb', null, '1'],
        ['limits.nvidia.com/mig-2g.20gb', null, '1'],
        ['requests.nvidia.com/gpu', '1', '0'],
        ['limits.nvidia.com/gpu', '1', '0'],
      ],
    );
    assert.equal(gpu.container, 'vllm');
    assert.ok(gpu.critical && gpu.rules.includes('critical:gpu-sharing'), 'GPU sharing goes to a pull request');
    // 2 replicas give back 5/7 of a GPU each: 2 × (2/7 − 1) × 3 per GPU-hour (the A100's rows) × 730
    assert.equal(gpu.costUnknown, null);
    assert.ok(Math.abs(gpu.monthlyCostDelta - 2 * (2 / 7 - 1) * 3 * 730) < 1e-6, String(gpu.monthlyCostDelta));
    assert.equal(recs.filter((r) => r.type === 'RESOURCES').length, 1, 'the same slice is not proposed again (hysteresis)');

    // what the committer does with them: minimal edits of the overlay and the base manifest
    const files = exampleFiles();
    const floorEdit = planRecommendation(files, hpa, DEFAULT_POLICY);
    assert.ok(floorEdit.changed.get('apps/ml/overlays/prod/llm-server-patch.yaml')!.includes(`minReplicaCount: ${floor.proposed}   # one replica per zone`));
    const gpuEdit = planRecommendation(files, gpu, DEFAULT_POLICY);
    const base = [...gpuEdit.changed.values()].join('\n');
    assert.ok(base.includes('nvidia.com/mig-2g.20gb: 1') || base.includes("nvidia.com/mig-2g.20gb: '1'"), base);
    assert.ok(!base.includes('nvidia.com/gpu'), 'the whole GPU is removed, not set to 0');
  });
});
