/**
 * Test data placed relative to the wall clock, made independent of the date: a test that counts
 * what happens once per budget period (a UTC month) breaks when its data straddles a month start.
 */
const HOUR = 3_600_000;

/**
 * The latest whole hour at or before `nowMs` such that the `spanMs` before it lie in the same UTC
 * month as it: the hour of `nowMs` itself, except in the first `spanMs` of a month, where it is the
 * last hour of the month before (a budget test run at 02:00 UTC on the 1st would otherwise see
 * two periods, and two budget reports).
 */
export function lastHourInOneMonth(nowMs: number, spanMs: number): number {
  const end = Math.floor(nowMs / HOUR) * HOUR;
  const d = new Date(end);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return end - spanMs >= monthStart ? end : monthStart - HOUR;
}
