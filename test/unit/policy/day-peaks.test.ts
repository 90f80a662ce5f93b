/** Daily peaks for known events `like` a past day: the packed ring, the days the hour buckets show whole, the multiplier by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventsFileError } from '../../helpers/trace.js';
import {
  DAY_MS,
  DAYS_KEPT,
  dayOf,
  dayPeaksOfHours,
  dayPeaksOfSteps,
  decodePeak,
  encodePeak,
  likeMultiplier,
  likeMultiplierAt,
  ringPeak,
  ringSlot,
} from '../../../src/policy/day-peaks.js';
import { eventDemand, raisedTo, type KnownEventRaise } from '../../../src/policy/decide-replicas.js';
import { eventMultiplier, parseEventsFile, type KnownEvent } from '../../../src/policy/events.js';

const HOUR = 3_600_000;
const D = dayOf(Date.parse('2026-11-20T00:00:00Z'));

/** A ring as Redis would hold it after these SETRANGEs (zero-padded in front, as SETRANGE pads). */
function ringOf(peaks: [number, number][]): Buffer {
  let ring = Buffer.alloc(0);
  for (const [day, peak] of peaks) {
    const { offset, bytes } = ringSlot(day, peak);
    if (ring.length < offset + bytes.length) ring = Buffer.concat([ring, Buffer.alloc(offset + bytes.length - ring.length)]);
    bytes.copy(ring, offset);
  }
  return ring;
}

describe('daily peaks', () => {
  it('pack a peak in two bytes within 0.05%, any unit', () => {
    for (const v of [1e-5, 0.37, 1, 42.5, 2600, 3.2e6, 8e11]) {
      const back = decodePeak(encodePeak(v));
      assert.ok(Math.abs(back / v - 1) <= 5e-4, `${v} → ${back}`);
    }
    assert.equal(decodePeak(encodePeak(0)), 0);
    assert.equal(decodePeak(encodePeak(-3)), 0);
    assert.equal(encodePeak(NaN), 0);
  });

  it('keep DAYS_KEPT days in a ring: a slot of an earlier lap is not read as its day', () => {
    const ring = ringOf([
      [D, 10],
      [D + 1, 20],
    ]);
    assert.ok(Math.abs(ringPeak(ring, D)! - 10) < 0.01);
    assert.ok(Math.abs(ringPeak(ring, D + 1)! - 20) < 0.01);
    assert.equal(ringPeak(ring, D + 2), undefined, 'not written');
    assert.equal(ringPeak(ring, D + DAYS_KEPT), undefined, 'the same slot a lap later');
    assert.equal(ringPeak(ring, D - DAYS_KEPT), undefined, 'the same slot a lap earlier');
    assert.equal(ringPeak(null, D), undefined, 'no key');
    assert.equal(ringPeak(ringOf([[D + DAYS_KEPT, 5]]), D), undefined, 'overwritten by the next lap');
  });

  it('take from the hour buckets the days they show whole, the newest so far', () => {
    // 32 hours ending at D+1 06:00: hour i starts at D−1 22:00 + i h; D−1 is seen in part (2 hours) and left out
    const end = (D + 1) * DAY_MS + 6 * HOUR;
    const means = Array.from({ length: 32 }, (_, i) => i);
    means[25] = NaN; // D 23:00 without events
    means[31] = NaN; // D+1 05:00 without events
    assert.deepEqual(
      dayPeaksOfHours(end, means).map((p) => [p.day - D, p.peak]),
      [
        [0, 24],
        [1, 30],
      ],
    );
    // the hours read starting on a day's first hour: that day is whole
    assert.deepEqual(
      dayPeaksOfHours(end, means.slice(2)).map((p) => p.day - D),
      [0, 1],
    );
    assert.deepEqual(dayPeaksOfHours(end, [NaN, NaN]), [], 'no hour with events');
  });

  it('take the same from evenly spaced values (a replayed trace): the busiest hourly mean of each day', () => {
    const start = D * DAY_MS + 23 * HOUR; // 5-minute steps from D 23:00
    const values = Array.from({ length: 36 }, (_, i) => (i < 12 ? 10 : i < 18 ? 40 : 0)); // D 23:00 all 10; D+1 00:00 half 40, half 0
    const peaks = dayPeaksOfSteps(values, start, 300_000);
    assert.deepEqual(
      [...peaks].sort(([a], [b]) => a - b).map(([d, p]) => [d - D, p]),
      [
        [0, 10],
        [1, 20],
      ],
    );
  });

  it('give the raise a reference day showed over the median daily peak of the 28 days before (by hand)', () => {
    // the 28 days before D: four known (10, 12, 11, 50), median (11 + 12) / 2 = 11.5; D 34.5: ×3
    const known = new Map([
      [D - 28, 10],
      [D - 20, 12],
      [D - 3, 11],
      [D - 1, 50],
      [D, 34.5],
      [D + 1, 23],
    ]);
    const peakOf = (d: number): number | undefined => known.get(d);
    assert.deepEqual(likeMultiplier(peakOf, D, D), { multiplier: 3 });
    // a range: its busiest day, 34.5 (D+1's 23 is lower; D−1's 50 counts in the baseline of D, not here)
    assert.deepEqual(likeMultiplier(peakOf, D, D + 1), { multiplier: 3 });
    // a day before the baseline's three known days: too few
    assert.match(
      (likeMultiplier(peakOf, D - 20, D - 20) as { missing: string }).missing,
      /^1 of the 28 days before 2026-10-31 have a daily peak \(3 needed\)$/,
    );
    assert.deepEqual(likeMultiplier(peakOf, D + 2, D + 2), { missing: 'no daily peak for 2026-11-22' });
    // a quiet reference raises nothing; a huge one is capped as a declared multiplier is
    assert.deepEqual(
      likeMultiplier((d) => (d === D ? 5 : 10), D, D),
      { multiplier: 1 },
    );
    assert.deepEqual(
      likeMultiplier((d) => (d === D ? 1e6 : 10), D, D),
      { multiplier: 100 },
    );
    assert.match((likeMultiplier((d) => (d === D ? 5 : 0), D, D) as { missing: string }).missing, /^no demand in the 28 days before/);
    // as of a step: only days over by then
    assert.deepEqual(likeMultiplierAt(peakOf, { fromDay: D, toDay: D }, (D + 1) * DAY_MS), { multiplier: 3 }, 'D is over at D+1 00:00');
    assert.match((likeMultiplierAt(peakOf, { fromDay: D, toDay: D }, (D + 1) * DAY_MS - 1) as { missing: string }).missing, /no daily peak for 2026-11-20/);
  });
});

describe('known events like a past day', () => {
  const file = (event: string): string =>
    `apiVersion: foresight.dev/v1\nkind: Events\nevents:\n  - name: bf\n    start: "2026-11-27T00:00:00Z"\n    end: "2026-11-28T00:00:00Z"\n${event}`;
  const bad = eventsFileError;

  it('parse a reference day or range, with or without a stand-in multiplier', () => {
    const [e] = parseEventsFile('f', file('    like: "2025-11-28"\n'));
    assert.deepEqual(e.like, { fromDay: dayOf(Date.parse('2025-11-28T00:00:00Z')), toDay: dayOf(Date.parse('2025-11-28T00:00:00Z')), text: '2025-11-28' });
    assert.equal(e.multiplier, undefined);
    const [r] = parseEventsFile('f', file('    like: "2025-11-28..2025-11-30"\n    multiplier: 2\n'));
    assert.equal(r.like!.toDay - r.like!.fromDay, 2);
    assert.equal(r.multiplier, 2);
  });

  it('reject a reference that cannot be read, naming the line and field', () => {
    assert.match(bad(file('    scope: {}\n')), /^policies\/events\.yaml:\d+: events\.0\.multiplier: a multiplier .* or a reference period like/);
    assert.match(bad(file('    like: "last friday"\n')), /events\.0\.like: a day or a range of days/);
    assert.match(bad(file('    like: "2025-11-31"\n')), /events\.0\.like: no such day/);
    assert.match(bad(file('    like: "2025-11-28..2025-11-20"\n')), /events\.0\.like: the range ends before it begins/);
    assert.match(bad(file('    like: "2026-11-27"\n')), /events\.0\.like: the reference period must be over before the raise begins/);
    // the raise begins 2 hours before the start (the forecast's hour, the hourly rules' hour): on the day before
    assert.match(bad(file('    like: "2026-11-26"\n')), /events\.0\.like: the reference period must be over before the raise begins/);
    assert.equal(bad(file('    like: "2026-11-25"\n')), 'accepted');
    assert.match(bad(file('    like: "2026-11-25"\n    warmupMinutes: 1440\n')), /must be over before the raise begins/, 'a day of warm-up');
    assert.match(bad(file('    like: "2025-10-01"\n')), /events\.0\.like: the reference period must begin at most 371 days before the event's last day/);
    assert.equal(bad(file('    like: "2025-11-21"\n')), 'accepted', "371 days before the event's last day");
    assert.match(
      bad(file('    like: "2025-11-21"\n').replace('end: "2026-11-28T00:00:00Z"', 'end: "2026-11-29T00:00:00Z"')),
      /at most 371 days/,
      'a longer event',
    );
  });

  it("raise by the reference's multiplier, else the declared one, else not at all", () => {
    const [like] = parseEventsFile('f', file('    like: "2025-11-28"\n'));
    const [both] = parseEventsFile('f', file('    like: "2025-11-28"\n    multiplier: 2\n'));
    const who = { namespace: 'shop', workload: 'web' };
    const at = Date.parse('2026-11-27T00:00:00Z');
    const raise = (e: KnownEvent, m: number | undefined): { multiplier: number; events: string[] } => {
      const r = eventMultiplier([e], who, at, HOUR, () => m);
      return { multiplier: r.multiplier, events: r.events };
    };
    assert.equal(eventMultiplier([like], who, at, HOUR, () => 3).fromMs, at - HOUR, 'the raise began when the horizon reached the start');
    assert.deepEqual(raise(like, 3.2), { multiplier: 3.2, events: ['bf(like-2025-11-28)'] });
    assert.deepEqual(raise(both, 3.2), { multiplier: 3.2, events: ['bf(like-2025-11-28)'] });
    assert.deepEqual(raise(both, undefined), { multiplier: 2, events: ['bf'] }, 'the history lacks the reference: the stand-in');
    assert.deepEqual(raise(like, undefined), { multiplier: 1, events: [] }, 'neither: no raise');
    assert.deepEqual(raise(like, 1), { multiplier: 1, events: [] }, 'a reference that shows no rise');
  });
});

describe('the demand a declared event leads to expect', () => {
  const STEP = 300_000;
  const START = Date.parse('2026-11-27T00:00:00Z');
  const ev = (multiplier: number, startMs = START, endMs = START + 24 * HOUR): NonNullable<KnownEventRaise['active']>[number] => ({
    multiplier,
    startMs,
    endMs,
  });
  /** 288 steps ending at `end`, value by the step's end time */
  const day = (end: number, value: (t: number) => number): number[] => Array.from({ length: 288 }, (_, i) => value(end - (287 - i) * STEP));
  const expect = (
    active: NonNullable<KnownEventRaise['active']>,
    history: number[],
    at: number,
    observedSteps?: number,
    periods: NonNullable<KnownEventRaise['periods']> = active,
  ): number =>
    eventDemand({ multiplier: Math.max(...active.map((e) => e.multiplier)), events: ['e'], active, periods, observedSteps }, history, at, STEP, 12).expected;

  it('is the multiplier × the same hour a day earlier: before the event, through a day of warm-up, during it, never twice', () => {
    // demand 10, ×3 (30) while the event runs
    const demand = (t: number): number => (t > START && t <= START + 24 * HOUR ? 30 : 10);
    assert.equal(expect([ev(3)], day(START - 2 * HOUR, demand), START - 2 * HOUR), 30, 'before: ×3 the usual 10');
    assert.equal(expect([ev(3)], day(START - 20 * HOUR, demand), START - 20 * HOUR), 30, 'a day of warm-up: raised all through it');
    assert.equal(expect([ev(3)], day(START + 6 * HOUR, demand), START + 6 * HOUR), 30, 'during: ×3 the day before, not ×3 the event (90)');
    // a day into a two-day event, the day before is the event's own demand: over its multiplier, usual again
    const twoDays = (t: number): number => (t > START && t <= START + 48 * HOUR ? 30 : 10);
    assert.equal(expect([ev(3, START, START + 48 * HOUR)], day(START + 26 * HOUR, twoDays), START + 26 * HOUR), 30);
    // the same two days declared as two events one after the other: the first one's demand is not usual for the second
    const second = ev(3, START + 24 * HOUR, START + 48 * HOUR);
    assert.equal(expect([second], day(START + 26 * HOUR, twoDays), START + 26 * HOUR, undefined, [ev(3), second]), 30);
  });

  it('follows the daily shape before the start, raises nested events over the usual demand, and knows a young series', () => {
    // a morning ramp, 10 at night to 30 by 09:00, every day: at 09:00 on the event's day, ×3 of yesterday's 09:00
    const ramp = (t: number): number => (new Date(t).getUTCHours() >= 9 ? 30 : 10);
    assert.equal(expect([ev(3, START + 10 * HOUR)], day(START + 9 * HOUR, ramp), START + 9 * HOUR), 90);
    // a sale week ×1.5 around Black Friday ×3: the day before was the sale's (15), usual 10, so ×3 is 30 (as sizing.ts reads it)
    const week = ev(1.5, START - 4 * 24 * HOUR, START + 3 * 24 * HOUR);
    const sale = (t: number): number => (t > week.startMs ? 15 : 10);
    assert.equal(expect([week, ev(3)], day(START - HOUR / 2, sale), START - HOUR / 2), 30);
    // a series 2 hours old (its history padded with its first value): the last hour before and at the start, nothing once it began
    assert.equal(
      expect(
        [ev(3)],
        day(START - HOUR, () => 10),
        START - HOUR,
        24,
      ),
      30,
    );
    assert.equal(
      expect(
        [ev(3)],
        day(START, () => 10),
        START,
        24,
      ),
      30,
      'the step ending at the start holds no event demand yet',
    );
    assert.equal(
      expect(
        [ev(3)],
        day(START + HOUR, () => 30),
        START + HOUR,
        24,
      ),
      0,
      'born during the event: its demand is the event',
    );
    assert.equal(
      eventDemand(
        undefined,
        day(START, () => 10),
        START,
        STEP,
        12,
      ).expected,
      0,
    );
  });

  it('raises the forecast to it with its spread kept, or leaves it', () => {
    assert.deepEqual(raisedTo({ q50: 10, q90: 12, q99: 15 }, 30), { q50: 30, q90: 36, q99: 45 });
    assert.deepEqual(raisedTo({ q50: 40, q90: 44, q99: 50 }, 30), { q50: 40, q90: 44, q99: 50 }, 'already above: unchanged');
  });
});
