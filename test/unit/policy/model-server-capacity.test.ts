import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIG_PROFILES } from '../../../src/policy/mig-profiles.js';
import { kedaValues, learnThroughput, modelServerOf, modelServerReplicas, sizeGpu, wholeGpuActivity } from '../../../src/policy/model-server-capacity.js';
import { parsePolicyFile, PolicyError } from '../../../src/policy/policy-loader.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { PolicySet } from '../../../src/policy/policy-set.js';

const MIN = 60_000;
const server = { warmupMinutes: 5, queueDepthSlo: 4 };
const base = { nowMs: 0, throughput: 2400, queue: 0, running: 0, replicas: 2, server, min: 1, max: 8 };
// tokens/s forecast: now, +2, +4 (inside a 5-minute warm-up), +6 minutes (outside)
const forecast = [
  { tMs: 0, demand: 3000 },
  { tMs: 2 * MIN, demand: 6000 },
  { tMs: 4 * MIN, demand: 9500 },
  { tMs: 6 * MIN, demand: 20000 },
];

describe('model-server capacity model', () => {
  it('learns per-replica throughput as the median served per replica while requests waited', () => {
    const steps = [
      { demand: 2000, queue: 0, replicas: 1 }, // no queue: not at capacity, ignored
      { demand: 4800, queue: 3, replicas: 2 }, // 2400 per replica
      { demand: 7500, queue: 5, replicas: 3 }, // 2500
      { demand: 2300, queue: 1, replicas: 1 }, // 2300
    ];
    assert.equal(learnThroughput(steps), 2400);
    assert.equal(learnThroughput(steps.slice(0, 3)), undefined, 'two saturated steps are not a measurement');
  });

  it('sizes replicas for the forecast peak within the warm-up ahead (hand-computed)', () => {
    // peak within 5 minutes is 9500/s; 9500 / 2400 = 3.96 → 4
    const p = modelServerReplicas({ ...base, forecast });
    assert.deepEqual([p.replicas, p.forDemand, p.forQueue, p.peakDemand, p.peakAtMs], [4, 4, 0, 9500, 4 * MIN]);
    // exactly 4 replicas' worth is 4, not 5
    assert.equal(modelServerReplicas({ ...base, forecast: [{ tMs: 0, demand: 9600 }] }).replicas, 4);
    // no warm-up: only now counts, 3000 / 2400 → 2
    assert.equal(modelServerReplicas({ ...base, forecast, server: { ...server, warmupMinutes: 0 } }).replicas, 2);
    // a 6-minute warm-up reaches the 20000/s peak: 8.33 → 9, held at replicas.max 8
    const capped = modelServerReplicas({ ...base, forecast, server: { ...server, warmupMinutes: 6 } });
    assert.deepEqual([capped.forDemand, capped.replicas], [9, 8]);
    assert.match(capped.reasons.at(-1)!, /held within replicas 1\.\.8 → 8/);
  });

  it('adds replicas when the queue is over its SLO: the excess over slots a replica serves at once', () => {
    const flat = [{ tMs: 0, demand: 3000 }]; // 2 replicas for demand
    // 2 replicas × SLO 4 = 8 allowed; 14 waiting → 6 excess; 12 running / 2 = 6 at once → +1 → 3
    const q = modelServerReplicas({ ...base, forecast: flat, queue: 14, running: 12 });
    assert.deepEqual([q.forDemand, q.forQueue, q.replicas], [2, 3, 3]);
    // 21 waiting → 13 excess → ⌈13 / 6⌉ = 3 more → 5
    assert.equal(modelServerReplicas({ ...base, forecast: flat, queue: 21, running: 12 }).replicas, 5);
    // at the SLO exactly: nothing added
    assert.equal(modelServerReplicas({ ...base, forecast: flat, queue: 8, running: 12 }).forQueue, 0);
    assert.deepEqual(kedaValues(q, server, 8), { minReplicaCount: 3, maxReplicaCount: 8, threshold: 4 });
    assert.deepEqual(kedaValues({ ...q, replicas: 12 }, server, 8).maxReplicaCount, 12);
  });

  it('picks the smallest MIG profile that holds memory and activity with headroom, at the boundaries', () => {
    const mig = { sharing: 'mig' as const, headroom: 0.1, gpuModel: 'A100-80GB' as const };
    const pick = (memoryGiB: number, activity: number): string => {
      const s = sizeGpu({ memoryMiB: memoryGiB * 1024, activity }, mig);
      return s.kind === 'mig' ? s.profile.profile : s.kind;
    };
    // 8 GiB × 1.1 = 8.8 ≤ 9.75; 0.12 × 1.1 = 0.132 ≤ 1/7
    assert.equal(pick(8, 0.12), '1g.10gb');
    // 0.13 × 1.1 = 0.143 > 1/7 = 0.1429: two slices
    assert.equal(pick(8, 0.13), '2g.20gb');
    // 9 GiB × 1.1 = 9.9 > 9.75: the 1-slice 20 GB profile
    assert.equal(pick(9, 0.05), '1g.20gb');
    // 36 GiB × 1.1 = 39.6 > 39.5: only the whole GPU
    assert.equal(pick(35.9, 0.3), '3g.40gb');
    assert.equal(pick(36, 0.3), 'whole-gpu');
    const s = sizeGpu({ memoryMiB: 8 * 1024, activity: 0.12 }, mig);
    assert.ok(s.kind === 'mig' && s.resource === 'nvidia.com/mig-1g.10gb' && Math.abs(s.gpuShare - 1 / 7) < 1e-12);
    assert.equal(MIG_PROFILES['A100-40GB'][0].profile, '1g.5gb');
  });

  it('time-slicing shares a GPU by the larger of memory and activity shares; activity is read per DCGM field', () => {
    // A100-80GB: 79.25 GiB. 15 GiB × 1.1 / 79.25 = 0.208; 0.2 × 1.1 = 0.22 → 1 / 0.22 = 4.5 → 4 per GPU
    const t = sizeGpu({ memoryMiB: 15 * 1024, activity: 0.2 }, { sharing: 'time-slicing', headroom: 0.1, gpuModel: 'A100-80GB' });
    assert.ok(t.kind === 'time-slicing' && t.replicasPerGpu === 4 && t.gpuShare === 0.25);
    assert.equal(sizeGpu({ memoryMiB: 15 * 1024, activity: 0.5 }, { sharing: 'time-slicing', headroom: 0.1, gpuModel: 'A100-80GB' }).kind, 'whole-gpu');
    assert.equal(sizeGpu({ memoryMiB: 1, activity: 0 }, { sharing: 'none', headroom: 0.1 }).kind, 'whole-gpu');
    assert.equal(wholeGpuActivity('DCGM_FI_DEV_GPU_UTIL', 87), 0.87);
    // 0.412 of a 3g instance is 0.412 × 3/7 of the GPU
    assert.ok(Math.abs(wholeGpuActivity('DCGM_FI_PROF_GR_ENGINE_ACTIVE', 0.412, 3) - 0.17657142857) < 1e-9);
  });

  it('policy fields layer, default, and are validated with file:line', () => {
    const ns = parsePolicyFile(
      'policies/ml.yaml',
      `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: ml }
scope: { namespace: ml }
spec:
  modelServer:
    warmupMinutes: 6
    gpuModel: A100-80GB
    sharing: mig
`,
    )[0];
    const one = parsePolicyFile(
      'policies/llm.yaml',
      `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: llm }
scope: { workload: ml/Deployment/llm-server }
spec:
  modelServer: { perReplicaThroughput: 2400 }
`,
    )[0];
    const set = new PolicySet([
      { file: 'policies/ml.yaml', policy: ns },
      { file: 'policies/llm.yaml', policy: one },
    ]);
    const m = modelServerOf(set.resolve({ namespace: 'ml', kind: 'Deployment', name: 'llm-server' }))!;
    assert.deepEqual(
      [m.warmupMinutes, m.perReplicaThroughput, m.sharing, m.queueDepthSlo, m.demandMetric],
      [6, 2400, 'mig', 4, 'vllm:generation_tokens_total'],
    );
    assert.equal(modelServerOf(DEFAULT_POLICY), undefined, 'a workload is a model server only when a policy says so');
    const bad = (spec: string): PolicyError => {
      try {
        parsePolicyFile('policies/bad.yaml', `apiVersion: foresight.dev/v1\nkind: Policy\nmetadata: { name: bad }\nspec:\n  modelServer:\n${spec}`);
      } catch (err) {
        if (err instanceof PolicyError) return err;
        throw err;
      }
      assert.fail('accepted');
    };
    assert.match(bad('    warmupMinutes: 5\n    sharing: mig\n').message, /^policies\/bad\.yaml:7: spec\.modelServer\.sharing: sharing: mig needs gpuModel/);
    assert.match(bad('    gpusPerReplica: 0\n').message, /^policies\/bad\.yaml:6: spec\.modelServer\.gpusPerReplica: /);
    assert.match(bad('    gpuModel: V100\n').message, /^policies\/bad\.yaml:6: spec\.modelServer\.gpuModel: /);
    assert.match(bad('    queueDepth: 3\n').message, /^policies\/bad\.yaml:6: spec\.modelServer: .*queueDepth/);
    assert.match(bad('    gpusPerReplica: 2\n    sharing: time-slicing\n').message, /:7: spec\.modelServer\.sharing: a replica with more than one GPU/);
  });
});
