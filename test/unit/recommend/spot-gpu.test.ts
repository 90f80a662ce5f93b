/**
 * Spot GPU pools for model servers (issue 15): the policy's allowance and its validation, the
 * rule that keeps a server off spot while an interruption would cost it serving, the price of
 * the move from billing rows (hand-computed), and GPU-hour prices per pool and GPU model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gpuModelOfName } from '../../../src/policy/mig-profiles.js';
import { spotGpuOf, spotGpuRule } from '../../../src/policy/model-server-capacity.js';
import { parsePolicyFile, PolicyError } from '../../../src/policy/policy-loader.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { movePoolCostDelta } from '../../../src/money/cost-model.js';
import { gpuChange, replicaChange } from '../../../src/recommend/model-server-changes.js';
import { sizeGpu } from '../../../src/policy/model-server-capacity.js';
import { costIncrements, gpuModelOf } from '../../../src/windows/billing.js';
import { focusRow } from '../../helpers/billing.js';

const GiB = 2 ** 30;
const perReplica = { cpuCores: 4, memoryBytes: 24 * GiB, gpus: 1 };
// on-demand and spot unit prices of a GPU pool (made-up round figures; the test checks the arithmetic)
const onDemand = { pool: 'gpu-a100', cpuCoreHour: 0.03, memoryGibHour: 0.004, gpuHour: 3, currency: 'USD' };
const spotPrices = { pool: 'gpu-a100-spot', cpuCoreHour: 0.012, memoryGibHour: 0.0016, gpuHour: 1.2, currency: 'USD' };

const withSpot = (spot: NonNullable<ResolvedPolicy['modelServer']>['spot']): ResolvedPolicy => ({ ...DEFAULT_POLICY, modelServer: { spot } });

function policyError(spot: string): PolicyError {
  try {
    parsePolicyFile('policies/ml.yaml', `apiVersion: foresight.dev/v1\nkind: Policy\nmetadata: { name: ml }\nspec:\n  modelServer:\n    spot:\n${spot}`);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  assert.fail('accepted');
}

describe('spot GPU pools for model servers', () => {
  it('are allowed only by the policy: allowed with a pool, defaults filled, bad values refused with file:line', () => {
    assert.equal(spotGpuOf(DEFAULT_POLICY), undefined, 'no modelServer.spot: no spot');
    assert.equal(spotGpuOf(withSpot({ nodePool: 'gpu-a100-spot' })), undefined, 'a pool alone does not allow it');
    assert.equal(spotGpuOf(withSpot({ allowed: false, nodePool: 'gpu-a100-spot' })), undefined);
    assert.deepEqual(spotGpuOf(withSpot({ allowed: true, nodePool: 'gpu-a100-spot' })), {
      nodePool: 'gpu-a100-spot',
      nodeSelector: { 'karpenter.sh/capacity-type': 'spot' }, // the policy's spot.nodeSelector
      minReplicas: 2,
    });
    assert.deepEqual(spotGpuOf(withSpot({ allowed: true, nodePool: 'p', nodeSelector: { 'node-pool': 'p' }, minReplicas: 3 })), {
      nodePool: 'p',
      nodeSelector: { 'node-pool': 'p' },
      minReplicas: 3,
    });
    assert.match(policyError('      allowed: true\n').message, /^policies\/ml\.yaml:7: spec\.modelServer\.spot\.allowed: allowed: true needs nodePool/);
    assert.match(
      policyError('      allowed: true\n      nodePool: p\n      minReplicas: 1\n').message,
      /^policies\/ml\.yaml:9: spec\.modelServer\.spot\.minReplicas: /,
    );
    assert.match(policyError('      allowed: "yes"\n').message, /^policies\/ml\.yaml:7: spec\.modelServer\.spot\.allowed: /);
    assert.match(policyError('      pool: p\n').message, /^policies\/ml\.yaml:7: spec\.modelServer\.spot: .*pool/);
  });

  it('move a server only while one replica fewer still serves the forecast peak, never a single replica (hand-computed)', () => {
    const spot = { minReplicas: 2 };
    // one replica: an interruption stops all serving, whatever the throughput
    const one = spotGpuRule({ replicas: 1, throughput: 10_000, peakDemand: 100, spot });
    assert.equal(one.move, false);
    // 3 replicas of 600 tokens/s: one interrupted leaves 2 × 600 = 1200 ≥ 1200 → move; 1200.5 → stay
    assert.deepEqual(spotGpuRule({ replicas: 3, throughput: 600, peakDemand: 1200, spot }), {
      move: true,
      reasons: ['spot-gpu: 3 replicas ≥ 2; one interrupted leaves 2 × 600/s ≥ forecast peak 1200/s'],
    });
    assert.deepEqual(spotGpuRule({ replicas: 3, throughput: 600, peakDemand: 1200.5, spot }), {
      move: false,
      reason: 'one replica interrupted leaves 2 × 600/s = 1200/s < forecast peak 1200.5/s',
    });
    // the policy may ask for more replicas; without a throughput only the count is checked
    assert.equal(spotGpuRule({ replicas: 3, throughput: 600, peakDemand: 100, spot: { minReplicas: 4 } }).move, false);
    assert.equal(spotGpuRule({ replicas: 2, throughput: undefined, peakDemand: 1e9, spot }).move, true);
  });

  it('price the move from the two pools’ unit prices, GPU-hours included, and say why when a price is missing (hand-computed)', () => {
    // per replica an hour: on-demand 4 × 0.03 + 24 × 0.004 + 1 × 3 = 3.216; spot 4 × 0.012 + 24 × 0.0016 + 1 × 1.2 = 1.2864
    const c = movePoolCostDelta(perReplica, 3, onDemand, spotPrices);
    assert.ok(c.known);
    assert.ok(Math.abs(c.monthly - 3 * (1.2864 - 3.216) * 730) < 1e-9, String(c.monthly)); // −4225.824 a month
    assert.equal(c.pool, 'gpu-a100');
    const noGpuPrice = movePoolCostDelta(perReplica, 3, onDemand, { ...spotPrices, gpuHour: undefined, period: '2026-11' });
    assert.deepEqual(noGpuPrice, { known: false, reason: 'cost unknown: no gpu-hour price for pool gpu-a100-spot in 2026-11', pool: 'gpu-a100' });
    // every other projected GPU cost reads the same GPU-hour price: replicas and a MIG slice
    const more = replicaChange(
      { replicas: 4, forDemand: 4, forQueue: 0, peakDemand: 0, peakAtMs: 0, reasons: [] },
      { kedaMin: 3, kedaMax: 6, kedaThreshold: '8', hpaMin: null, replicas: null },
      { queueDepthSlo: 8 },
      perReplica,
      onDemand,
    )!;
    assert.ok(more.cost.known && Math.abs(more.cost.monthly - 3.216 * 730) < 1e-9);
    const mig = gpuChange(sizeGpu({ memoryMiB: 16 * 1024, activity: 0.1 }, { sharing: 'mig', headroom: 0.1, gpuModel: 'A100-80GB' }), 3, 1, onDemand)!;
    // 16 GiB × 1.1 = 17.6 GiB, 11% of the compute: 1g.20gb; 3 replicas × (1/7 − 1) GPU × 3 per GPU-hour × 730
    assert.ok(mig.cost.known && Math.abs(mig.cost.monthly - 3 * (1 / 7 - 1) * 3 * 730) < 1e-9);
  });

  it('read GPU-hour prices per pool and per pool and GPU model from FOCUS rows', () => {
    assert.equal(gpuModelOfName('NVIDIA-A100-SXM4-80GB'), 'A100-80GB');
    assert.equal(gpuModelOfName('nvidia-tesla-a100'), 'A100-40GB');
    assert.equal(gpuModelOfName('Nvidia H100 80GB GPU running in Americas'), 'H100-80GB');
    assert.equal(gpuModelOfName('nvidia-l4'), undefined);
    const start = Date.UTC(2026, 10, 27, 10);
    const a100 = focusRow({ start, unit: 'GPU-Hours', quantity: 2, cost: 7, pool: 'gpu', tags: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' } });
    assert.equal(gpuModelOf(a100), 'A100-80GB');
    const prices = (rows: ReturnType<typeof focusRow>[]): [string, string, number][] =>
      rows
        .flatMap(costIncrements)
        .flatMap((i) =>
          i.hash.startsWith('price:') && ['cost', 'quantity'].includes(i.field) ? [[i.hash, i.field, i.delta] as [string, string, number]] : [],
        );
    assert.deepEqual(prices([a100]), [
      ['price:gpu:gpu-hour:202611', 'cost', 7],
      ['price:gpu:gpu-hour:202611', 'quantity', 2],
      ['price:gpu/A100-80GB:gpu-hour:202611', 'cost', 7],
      ['price:gpu/A100-80GB:gpu-hour:202611', 'quantity', 2],
    ]);
    // the model from the SKU description when no tag names it; CPU rows have no model key
    const h100 = {
      ...focusRow({ start, unit: 'GPU-Hours', quantity: 1, cost: 9, pool: 'gpu' }),
      ChargeDescription: 'Nvidia H100 80GB GPU running in Americas',
    };
    assert.deepEqual(
      prices([h100]).map((p) => p[0]),
      ['price:gpu:gpu-hour:202611', 'price:gpu:gpu-hour:202611', 'price:gpu/H100-80GB:gpu-hour:202611', 'price:gpu/H100-80GB:gpu-hour:202611'],
    );
    assert.deepEqual(
      prices([focusRow({ start, unit: 'vCPU-Hours', quantity: 8, cost: 0.24, pool: 'gpu', tags: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' } })]).map(
        (p) => p[0],
      ),
      ['price:gpu:cpu-core-hour:202611', 'price:gpu:cpu-core-hour:202611'],
    );
  });
});
