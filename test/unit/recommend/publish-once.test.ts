/**
 * The last proposals of a workload (recommend/publish-once.ts) are written from the partitions of
 * the series that decide them: pinned here, one deciding series per proposal hash, so two
 * partitions never read-modify-write the same one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSeriesId, type SeriesIdentity } from '../../../src/codec/series-id.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { proposalName } from '../../../src/recommend/publish-once.js';
import { SizingRules, type Candidate } from '../../../src/recommend/sizing.js';

const candidate = (type: Candidate['type'], container: string | null, rules: string[]): Pick<Candidate, 'type' | 'rec' | 'container'> => ({
  type,
  container,
  rec: { rules } as unknown as Candidate['rec'],
});

describe('proposal hashes', () => {
  it('each has one deciding series per workload, a model server included', async () => {
    const server: ResolvedPolicy = { ...structuredClone(DEFAULT_POLICY), modelServer: { perReplicaThroughput: 500, gpuPool: 'a100' } } as ResolvedPolicy;
    // sizing.ts steps aside for a model server's SPOT (before reading anything): its demand series proposes it
    const sizing = new SizingRules({} as ConstructorParameters<typeof SizingRules>[0]);
    const demandId = parseSeriesId('c/ml/Deployment/llm/-/cpu_usage')!;
    assert.equal(await sizing.spot(demandId, { topic: 't', partition: 0 }, 'c/ml/Deployment/llm/-/cpu_usage', 0, server, undefined), undefined);
    // what each series of one model-server workload proposes (recommend/loop.ts hourly and model-server candidates)
    const publishers: [SeriesIdentity, Pick<Candidate, 'type' | 'rec' | 'container'>[]][] = [
      [demandId, [candidate('IDLE', null, [])]],
      [parseSeriesId('c/ml/Deployment/llm/vllm/cpu_usage')!, [candidate('RESOURCES', 'vllm', ['p90'])]],
      [parseSeriesId('c/ml/Deployment/llm/sidecar/cpu_usage')!, [candidate('RESOURCES', 'sidecar', ['p90'])]],
      [
        parseSeriesId('c/ml/Deployment/llm/vllm/vllm:generation_tokens_total')!,
        ['HPA', 'RESOURCES', 'SPOT'].map((t) => candidate(t as Candidate['type'], t === 'RESOURCES' ? 'vllm' : null, ['model-server'])),
      ],
    ];
    const writers = new Map<string, string>();
    for (const [id, cs] of publishers)
      for (const c of cs) {
        const hash = `${proposalName(c)}:${c.container ?? '-'}`;
        const by = `${id.container ?? '-'}/${id.metric}`;
        assert.ok(!writers.has(hash), `${hash} decided by ${writers.get(hash)} and ${by}`);
        writers.set(hash, by);
      }
    assert.deepEqual([...writers.keys()].sort(), ['GPU:vllm', 'HPA:-', 'IDLE:-', 'RESOURCES:sidecar', 'RESOURCES:vllm', 'SPOT:-']);
  });
});
