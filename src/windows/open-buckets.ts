/**
 * Open buckets: each series' current scoring step (5 minutes of event time) kept in the
 * processor as a pending delta at every resolution (its minutes, its five-minute bucket, its
 * hour and 6-hour buckets), written to Redis once when the step is done, instead of one
 * read-merge-write per resolution per event. At one sample per 15 s a series' step is 20
 * events: 8 bucket writes instead of 80, and the five-minute and minute buckets are new
 * (written without a read).
 *
 * A series' open step is written (flushed), in the script call that records the partition's
 * applied offset, when:
 *   - the series' next accepted event falls in another step (the step closed: it is due for
 *     scoring, and the scoring reads it complete; an event for an earlier step, late but
 *     within the allowed lateness, also closes the open one and opens its own);
 *   - the first time a step of any series of the partition closes: every open step before it is
 *     written too (the scoring of a workload reads its other series as well; a series whose
 *     events of that step still come is written again at its own step's close);
 *   - its series sent nothing for `maxSilentMs` of wall-clock time, or it was opened
 *     `maxOpenMs` ago (a silent series does not hold a step forever; checked by a timer);
 *   - on shutdown (the processor writes every open step before its last offset commit).
 * A revoked partition's open steps are dropped: the new owner reads them again from Kafka.
 *
 * Exactly once across a crash. Invariant: a series' events written to Redis are exactly its
 * events up to some offset (its "written" offset, recorded per series in the same script
 * call), because an open step always holds the series' latest accepted events and is written
 * whole. The partition's applied offset only advances to just before the oldest open step's
 * first offset, and Kafka commits follow it; so after a crash every event not written is read
 * again. While replaying (offsets at or below the partition's "seen" offset, the last offset
 * handled before the crash, also recorded in the script call) an event at or below its
 * series' written offset is dropped (it is in Redis), and dead letters are not sent again.
 * The series' watermark in Redis is raised only when its events are written, so during the
 * replay each event meets the same lateness verdict as the first time.
 */
import { EventColumns, ResolutionDeltas, type AggregateResult, type SeriesDelta } from './aggregate.js';
import { bucketIndex, RESOLUTIONS } from './resolutions.js';
import { binIndex, MIN_POSITIVE } from './sketch.js';

/** One series' open step. */
export interface OpenStep {
  /** the scoring step (event time ÷ step length) its events fall in */
  step: number;
  buckets: ResolutionDeltas[];
  /** newest event time in it */
  maxMs: number;
  firstOffset: number;
  lastOffset: number;
  /** wall-clock ms when it was opened, and when its last event came */
  openedAt: number;
  lastAt: number;
}

/** What the processor keeps per partition for the window stage. */
export interface OpenPartition {
  /** series → newest accepted event time, open steps included (the lateness rule); -Infinity: none known */
  watermarks: Map<string, number>;
  /** series → newest event time written to Redis (the series zset's score) */
  stored: Map<string, number>;
  /** series → offset of its last event written to Redis (read for series met while replaying) */
  written: Map<string, number>;
  /** offsets at or below were handled before (dead letters sent); -1: none */
  seen: number;
  /** the open steps, in the order they were opened (so also by first offset) */
  open: Map<string, OpenStep>;
  /** the open steps before this step were written when it first closed */
  closedBefore: number;
}

export function emptyOpenPartition(): OpenPartition {
  return { watermarks: new Map(), stored: new Map(), written: new Map(), seen: -1, open: new Map(), closedBefore: -Infinity };
}

export interface BatchSeries {
  before: number;
  earliestMs: number;
  message: number;
}

/** The series whose watermark the batch raised, with the watermark before. */
export function raisedOf(p: OpenPartition, b: OpenBatch): [string, number][] {
  const out: [string, number][] = [];
  for (const [id, s] of b.series) if (p.watermarks.get(id)! > s.before) out.push([id, s.before]);
  return out;
}

export interface OpenBatch {
  /** the deltas to write (the steps flushed) with the watermarks to store: for WindowStore.applyBatch */
  agg: AggregateResult;
  /** series → its last offset written by this call */
  written: Map<string, number>;
  /** per series with an accepted event in the batch: its watermark before the batch, its earliest accepted event time and the message of its first */
  series: Map<string, BatchSeries>;
  /** events dropped because a run before a crash had written them */
  replayed: number;
}

export interface OpenOptions {
  stepMs: number;
  allowedLatenessMs: number;
  /** wall clock now (ms) */
  now: number;
  /** the timer's check: open steps whose series was silent this long, or opened this long ago (wall clock), are written */
  clock?: { maxSilentMs: number; maxOpenMs: number };
}

function addTo(target: Map<string, SeriesDelta>, seriesId: string, step: OpenStep, prior: number): void {
  const d = target.get(seriesId);
  if (!d) {
    target.set(seriesId, { buckets: step.buckets, firstMessage: -1, earliestMs: NaN, priorWatermark: prior });
    return;
  }
  // a second step of the series written by the same call (a fast replay crosses steps within a batch)
  for (let r = 0; r < RESOLUTIONS.length; r++) for (const b of step.buckets[r].list) d.buckets[r].at(b.bucket).merge(b);
}

/**
 * The window stage of one batch with open steps: lateness, then each accepted event into its
 * series' open step, closing steps as the header says. `offsetOf(message)` gives a message's
 * offset. Mutates `p` (watermarks and open steps): on a failed apply the caller drops `p`.
 */
export function openAggregate(events: EventColumns, offsetOf: (message: number) => number, p: OpenPartition, o: OpenOptions): OpenBatch {
  const deltas = new Map<string, SeriesDelta>();
  const storedRaised = new Map<string, number>();
  const written = new Map<string, number>();
  const series = new Map<string, BatchSeries>();
  const late: AggregateResult['late'] = [];
  let accepted = 0;
  let replayed = 0;
  let closedBefore = p.closedBefore; // open steps before this step are written (the first close of a step)

  const flush = (seriesId: string, step: OpenStep): void => {
    p.open.delete(seriesId);
    const prior = storedRaised.get(seriesId) ?? p.stored.get(seriesId) ?? -Infinity;
    addTo(deltas, seriesId, step, p.stored.get(seriesId) ?? -Infinity);
    if (step.maxMs > prior) storedRaised.set(seriesId, step.maxMs);
    written.set(seriesId, step.lastOffset);
  };

  const n = events.length;
  for (let k = 0; k < n; k++) {
    const seriesId = events.seriesId[k];
    const eventTime = events.eventTime[k];
    const value = events.value[k];
    const offset = offsetOf(events.message[k]);
    if (offset <= p.seen && offset <= (p.written.get(seriesId) ?? -1)) {
      replayed++;
      continue;
    }
    const wm = p.watermarks.get(seriesId) ?? -Infinity;
    if (eventTime < wm - o.allowedLatenessMs) {
      late.push({ event: { message: events.message[k], seriesId, eventTime, value }, watermark: wm });
      continue;
    }
    const step = Math.floor(eventTime / o.stepMs);
    const f = series.get(seriesId);
    if (!f) series.set(seriesId, { before: wm, earliestMs: eventTime, message: events.message[k] });
    else if (eventTime < f.earliestMs) f.earliestMs = eventTime;
    if (eventTime > wm) {
      p.watermarks.set(seriesId, eventTime);
      // the series' step closed (it is due for scoring)
      if (wm !== -Infinity && Math.floor(wm / o.stepMs) < step && step > closedBefore) closedBefore = step;
    }
    let open = p.open.get(seriesId);
    if (open && open.step !== step) {
      flush(seriesId, open);
      open = undefined;
    }
    if (!open) {
      open = {
        step,
        buckets: RESOLUTIONS.map(() => new ResolutionDeltas()),
        maxMs: eventTime,
        firstOffset: offset,
        lastOffset: offset,
        openedAt: o.now,
        lastAt: o.now,
      };
      p.open.set(seriesId, open);
    }
    const bin = value <= MIN_POSITIVE ? undefined : binIndex(value);
    for (let r = 0; r < RESOLUTIONS.length; r++) open.buckets[r].at(bucketIndex(RESOLUTIONS[r], eventTime)).add(value, bin);
    if (eventTime > open.maxMs) open.maxMs = eventTime;
    open.lastOffset = offset;
    open.lastAt = o.now;
    accepted++;
  }
  // a step closed for the first time: every open step before it is written; and (the timer) the open steps held too long
  const c = o.clock;
  if (closedBefore > p.closedBefore || c) {
    p.closedBefore = closedBefore;
    const silentSince = c ? o.now - c.maxSilentMs : -Infinity;
    const openedBefore = c ? o.now - c.maxOpenMs : -Infinity;
    for (const [seriesId, step] of p.open) if (step.step < closedBefore || step.lastAt <= silentSince || step.openedAt <= openedBefore) flush(seriesId, step);
  }
  return { agg: { deltas, late, watermarks: storedRaised, accepted }, written, series, replayed };
}

/** After the script call wrote `batch`: the series' stored watermarks as Redis now holds them. */
export function markWritten(p: OpenPartition, batch: OpenBatch): void {
  for (const [id, t] of batch.agg.watermarks) p.stored.set(id, t);
}

/** Every open step of the partition, to write (shutdown). */
export function closeAll(p: OpenPartition): OpenBatch {
  return openAggregate(new EventColumns(), () => 0, p, { stepMs: 1, allowedLatenessMs: 0, now: Infinity, clock: { maxSilentMs: 0, maxOpenMs: 0 } });
}

/** The applied offset to record: just before the oldest open step, or `lastOffset` when none is open. */
export function safeOffset(p: OpenPartition, lastOffset: number): number {
  for (const step of p.open.values()) return step.firstOffset - 1;
  return lastOffset;
}
