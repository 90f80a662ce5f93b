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
import { bucketIndex, RESOLUTIONS, type Resolution } from './resolutions.js';
import { binIndex, BucketDelta, MIN_POSITIVE } from './sketch.js';

export interface WindowEvent {
  /** which message of the batch carried it (index into the batch's messages) */
  message: number;
  seriesId: string;
  eventTime: number;
  value: number;
}

export interface SeriesDelta {
  /** resolution → bucket index → what the batch adds to that bucket */
  buckets: Map<Resolution, Map<number, BucketDelta>>;
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

export function aggregateBatch(events: WindowEvent[], watermarks: ReadonlyMap<string, number>, allowedLatenessMs: number): AggregateResult {
  const deltas = new Map<string, SeriesDelta>();
  const late: AggregateResult['late'] = [];
  const raised = new Map<string, number>();
  let accepted = 0;
  for (const ev of events) {
    const wm = raised.get(ev.seriesId) ?? watermarks.get(ev.seriesId) ?? -Infinity;
    if (ev.eventTime < wm - allowedLatenessMs) {
      late.push({ event: ev, watermark: wm });
      continue;
    }
    if (ev.eventTime > wm) raised.set(ev.seriesId, ev.eventTime);
    let d = deltas.get(ev.seriesId);
    if (!d) {
      d = {
        buckets: new Map(RESOLUTIONS.map((r) => [r, new Map<number, BucketDelta>()])),
        firstMessage: ev.message,
        earliestMs: ev.eventTime,
        priorWatermark: watermarks.get(ev.seriesId) ?? -Infinity,
      };
      deltas.set(ev.seriesId, d);
    } else if (ev.eventTime < d.earliestMs) {
      d.earliestMs = ev.eventTime;
    }
    const bin = ev.value <= MIN_POSITIVE ? undefined : binIndex(ev.value);
    for (const [res, byBucket] of d.buckets) {
      const b = bucketIndex(res, ev.eventTime);
      let delta = byBucket.get(b);
      if (!delta) {
        delta = new BucketDelta(b);
        byBucket.set(b, delta);
      }
      delta.add(ev.value, bin);
    }
    accepted++;
  }
  return { deltas, late, watermarks: raised, accepted };
}
