/**
 * Daily peaks, so that a known event can be declared `like` a past day (policies/events.yaml:
 * `like: 2025-11-28`): how much busier than usual the workload was on that day is the raise
 * expected for the coming event.
 *
 *   daily peak of day d   = the largest hourly mean of its UTC clock hours (the hour buckets'
 *                           means, the forecaster's weekly context; hours without events skipped)
 *   usual peak before d   = the median of the daily peaks known in the BASELINE_DAYS (28) days
 *                           before the reference's first day (at least MIN_BASELINE_DAYS of them)
 *   multiplier            = the largest daily peak of the reference days / the usual peak,
 *                           at least 1 (a quiet reference raises nothing), at most 100
 *
 * The live loop keeps each workload's daily peaks in Redis for DAYS_KEPT days (a year and the
 * baseline before it), written from the hour buckets its demand series' scoring reads
 * (recommend/day-peaks-store.ts); `backtest --events` computes them from the replayed rows. Both
 * call likeMultiplier below: one rule.
 *
 * The stored form is a ring of DAYS_KEPT slots of SLOT_BYTES each, slot = day mod DAYS_KEPT:
 *   u8 lap tag (floor(day / DAYS_KEPT) mod 255 + 1; 0: never written) | u16 LE peak code
 * The code is logarithmic (steps of 0.1% from 1e-6, 0 for a peak ≤ 0), so any unit fits two
 * bytes within 0.05%: 1,200 bytes per workload.
 */
export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Days of daily peaks kept: a year before an event and the baseline before that. */
export const DAYS_KEPT = 400;
export const BASELINE_DAYS = 28;
export const MIN_BASELINE_DAYS = 3;
/** The highest multiplier a reference can give (as a declared one). */
export const MAX_MULTIPLIER = 100;
export const SLOT_BYTES = 3;
/** How far back a reference may begin before its event: its baseline must still be in the ring. */
export const MAX_REFERENCE_AGE_DAYS = DAYS_KEPT - BASELINE_DAYS - 1;

const MIN_CODED = 1e-6;
const LOG_STEP = Math.log(1.001);

export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);
export const dayText = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export interface DayPeak {
  day: number;
  peak: number;
}

/**
 * The daily peaks that the hour buckets read show whole so far: `means[i]` is the mean of the hour
 * starting at endMs − (n − i) hours (NaN: no event). A day counts when the hours read reach back
 * to its first hour (the oldest day, seen in part, does not); the newest day is the peak so far.
 */
export function dayPeaksOfHours(endMs: number, means: ArrayLike<number>): DayPeak[] {
  const n = means.length;
  const fromMs = endMs - n * HOUR_MS;
  const out: DayPeak[] = [];
  let day = NaN;
  let peak = NaN;
  for (let i = 0; i < n; i++) {
    const startMs = fromMs + i * HOUR_MS;
    const d = dayOf(startMs);
    if (d !== day) {
      if (!Number.isNaN(peak)) out.push({ day, peak });
      day = d;
      peak = NaN;
      if (d * DAY_MS < fromMs) day = NaN; // seen in part: skip it
    }
    const m = means[i];
    if (!Number.isNaN(day) && !Number.isNaN(m) && !(m <= peak)) peak = m;
  }
  if (!Number.isNaN(peak)) out.push({ day, peak });
  return out;
}

/** The daily peaks of evenly spaced values (a replayed trace): the same hourly means, then the same rule. */
export function dayPeaksOfSteps(values: ArrayLike<number>, startMs: number, stepMs: number): Map<number, number> {
  const sums = new Map<number, [number, number]>();
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    const hour = Math.floor((startMs + i * stepMs) / HOUR_MS);
    const s = sums.get(hour) ?? [0, 0];
    s[0] += values[i];
    s[1]++;
    sums.set(hour, s);
  }
  const out = new Map<number, number>();
  for (const [hour, [sum, count]] of sums) {
    const d = dayOf(hour * HOUR_MS);
    const mean = sum / count;
    if (!(mean <= (out.get(d) ?? -Infinity))) out.set(d, mean);
  }
  return out;
}

export type LikeResult = { multiplier: number } | { missing: string };

/** The raise a reference period [fromDay, toDay] shows (module header), or why it cannot be known. */
export function likeMultiplier(peakOf: (day: number) => number | undefined, fromDay: number, toDay: number): LikeResult {
  let top = -Infinity;
  for (let d = fromDay; d <= toDay; d++) {
    const p = peakOf(d);
    if (p === undefined) return { missing: `no daily peak for ${dayText(d)}` };
    top = Math.max(top, p);
  }
  const before: number[] = [];
  for (let d = fromDay - BASELINE_DAYS; d < fromDay; d++) {
    const p = peakOf(d);
    if (p !== undefined) before.push(p);
  }
  if (before.length < MIN_BASELINE_DAYS)
    return { missing: `${before.length} of the ${BASELINE_DAYS} days before ${dayText(fromDay)} have a daily peak (${MIN_BASELINE_DAYS} needed)` };
  before.sort((a, b) => a - b);
  const h = before.length >> 1;
  const usual = before.length % 2 ? before[h] : (before[h - 1] + before[h]) / 2;
  if (!(usual > 0)) return { missing: `no demand in the ${BASELINE_DAYS} days before ${dayText(fromDay)}` };
  const m = Math.min(MAX_MULTIPLIER, Math.max(1, top / usual));
  return { multiplier: Math.round(m * 100) / 100 };
}

export function encodePeak(v: number): number {
  if (!(v > 0)) return 0;
  return Math.min(65_535, Math.max(1, 1 + Math.round(Math.log(v / MIN_CODED) / LOG_STEP)));
}

export function decodePeak(code: number): number {
  return code === 0 ? 0 : MIN_CODED * Math.exp((code - 1) * LOG_STEP);
}

const lapTag = (day: number): number => (Math.floor(day / DAYS_KEPT) % 255) + 1;

/** One slot's bytes and where they go in the ring (SETRANGE offset). */
export function ringSlot(day: number, peak: number): { offset: number; bytes: Buffer } {
  const bytes = Buffer.alloc(SLOT_BYTES);
  bytes.writeUInt8(lapTag(day), 0);
  bytes.writeUInt16LE(encodePeak(peak), 1);
  return { offset: (day % DAYS_KEPT) * SLOT_BYTES, bytes };
}

/** The daily peak of `day` in a ring as stored (null: no key), undefined where it was not written in that day's lap. */
export function ringPeak(ring: Buffer | null, day: number): number | undefined {
  const at = (day % DAYS_KEPT) * SLOT_BYTES;
  if (!ring || ring.length < at + SLOT_BYTES || ring.readUInt8(at) !== lapTag(day)) return undefined;
  return decodePeak(ring.readUInt16LE(at + 1));
}

/** likeMultiplier as of a step ending at `stepEndMs`: only days over by then count (a reference still under way is not known yet). */
export function likeMultiplierAt(peakOf: (day: number) => number | undefined, like: { fromDay: number; toDay: number }, stepEndMs: number): LikeResult {
  const today = dayOf(stepEndMs);
  return likeMultiplier((d) => (d < today ? peakOf(d) : undefined), like.fromDay, like.toDay);
}
