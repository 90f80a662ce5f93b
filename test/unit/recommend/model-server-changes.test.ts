import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sizeGpu, type ReplicaPlan } from '../../../src/policy/model-server-capacity.js';
import { gpuChange, replicaChange, replicaGpus } from '../../../src/recommend/model-server-changes.js';

const GiB = 2 ** 30;
const perReplica = { cpuCores: 4, memoryBytes: 24 * GiB, gpus: 1 };
const prices = { pool: 'gpu-a100', cpuCoreHour: 0.03, memoryGibHour: 0.004, gpuHour: 3, currency: 'USD' };
const plan: ReplicaPlan = { replicas: 4, forDemand: 4, forQueue: 0, peakDemand: 9500, peakAtMs: 0, reasons: ['r'] };
const keda = { kedaMin: 2, kedaMax: 6, kedaThreshold: '8', hpaMin: null, replicas: null };

describe('model-server changes and their GPU cost', () => {
  it("raises the KEDA floor and prices the replicas' GPUs from the pool's GPU-hour price (hand-computed)", () => {
    const c = replicaChange(plan, keda, { queueDepthSlo: 8 }, perReplica, prices)!;
    assert.deepEqual(c.changes, [{ field: 'keda.minReplicaCount', current: '2', proposed: '4' }]);
    // 2 more replicas × (4 × 0.03 + 24 × 0.004 + 1 × 3) = 6.432 per hour × 730
    assert.ok(c.cost.known && Math.abs(c.cost.monthly - 6.432 * 730) < 1e-9);
    // a floor above the ceiling raises the ceiling; a new SLO moves the trigger threshold
    const high = replicaChange({ ...plan, replicas: 7 }, keda, { queueDepthSlo: 6 }, perReplica, prices)!;
    assert.deepEqual(
      high.changes.map((x) => [x.field, x.current, x.proposed]),
      [
        ['keda.minReplicaCount', '2', '7'],
        ['keda.maxReplicaCount', '6', '7'],
        ['keda.threshold', '8', '6'],
      ],
    );
    // no KEDA: the HPA floor; nothing in force differs: no change
    const hpa = replicaChange(plan, { ...keda, kedaMin: null, kedaMax: null, kedaThreshold: null, hpaMin: 3 }, { queueDepthSlo: 8 }, perReplica, prices)!;
    assert.deepEqual(hpa.changes, [{ field: 'minReplicas', current: '3', proposed: '4' }]);
    assert.equal(replicaChange({ ...plan, replicas: 2 }, keda, { queueDepthSlo: 8 }, perReplica, prices), undefined);
  });

  it('a MIG slice gives back the rest of the GPU; time-slicing shares it; a missing GPU-hour price is unknown, never 0', () => {
    const mig = sizeGpu({ memoryMiB: 30 * 1024, activity: 0.3 }, { sharing: 'mig', headroom: 0.1, gpuModel: 'A100-80GB' });
    assert.equal(mig.kind === 'mig' && mig.profile.profile, '3g.40gb');
    const c = gpuChange(mig, 4, 1, prices)!;
    assert.deepEqual(
      c.changes.map((x) => [x.field, x.proposed]),
      [
        ['requests.nvidia.com/mig-3g.40gb', '1'],
        ['limits.nvidia.com/mig-3g.40gb', '1'],
        ['requests.nvidia.com/gpu', '0'],
        ['limits.nvidia.com/gpu', '0'],
      ],
    );
    // 4 replicas × 1 GPU × (3/7 − 1) × 3 per GPU-hour × 730
    assert.ok(c.cost.known && Math.abs(c.cost.monthly - 4 * (3 / 7 - 1) * 3 * 730) < 1e-9);
    const ts = sizeGpu({ memoryMiB: 15 * 1024, activity: 0.2 }, { sharing: 'time-slicing', headroom: 0.1, gpuModel: 'A100-80GB' });
    const t = gpuChange(ts, 4, 1, prices)!;
    assert.deepEqual(t.changes, [{ field: 'nodeSelector.nvidia.com/gpu.sharing-strategy', current: null, proposed: 'time-slicing' }]);
    assert.ok(t.cost.known && Math.abs(t.cost.monthly - 4 * (0.25 - 1) * 3 * 730) < 1e-9);
    const unpriced = gpuChange(mig, 4, 1, { pool: 'gpu-a100', cpuCoreHour: 0.03, period: '2026-11' })!;
    assert.deepEqual(unpriced.cost, { known: false, reason: 'cost unknown: no gpu-hour price for pool gpu-a100 in 2026-11', pool: 'gpu-a100' });
    assert.equal(
      gpuChange(sizeGpu({ memoryMiB: 70 * 1024, activity: 0.9 }, { sharing: 'mig', headroom: 0.1, gpuModel: 'A100-80GB' }), 4, 1, prices),
      undefined,
    );
  });

  it("counts a replica's GPUs from the manifest's nvidia.com/gpu request; the policy's gpusPerReplica fills in only without a manifest (hand-computed)", () => {
    const mig = sizeGpu({ memoryMiB: 30 * 1024, activity: 0.3 }, { sharing: 'mig', headroom: 0.1, gpuModel: 'A100-80GB' });
    // no manifest read: the policy's count (1), priced 4 replicas × 1 GPU × (3/7 − 1) × 3 per GPU-hour × 730 = −5005.714…
    const fromPolicy = gpuChange(mig, 4, replicaGpus(undefined, 1)!, prices)!;
    assert.ok(fromPolicy.cost.known && Math.abs(fromPolicy.cost.monthly - -5005.714285714285) < 1e-6);
    assert.deepEqual(fromPolicy.changes[2], { field: 'requests.nvidia.com/gpu', current: '1', proposed: '0' });
    // the manifest requests 2 GPUs a replica, the policy says nothing (default 1): the replica keeps its 2 GPUs,
    // not a MIG slice priced as if it had held 1 (−5005.71 a month that would never have been saved)
    assert.equal(replicaGpus('2', 1), 2);
    assert.equal(gpuChange(mig, 4, replicaGpus('2', 1)!, prices), undefined);
    // the manifest requests no GPU: nothing to share, whatever the policy says
    assert.equal(replicaGpus(null, 1), null);
  });
});
