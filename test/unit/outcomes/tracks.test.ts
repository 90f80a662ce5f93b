/**
 * Which track a published change is followed on (tracker.ts): one per kind and following series, the HPA one under the legacy field names.
 * A workload's series land on different partitions (metrics.v1 is keyed by series), and all of them write the workload's outcome hash
 * rec:{<workload>}:outcome through the batch state, which sends only the fields each changed: that is sound while every field has one
 * writing series. Pinned here: no two series publish onto one track (pending:<track>, inForce:<track>), and the changes whose outcome
 * recalibrates (calm in that hash, tighten in rec:{<workload>}) are published by the workload's replicas demand series only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutcomeTracker } from '../../../src/outcomes/tracker.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { parseSeriesId } from '../../../src/codec/series-id.js';
import { measureOf } from '../../../src/outcomes/measures.js';

const workload = { id: parseSeriesId('c/shop/Deployment/web/-/cpu_usage')!, policy: DEFAULT_POLICY };
const container = { id: parseSeriesId('c/shop/Deployment/web/app/cpu_usage')!, policy: DEFAULT_POLICY };
const server = { id: parseSeriesId('c/ml/Deployment/llm/vllm/vllm:generation_tokens_total')!, policy: DEFAULT_POLICY };

describe('outcome tracks', () => {
  it('names one track per kind and series; an HPA change on the workload demand keeps the plain field names', () => {
    assert.equal(OutcomeTracker.trackOf({ type: 'HPA', rules: [] }, workload), '');
    assert.equal(OutcomeTracker.trackOf({ type: 'IDLE', rules: [] }, workload), 'IDLE:cpu_usage:-');
    assert.equal(OutcomeTracker.trackOf({ type: 'SPOT', rules: [] }, workload), 'SPOT:cpu_usage:-');
    assert.equal(OutcomeTracker.trackOf({ type: 'RESOURCES', rules: [] }, container), 'RESOURCES:cpu_usage:app');
    // a model server's replica change is not the workload's HPA track, even on the same workload
    assert.equal(OutcomeTracker.trackOf({ type: 'HPA', rules: ['model-server'] }, server), 'HPA:vllm:generation_tokens_total:vllm');
  });

  it('every track of a workload has one publishing series, and only its replicas demand series publishes changes that recalibrate', () => {
    const policy = { ...DEFAULT_POLICY, modelServer: { perReplicaThroughput: 500, gpuPool: 'a100' } } as typeof DEFAULT_POLICY;
    const of = (seriesId: string) => ({ id: parseSeriesId(seriesId)!, policy });
    const demand = of('c/ml/Deployment/llm/-/cpu_usage'); // policy.replicas.metric, no container
    // what each series of one workload publishes (recommend/loop.ts): the rules each recommender writes
    const publishers = [
      {
        s: demand,
        changes: [
          ['HPA', []],
          ['IDLE', []],
          ['SPOT', []],
        ],
      },
      { s: of('c/ml/Deployment/llm/vllm/cpu_usage'), changes: [['RESOURCES', []]] },
      { s: of('c/ml/Deployment/llm/sidecar/cpu_usage'), changes: [['RESOURCES', []]] },
      {
        s: of('c/ml/Deployment/llm/vllm/vllm:generation_tokens_total'),
        changes: [
          ['HPA', ['model-server']],
          ['RESOURCES', ['model-server']],
          ['SPOT', ['model-server']],
        ],
      },
    ] as const;
    const writers = new Map<string, string>();
    let recalibrating = 0;
    const fields: Record<string, [string, string]> = {
      HPA: ['minReplicas', 'keda.minReplicaCount'],
      IDLE: ['minReplicas', 'minReplicas'],
      SPOT: ['nodeSelector.node-pool', ''],
      RESOURCES: ['requests.cpu', ''],
    };
    for (const { s, changes } of publishers) {
      for (const [type, rules] of changes) {
        const track = OutcomeTracker.trackOf({ type, rules: [...rules] }, s);
        const seriesId = `${s.id.container ?? '-'}/${s.id.metric}`;
        assert.ok(!writers.has(track) || writers.get(track) === seriesId, `track "${track}" published by ${writers.get(track)} and ${seriesId}`);
        writers.set(track, seriesId);
        const field = rules.length > 0 && type === 'HPA' ? fields.HPA[1] : fields[type][0];
        const m = measureOf(
          { type, container: s.id.container, changes: [{ field, current: '2', proposed: '1' }], rules: [...rules] },
          { policy, series: s.id, replicas: 2, perReplica: { cpuCores: 1, memoryBytes: 2 ** 30, gpus: 1 }, pool: 'general' },
        );
        if (m?.calibrates) recalibrating++;
        if (m?.calibrates) assert.equal(s, demand, `${type} [${rules.join(',')}] of ${seriesId} recalibrates: only the replicas demand series may`);
      }
    }
    assert.equal(writers.size, 8);
    assert.equal(recalibrating, 3, "the demand series' HPA, IDLE and SPOT recalibrate");
  });
});
