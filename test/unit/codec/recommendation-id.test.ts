import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recommendationId } from '../../../src/codec/recommendation-id.js';

// ids are what replays and downstream de-duplication rely on: these were given by the first implementation (a rounded copy, then JSON.stringify)
describe('recommendation ids', () => {
  it('stay the same for the same content: keys sorted, numbers to 4 significant digits, non-finite numbers as strings, undefined left out', () => {
    const hpa = {
      workload: 'bench/Deployment/w1',
      type: 'HPA',
      changes: [
        { field: 'minReplicas', current: '2', proposed: '3' },
        { field: 'maxReplicas', current: null, proposed: '10' },
      ],
      forecast: { metric: 'cpu_usage', horizonSeconds: 3600, q50: 1.23456789, q90: 2.5, q99: 1e-7, quantileUsed: 0.99, peakTime: null },
      modelVersion: 'v1',
    };
    assert.equal(recommendationId(hpa), 'ba03f6c1f4b905435dc548db7f426789');
    // float noise below the 4th digit and the order of keys do not matter
    assert.equal(recommendationId({ ...hpa, forecast: { ...hpa.forecast, q50: 1.2346, metric: 'cpu_usage' } }), 'ba03f6c1f4b905435dc548db7f426789');
    assert.notEqual(recommendationId({ ...hpa, forecast: { ...hpa.forecast, q50: 1.236 } }), 'ba03f6c1f4b905435dc548db7f426789');
    assert.equal(
      recommendationId({ workload: 'team:x', type: 'BUDGET', changes: ['2026-11', 1234.5678], forecast: {}, modelVersion: 'm' }),
      'ec7c52c341b04d22206b1f0441af0123',
    );
    const odd = { at: 1764400000000, nan: NaN, inf: -Infinity, neg: -0, u: undefined, b: true, arr: [undefined, 1 / 3, 'x'] };
    assert.equal(
      recommendationId({ workload: 's"\u00e9\n', type: 'ALERT', changes: [], forecast: odd, modelVersion: 'v' }),
      '444d2b53259764f5c66383a41e9b1340',
    );
  });
});
