import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryCache, MAX_IDLE_MS, SWEEP_EVERY_MS, type KeptHistory } from '../../../src/recommend/history-cache.js';

const STEP = 300_000;
const kept = (endMs: number): KeptHistory => ({
  endMs,
  five: new Float64Array(4),
  hoursEndMs: endMs - (endMs % 3_600_000),
  hourMean: new Float64Array(2),
  hourMin: new Float64Array(2),
  hourMax: new Float64Array(2),
});
const a = { topic: 'metrics', partition: 0 };
const b = { topic: 'metrics', partition: 1 };

test('history cache: a series not scored for longer than MAX_IDLE_MS of event time is dropped; the others stay', () => {
  const cache = new HistoryCache(600_000);
  const t0 = 1_800_000_000_000 - (1_800_000_000_000 % 3_600_000);
  cache.set(a, 'stopped', kept(t0));
  cache.set(b, 'stopped-too', kept(t0 + STEP));
  // 'live' is scored every step for 7 hours: the others fall behind by more than the bound
  for (let t = t0; t <= t0 + MAX_IDLE_MS + SWEEP_EVERY_MS; t += STEP) cache.set(a, 'live', kept(t));
  assert.equal(cache.get(a, 'stopped'), undefined);
  assert.equal(cache.get(b, 'stopped-too'), undefined);
  assert.equal(cache.get(a, 'live')?.endMs, t0 + MAX_IDLE_MS + SWEEP_EVERY_MS);
  assert.equal(cache.series, 1);
  // a series scored within the bound stays: behind by less than MAX_IDLE_MS at every sweep
  const now = t0 + MAX_IDLE_MS + SWEEP_EVERY_MS;
  cache.set(b, 'recent', kept(now + SWEEP_EVERY_MS - MAX_IDLE_MS + STEP));
  for (let t = now + STEP; t <= now + SWEEP_EVERY_MS; t += STEP) cache.set(a, 'live', kept(t));
  assert.ok(cache.get(b, 'recent'));
  assert.equal(cache.series, 2);
  // a stopped series that comes back is kept again (its step read whole by the caller)
  cache.set(a, 'stopped', kept(now + SWEEP_EVERY_MS));
  assert.equal(cache.series, 3);
});

test('history cache: past the most series kept it starts over', () => {
  const cache = new HistoryCache(600_000, 3);
  for (const s of ['s1', 's2', 's3']) cache.set(a, s, kept(STEP));
  assert.equal(cache.series, 3);
  cache.set(a, 's1', kept(2 * STEP)); // replacing a kept series adds none
  assert.equal(cache.series, 3);
  cache.set(b, 's4', kept(2 * STEP));
  assert.equal(cache.series, 1);
  assert.equal(cache.get(a, 's2'), undefined);
  assert.ok(cache.get(b, 's4'));
});
