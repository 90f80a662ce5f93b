/**
 * lastHourInOneMonth at the clock times that broke month-bound tests: the first hours of a month,
 * the turn of a year, the end of February, and an ordinary hour (unchanged).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastHourInOneMonth } from '../../helpers/clock.js';
import { periodOf } from '../../../src/policy/budgets.js';

const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('lastHourInOneMonth', () => {
  it('keeps the current hour when the span lies in its month', () => {
    assert.equal(iso(lastHourInOneMonth(Date.UTC(2026, 10, 29, 16, 42, 7), 6 * HOUR)), '2026-11-29T16:00:00.000Z');
    // exactly the span after the month start: the first point is the month start itself
    assert.equal(iso(lastHourInOneMonth(Date.UTC(2026, 11, 1, 6, 59), 6 * HOUR)), '2026-12-01T06:00:00.000Z');
    assert.equal(iso(lastHourInOneMonth(Date.UTC(2026, 10, 30, 23, 59, 59), 6 * HOUR)), '2026-11-30T23:00:00.000Z');
  });

  it('with a span of one hour, never the first hour of a month (the report test: some cost hours in its month)', () => {
    assert.equal(iso(lastHourInOneMonth(Date.UTC(2026, 11, 1, 0, 30), HOUR)), '2026-11-30T23:00:00.000Z');
    assert.equal(iso(lastHourInOneMonth(Date.UTC(2026, 11, 1, 1, 30), HOUR)), '2026-12-01T01:00:00.000Z');
  });

  it('moves to the last hour of the month before in the first hours of a month', () => {
    for (const [now, want] of [
      [Date.UTC(2026, 11, 1, 0, 0), '2026-11-30T23:00:00.000Z'], // midnight on the 1st
      [Date.UTC(2026, 11, 1, 2, 30), '2026-11-30T23:00:00.000Z'],
      [Date.UTC(2026, 11, 1, 5, 59), '2026-11-30T23:00:00.000Z'],
      [Date.UTC(2027, 0, 1, 3, 0), '2026-12-31T23:00:00.000Z'], // the turn of a year
      [Date.UTC(2028, 2, 1, 1, 0), '2028-02-29T23:00:00.000Z'], // a leap February
    ] as const) {
      const end = lastHourInOneMonth(now, 6 * HOUR);
      assert.equal(iso(end), want, iso(now));
      // every hour of the span, the end included, is in one budget period
      const periods = new Set(Array.from({ length: 7 }, (_, i) => periodOf(end - i * HOUR)));
      assert.equal(periods.size, 1, `${iso(now)}: ${[...periods].join(', ')}`);
    }
  });
});
