/**
 * The pure core of the window stage: one batch of one partition's events, in offset order,
 * becomes per-(series, bucket) deltas at both resolutions, the late events, and the new
 * watermarks. No I/O: the processor reads the state it needs (watermarks) and writes the
 * result with one script call.
 *
 * Lateness, per series: an event is late when its event time is more than `allowedLatenessMs`
 * behind the newest event time seen so far for that series (its watermark, which includes
 * earlier events of the same batch). Late events are not applied; the caller dead-letters
 * them with reason `late`. Because the watermark is stored atomically with the applied
 * offset, a replay after a crash classifies every event exactly as the first run did.
 */
import { bucketIndex, RESOLUTIONS } from './resolutions.js';
import { binIndex, BucketDelta, MIN_POSITIVE } from './sketch.js';

export interface WindowEvent {
  /** which message of the batch carried it (index into the batch's messages) */
  message: number;
  seriesId: string;
  eventTime: number;
  value: number;
}

/**
 * A batch's events as columns (the ingest hot path): no object per event, which would live
 * as long as the batch and be promoted by the garbage collector.
 */
export class EventColumns {
  readonly message: number[] = [];
  readonly seriesId: string[] = [];
  readonly eventTime: number[] = [];
  readonly value: number[] = [];

  get length(): number {
    return this.message.length;
  }

  push(message: number, seriesId: string, eventTime: number, value: number): void {
    this.message.push(message);
    this.seriesId.push(seriesId);
    this.eventTime.push(eventTime);
    this.value.push(value);
  }

  static of(events: WindowEvent[]): EventColumns {
    const c = new EventColumns();
    for (const e of events) c.push(e.message, e.seriesId, e.eventTime, e.value);
    return c;
  }
}

/** The deltas of one series at one resolution: in first-seen order, with an index once there are many. */
export class ResolutionDeltas {
  readonly list: BucketDelta[] = [];
  private index?: Map<number, BucketDelta>;

  /** The delta of bucket `b`, created when absent. Events in time order find it last. */
  at(b: number): BucketDelta {
    const list = this.list;
    if (list.length > 0 && list[list.length - 1].bucket === b) return list[list.length - 1];
    if (this.index) {
      const found = this.index.get(b);
      if (found) return found;
    } else {
      for (let i = list.length - 2; i >= 0; i--) if (list[i].bucket === b) return list[i];
    }
    const d = new BucketDelta(b);
    list.push(d);
    if (this.index) this.index.set(b, d);
    else if (list.length > 16) this.index = new Map(list.map((x) => [x.bucket, x]));
    return d;
  }
}

export interface SeriesDelta {
  /** per resolution, in the order of RESOLUTIONS: what the batch adds to each bucket */
  buckets: ResolutionDeltas[];
  /** message (index in the batch) of the series' first accepted event (its trace starts the series' recommendations) */
  firstMessage: number;
  /** earliest event time accepted for the series in the batch */
  earliestMs: number;
  /** the series' watermark before the batch (-Infinity: unknown): buckets after it are new */
  priorWatermark: number;
}

export interface AggregateResult {
  deltas: Map<string, SeriesDelta>;
  late: { event: WindowEvent; watermark: number }[];
  /** series → new watermark, for the series this batch raised */
  watermarks: Map<string, number>;
  accepted: number;
}

export function aggregateBatch(events: WindowEvent[] | EventColumns, watermarks: ReadonlyMap<string, number>, allowedLatenessMs: number): AggregateResult {
  const cols = events instanceof EventColumns ? events : EventColumns.of(events);
  const deltas = new Map<string, SeriesDelta>();
  const late: AggregateResult['late'] = [];
  const raised = new Map<string, number>();
  let accepted = 0;
  const n = cols.length;
  for (let k = 0; k < n; k++) {
    const seriesId = cols.seriesId[k];
    const eventTime = cols.eventTime[k];
    const value = cols.value[k];
    const wm = raised.get(seriesId) ?? watermarks.get(seriesId) ?? -Infinity;
    if (eventTime < wm - allowedLatenessMs) {
      late.push({ event: { message: cols.message[k], seriesId, eventTime, value }, watermark: wm });
      continue;
    }
    if (eventTime > wm) raised.set(seriesId, eventTime);
    let d = deltas.get(seriesId);
    if (d === undefined) {
      d = {
        buckets: RESOLUTIONS.map(() => new ResolutionDeltas()),
        firstMessage: cols.message[k],
        earliestMs: eventTime,
        priorWatermark: watermarks.get(seriesId) ?? -Infinity,
      };
      deltas.set(seriesId, d);
    } else if (eventTime < d.earliestMs) {
      d.earliestMs = eventTime;
    }
    const bin = value <= MIN_POSITIVE ? undefined : binIndex(value);
    for (let r = 0; r < RESOLUTIONS.length; r++) d.buckets[r].at(bucketIndex(RESOLUTIONS[r], eventTime)).add(value, bin);
    accepted++;
  }
  return { deltas, late, watermarks: raised, accepted };
}
