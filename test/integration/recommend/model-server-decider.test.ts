/**
 * A model server decides its HPA, SPOT and GPU sharing from its demand series. When two series of
 * the workload carry the demand metric (a sidecar exporting it too, or a workload-level series
 * beside the container's) they are scored on different partitions, maybe by different processors:
 * exactly one of them decides (the first to claim; lua/claimDecider-1.lua), the other is skipped
 * with one warning, and the role passes on only after its holder has been silent for the expiry.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseSeriesId } from '../../../src/codec/series-id.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { ModelServerRecommender, type ModelServerDeps } from '../../../src/recommend/model-server-recommendations.js';
import { claimDecider } from '../../../src/windows/decider-claim.js';
import { deciderKey } from '../../../src/windows/redis-keys.js';
import { testRedis, uniqueId } from '../../helpers/env.js';

const redis = testRedis();
after(() => redis.disconnect());

const VLLM = 'c1/ml/Deployment/llm/vllm/vllm:generation_tokens_total';
const PROXY = 'c1/ml/Deployment/llm/proxy/vllm:generation_tokens_total';
const policy = (modelServer: ResolvedPolicy['modelServer']): ResolvedPolicy => ({ ...structuredClone(DEFAULT_POLICY), modelServer });

/** A processor's recommender, for its decider check only (the other dependencies are not used by it); its warnings collected. */
function processor(prefix: string): { r: ModelServerRecommender; warnings: string[] } {
  const warnings: string[] = [];
  const d = { redis, prefix, log: { warn: (_o: object, m: string) => warnings.push(m) } } as unknown as ModelServerDeps;
  return { r: new ModelServerRecommender(d), warnings };
}

describe('a model server with two demand series', () => {
  it('is decided by exactly one of them, across two processors, and the other is warned once', async () => {
    const prefix = uniqueId('decider');
    const [a, b] = [processor(prefix), processor(prefix)];
    const p = policy({});
    const [vllm, proxy] = [parseSeriesId(VLLM)!, parseSeriesId(PROXY)!];
    // both at once, as two partitions closing the same step
    const first = await Promise.all([a.r.decides(vllm, VLLM, p), b.r.decides(proxy, PROXY, p)]);
    assert.equal(first.filter(Boolean).length, 1, `one decider: ${first}`);
    const holder = first[0] ? VLLM : PROXY;
    // later steps: the same one decides, the other stays skipped and is not warned again
    for (let step = 0; step < 3; step++) {
      assert.deepEqual(await Promise.all([a.r.decides(vllm, VLLM, p), b.r.decides(proxy, PROXY, p)]), first);
    }
    const warnings = [...a.warnings, ...b.warnings];
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], new RegExp(`${holder.replace(/[/:]/g, '.')} decides`));
    assert.match(warnings[0], /set modelServer\.container/);
    assert.equal(await redis.get(deciderKey(prefix, vllm.workload, 'model-server')), `1|${holder}`);
    assert.ok((await redis.pttl(deciderKey(prefix, vllm.workload, 'model-server'))) > 23 * 3_600_000, 'the claim expires a day after its last renewal');
  });

  it('with modelServer.container set, decides by the policy and claims nothing', async () => {
    const prefix = uniqueId('decider');
    const { r } = processor(prefix);
    assert.equal(await r.decides(parseSeriesId(VLLM)!, VLLM, policy({ container: 'vllm' })), true);
    assert.equal(await redis.exists(deciderKey(prefix, 'c1/ml/Deployment/llm', 'model-server')), 0);
  });

  it("a container's series takes the role from a workload-level one, never the other way", async () => {
    const prefix = uniqueId('decider');
    const [a, b] = [processor(prefix), processor(prefix)];
    const p = policy({});
    const workloadLevel = 'c1/ml/Deployment/llm/-/vllm:generation_tokens_total';
    assert.equal(await a.r.decides(parseSeriesId(workloadLevel)!, workloadLevel, p), true, 'first, alone: it decides');
    assert.equal(await b.r.decides(parseSeriesId(VLLM)!, VLLM, p), true, "the container's series takes over");
    assert.equal(await a.r.decides(parseSeriesId(workloadLevel)!, workloadLevel, p), false);
    assert.equal(await b.r.decides(parseSeriesId(VLLM)!, VLLM, p), true);
    assert.equal(await redis.get(deciderKey(prefix, 'c1/ml/Deployment/llm', 'model-server')), `1|${VLLM}`);
  });

  it('passes to another series only after the holder has been silent for the expiry', async () => {
    const key = deciderKey(uniqueId('decider'), 'c1/ml/Deployment/llm', 'model-server');
    assert.deepEqual(await claimDecider(redis, key, VLLM, 300), { held: true, holder: VLLM });
    assert.deepEqual(await claimDecider(redis, key, PROXY, 300), { held: false, holder: VLLM });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await claimDecider(redis, key, VLLM, 300)).held, true, 'the holder renews');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await claimDecider(redis, key, PROXY, 300)).held, false, 'renewed 200 ms ago: still held');
    await new Promise((r) => setTimeout(r, 350));
    assert.deepEqual(await claimDecider(redis, key, PROXY, 300), { held: true, holder: PROXY }, 'silent past the expiry: taken over');
  });
});
