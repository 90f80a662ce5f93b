/** What an outcome measures per kind of change (measures.ts), on hand-computed cases, and the figures the one engine gives from them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldChange } from '../../../src/codec/generated-types.js';
import { verdictOf, windowFigures, type Held } from '../../../src/outcomes/figures.js';
import { measureOf, type Holding, type MeasureFacts } from '../../../src/outcomes/measures.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';

const GiB = 2 ** 30;
const S = 300_000;
const policy: ResolvedPolicy = {
  ...structuredClone(DEFAULT_POLICY),
  replicas: { ...DEFAULT_POLICY.replicas, perReplicaCapacity: 2, targetUtilization: 0.5, metric: 'cpu_usage', nodePool: 'general' },
  spot: { ...DEFAULT_POLICY.spot, nodePool: 'spot-pool' },
};
const facts = (over: Partial<MeasureFacts> = {}): MeasureFacts => ({
  policy,
  series: { metric: 'cpu_usage', container: null },
  replicas: 3,
  perReplica: { cpuCores: 0.5, memoryBytes: GiB, gpus: 0 },
  pool: 'general',
  ...over,
});
const change = (field: string, current: string | null, proposed: string): FieldChange => ({ field, current, proposed });
// one hour of 0.1 per CPU core-hour and 0.01 per GiB-hour; 2 per GPU-hour
const price = (h: Holding): number | null => (h.resources ? h.resources.cpuCores * 0.1 + (h.resources.memoryBytes / GiB) * 0.01 + h.resources.gpus * 2 : null);
const close = (a: number | null | undefined, b: number): void => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);
const held = (h: Holding): Held => ({ capacity: h.capacity, amount: h.amount, hourlyCost: price(h) });

describe('what an outcome measures per kind of change', () => {
  it('HPA and IDLE: the workload demand against replicas × usable capacity, replica-hours, replicas × requests', () => {
    const m = measureOf({ type: 'IDLE', container: null, changes: [change('minReplicas', '4', '1')], rules: [] }, facts())!;
    assert.equal(m.what, 'cpu_usage against minReplicas × 1 per replica');
    assert.deepEqual([m.metric, m.container, m.counter, m.calibrates], ['cpu_usage', null, false, true]);
    assert.deepEqual(m.before, { capacity: 4, amount: 4, resources: { cpuCores: 2, memoryBytes: 4 * GiB, gpus: 0 }, pool: 'general' });
    assert.deepEqual(m.after, { capacity: 1, amount: 1, resources: { cpuCores: 0.5, memoryBytes: GiB, gpus: 0 }, pool: 'general' });
    // an hour each: idle demand 0.2 → the after window is 4× cheaper, and still never under-provisioned
    const before = windowFigures(Array(12).fill(0.2), 0, 12 * S, held(m.before));
    const after = windowFigures(Array(12).fill(0.2), 12 * S, 24 * S, held(m.after));
    close(before.cost, 4 * (0.5 * 0.1 + 0.01)); // 0.24 an hour
    assert.ok(Math.abs(after.cost! - 0.06) < 1e-12);
    assert.equal(after.underProvisionedShare, 0);
    close(after.meanSlack, 0.8); // (1 − 0.2) / 1
    assert.equal(verdictOf(before, after, 0.01).verdict, 'saved');
  });

  it('SPOT: the same replicas, priced in the workload pool before and the spot pool after', () => {
    const m = measureOf(
      { type: 'SPOT', container: null, changes: [change('nodeSelector.capacity', null, 'spot')], rules: [] },
      facts({ poolAfter: 'spot-pool' }),
    )!;
    assert.equal(m.what, 'cpu_usage against replicas in force × 1 per replica');
    assert.equal(m.before.capacity, 3);
    assert.equal(m.after.capacity, 3);
    assert.deepEqual([m.before.pool, m.after.pool], ['general', 'spot-pool']);
    assert.deepEqual(m.before.resources, m.after.resources);
    // the pool named by the policy when the change did not record it
    assert.equal(measureOf({ type: 'SPOT', container: null, changes: [], rules: [] }, facts())!.after.pool, 'spot-pool');
  });

  it("RESOURCES: a container's usage per replica against its request; core-hours of request × replicas; the changed requests priced", () => {
    const c = { type: 'RESOURCES' as const, container: 'app', rules: [] };
    const m = measureOf(
      { ...c, changes: [change('requests.cpu', '1', '250m'), change('requests.memory', '2Gi', '1Gi'), change('limits.memory', '4Gi', '1280Mi')] },
      facts({ series: { metric: 'container_cpu', container: 'app' } }),
    )!;
    assert.equal(m.what, 'cpu_usage of container app per replica against requests.cpu; memory_usage against requests.memory');
    assert.deepEqual(m.secondary, { metric: policy.resources.memoryMetric }); // CPU and memory both moved: memory judged beside
    assert.deepEqual([m.metric, m.container, m.calibrates], [policy.resources.cpuMetric, 'app', false]);
    assert.deepEqual(m.before, { secondaryLimit: 2 * GiB, capacity: 1, amount: 3, resources: { cpuCores: 3, memoryBytes: 6 * GiB, gpus: 0 }, pool: 'general' });
    assert.deepEqual(m.after, {
      secondaryLimit: GiB,
      capacity: 0.25,
      amount: 0.75,
      resources: { cpuCores: 0.75, memoryBytes: 3 * GiB, gpus: 0 },
      pool: 'general',
    });
    // usage 0.2 per replica, one step at 0.3 of 12: under the new request 1 step in 12
    const usage = [...Array(11).fill(0.2), 0.3];
    const after = windowFigures(usage, 0, 12 * S, held(m.after));
    assert.equal(after.underProvisionedShare, 1 / 12);
    assert.equal(after.capacityHours, 0.75); // 0.25 cores × 3 replicas × 1 h
    assert.ok(Math.abs(after.cost! - (0.75 * 0.1 + 3 * 0.01)) < 1e-12);
    assert.ok(Math.abs(after.meanSlack! - (11 * 0.2 + -0.2) / 12) < 1e-12); // (0.25 − 0.2)/0.25 = 0.2 eleven times, (0.25 − 0.3)/0.25 once
    // memory per replica over the new 1 GiB request at steps 3 and 12: step 3 is under-provisioned too (step 12 already was)
    const memory = [0.5, 0.5, 1.5, ...Array(8).fill(0.5), 1.2].map((g) => g * GiB);
    const both = windowFigures(usage, 0, 12 * S, held(m.after), { values: memory, limit: m.after.secondaryLimit! });
    close(both.underProvisionedShare, 2 / 12);
    close(both.secondaryOverShare, 2 / 12);
    // a memory-only change is judged on the memory series, in GiB-hours; a request not in the manifests is not priced
    const mem = measureOf({ ...c, changes: [change('requests.memory', null, '1Gi')] }, facts())!;
    assert.deepEqual([mem.metric, mem.after.capacity, mem.after.amount], [policy.resources.memoryMetric, GiB, 3]);
    assert.equal(mem.before.capacity, null);
    assert.match(mem.before.unpriced ?? '', /current requests are not in the GitOps repository/);
  });

  it("model servers: the demand counter's rate against replicas × the policy's throughput, in the GPU pool; a MIG slice priced by its share", () => {
    const server = { ...policy, modelServer: { perReplicaThroughput: 500, gpuPool: 'a100' } };
    const f = facts({
      policy: server,
      series: { metric: 'vllm:generation_tokens_total', container: 'vllm' },
      replicas: 2,
      perReplica: { cpuCores: 4, memoryBytes: 0, gpus: 1 },
    });
    const hpa = measureOf({ type: 'HPA', container: null, changes: [change('keda.minReplicaCount', '2', '3')], rules: ['model-server'] }, f)!;
    assert.equal(
      hpa.what,
      'rate(vllm:generation_tokens_total) against keda.minReplicaCount × 500/s per replica; vllm:num_requests_waiting against its SLO of 4 per replica',
    );
    assert.deepEqual(hpa.secondary, { metric: 'vllm:num_requests_waiting' });
    assert.deepEqual([hpa.counter, hpa.calibrates, hpa.container], [true, false, 'vllm']);
    assert.deepEqual(hpa.after, { capacity: 1500, amount: 3, secondaryLimit: 12, resources: { cpuCores: 12, memoryBytes: 0, gpus: 3 }, pool: 'a100' });
    const mig = measureOf(
      {
        type: 'RESOURCES',
        container: 'vllm',
        changes: [change('requests.nvidia.com/gpu', '1', '0'), change('requests.nvidia.com/mig-3g.20gb', null, '1')],
        rules: ['model-server'],
      },
      f,
    )!;
    assert.equal(mig.before.resources!.gpus, 2);
    assert.ok(Math.abs(mig.after.resources!.gpus - (2 * 3) / 7) < 1e-12); // 3 of 7 compute slices per replica
    assert.equal(mig.after.capacity, 1000);
    // without a throughput in the policy: the capacity is unknown, so under-provisioning is not judged
    const learnt = measureOf(
      { type: 'HPA', container: null, changes: [change('replicas', '1', '2')], rules: ['model-server'] },
      facts({ policy: { ...policy, modelServer: {} } }),
    )!;
    assert.equal(learnt.after.capacity, null);
  });

  it('a kind that holds no capacity (BUDGET) has no measure', () => {
    assert.equal(measureOf({ type: 'BUDGET', container: null, changes: [], rules: [] }, facts()), undefined);
  });
});
