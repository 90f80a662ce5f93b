import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { recommendationId } from '../../../src/codec/recommendation-id.js';

// ids are what replays and downstream de-duplication rely on: these were given by the first implementation (a rounded copy, then JSON.stringify)
describe('recommendation ids', () => {
  it('stay the same for the same content: keys sorted, fractions to 4 significant digits, non-finite numbers as strings, undefined left out', () => {
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
      // changed when integers became exact (the event time 1764400000000 was read as 1.764e12)
      '8aca3ee092f391590ebf8e79a5d4c0c7',
    );
  });

  it('sort keys as Array.prototype.sort does (UTF-16 code units: digits, capitals, underscore, lower case, accents; integer-like keys as strings)', () => {
    const keys = ['b', 'B', 'a', 'ab', '\u00e9', '_', '10', '9', 'Z', 'aa', 'a_'];
    const forecast = Object.fromEntries(keys.map((k, i) => [k, i]));
    const parts = { workload: 'w', type: 'HPA', changes: [], forecast, modelVersion: 'v' };
    const sorted = (v: unknown): unknown =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
    // integer-like keys come first in Object.keys whatever the order: the text is built by hand in the sorted order
    const text = `{${Object.keys(parts)
      .sort()
      .map(
        (k) =>
          `${JSON.stringify(k)}:${
            k === 'forecast'
              ? `{${Object.keys(forecast)
                  .sort()
                  .map((f) => `${JSON.stringify(f)}:${forecast[f]}`)
                  .join(',')}}`
              : JSON.stringify(sorted(parts[k as keyof typeof parts]))
          }`,
      )
      .join(',')}}`;
    assert.equal(recommendationId(parts), crypto.createHash('sha256').update(text).digest('hex').slice(0, 32));
  });

  it('differ for decisions at different steps, even when every value is equal to 4 digits', () => {
    const step = 1_764_400_000_000;
    // an alert 5 minutes later, and one 3 days later, of the same series (read alike when integers were rounded)
    const alert = (at: number): string => recommendationId({ workload: 'w', type: 'ALERT', changes: [], forecast: { at }, modelVersion: 'a' });
    assert.notEqual(alert(step), alert(step + 300_000));
    assert.notEqual(alert(step), alert(step + 3 * 86_400_000));
    // a capped raise repeated 2.5 hours later with the same changes and a forecast equal to 4 digits (seen on the real stack)
    const capped = (at: number, q50: number): string =>
      recommendationId({
        workload: 'tight/Deployment/w',
        type: 'HPA',
        changes: [{ field: 'minReplicas', current: '1', proposed: '1' }],
        forecast: { q50 },
        modelVersion: 'm',
        at,
      });
    assert.notEqual(capped(step, 2.27395), capped(step + 9_000_000, 2.27357));
    assert.equal(capped(step, 2.27395), capped(step, 2.27401), 'the same step and float noise: the same id');
  });
});
