/**
 * The proposals' hysteresis and cooldown gate (recommend/publish-once.ts) against the team Redis,
 * with the loop's batch state: a model server's serving container is right-sized by two series on
 * two partitions, its CPU series (CPU and memory requests) and the server's demand series (GPU
 * sharing, also a RESOURCES recommendation). Each is gated by its own last proposal: neither
 * withholds the other by the cooldown, and a repeat of either within the hysteresis stays quiet.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Message } from 'kafkajs';
import { parseSeriesId } from '../../../src/codec/series-id.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { publishOnce } from '../../../src/recommend/publish-once.js';
import { recommendationOf, type Candidate } from '../../../src/recommend/sizing.js';
import { BatchState } from '../../../src/windows/batch-state.js';
import { proposalKey } from '../../../src/windows/redis-keys.js';
import { testConfig, testEnv, testRedis } from '../../helpers/env.js';
import { testCodec } from '../../helpers/produce.js';

const env = testEnv();
const cfg = testConfig(env);
const redis = testRedis(env);
after(() => redis.disconnect());

const STEP = 300_000;
const policy = structuredClone(DEFAULT_POLICY);

/** A RESOURCES candidate of container vllm, decided by `metric`'s series at `at` (rules as each recommender writes them). */
function candidate(metric: string, rules: string[], values: Record<string, number | string>, at: number): { seriesId: string; c: Candidate } {
  const seriesId = `c1/ml/Deployment/llm-server/vllm/${metric}`;
  const changes = Object.entries(values).map(([field, v]) => ({ field, current: null, proposed: String(v) }));
  const rec = recommendationOf(parseSeriesId(seriesId)!, 'RESOURCES', 'vllm', changes, {
    metric,
    rules,
    policy,
    cost: { known: false, reason: 'not priced here', pool: 'gpu-a100' },
    critical: false,
    source: 'UNKNOWN',
    stepEndMs: at,
    traceparent: undefined,
    confidence: 1,
    modelVersion: 'test',
    horizonSeconds: 3600,
  });
  return { seriesId, c: { type: 'RESOURCES', container: 'vllm', rec, values } };
}

describe('proposal gate', () => {
  it("keeps a model server's GPU sharing and its container's CPU sizing apart", async () => {
    const codec = await testCodec(cfg);
    const prefix = cfg.redis.keyPrefix;
    const t0 = Date.UTC(2026, 10, 20, 12);
    const cpu = (at: number, cores: number) => candidate('cpu_usage', ['p90'], { 'requests.cpu': cores }, at);
    const gpu = (at: number) => candidate('vllm:generation_tokens_total', ['model-server', 'critical:gpu-sharing'], { gpu: 'nvidia.com/mig-2g.20gb' }, at);
    /** one batch of one partition: the candidates published, its state written back after */
    const batch = async (at: number, ...cs: { seriesId: string; c: Candidate }[]): Promise<string[]> => {
      const ctx = { state: new BatchState(redis), messages: [] as Message[] };
      const out: string[] = [];
      for (const { seriesId, c } of cs) {
        const rec = await publishOnce(ctx, { prefix, codec }, parseSeriesId(seriesId)!, c, at, policy);
        if (rec) out.push(rec.forecast.metric);
      }
      assert.equal(ctx.messages.length, out.length);
      await ctx.state.flush();
      return out;
    };
    try {
      // the demand series' partition publishes the GPU sharing; a step later the CPU series' partition its first CPU sizing
      assert.deepEqual(await batch(t0, gpu(t0)), ['vllm:generation_tokens_total']);
      assert.deepEqual(await batch(t0 + STEP, cpu(t0 + STEP, 2)), ['cpu_usage'], "the GPU sharing's cooldown is not the CPU sizing's");
      // the same proposals again stay quiet (hysteresis), within the cooldown and past it
      assert.deepEqual(await batch(t0 + 2 * STEP, gpu(t0 + 2 * STEP), cpu(t0 + 2 * STEP, 2)), []);
      const later = t0 + policy.change.cooldownMinutes * 60_000 + 2 * STEP;
      assert.deepEqual(await batch(later, gpu(later), cpu(later, 2)), [], 'each compared with its own last proposal');
      // the CPU moved beyond the hysteresis: only the CPU sizing is published
      assert.deepEqual(await batch(later + STEP, gpu(later + STEP), cpu(later + STEP, 3)), ['cpu_usage']);
    } finally {
      await redis.del(...['RESOURCES', 'GPU'].map((p) => proposalKey(prefix, 'c1/ml/Deployment/llm-server', p, 'vllm')));
    }
  });

  it('after an upgrade, the GPU sharing kept under RESOURCES by the earlier version is not published again', async () => {
    const codec = await testCodec(cfg);
    const prefix = cfg.redis.keyPrefix;
    const workload = 'c1/ml/Deployment/llm-server';
    const t0 = Date.UTC(2026, 10, 21, 12);
    const gpu = (at: number) => candidate('vllm:generation_tokens_total', ['model-server', 'critical:gpu-sharing'], { gpu: 'nvidia.com/mig-2g.20gb' }, at);
    const legacy = proposalKey(prefix, workload, 'RESOURCES', 'vllm');
    // as the earlier version left it: the GPU sharing under RESOURCES:vllm
    await redis.hset(legacy, { values: JSON.stringify({ gpu: 'nvidia.com/mig-2g.20gb' }), atMs: String(t0), id: 'earlier' });
    try {
      const offer = async (at: number, c: { seriesId: string; c: Candidate }) => {
        const ctx = { state: new BatchState(redis), messages: [] as Message[] };
        const rec = await publishOnce(ctx, { prefix, codec }, parseSeriesId(c.seriesId)!, c.c, at, policy);
        await ctx.state.flush();
        return rec;
      };
      const later = t0 + 3_600_000;
      assert.equal(await offer(later, gpu(later)), undefined, 'the same GPU sharing, an hour later: within the hysteresis of the kept one');
      const moved = candidate('vllm:generation_tokens_total', ['model-server', 'critical:gpu-sharing'], { gpu: 'nvidia.com/mig-3g.40gb' }, later);
      assert.ok(await offer(later, moved), 'another GPU sharing is published');
      assert.equal(await redis.hget(legacy, 'values'), JSON.stringify({ gpu: 'nvidia.com/mig-2g.20gb' }), 'the RESOURCES key is only read');
    } finally {
      await redis.del(legacy, proposalKey(prefix, workload, 'GPU', 'vllm'));
    }
  });
});
