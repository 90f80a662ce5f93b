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
import { addValue, emptySummary, type Summary } from './sketch.js';

export interface WindowEvent {
  offset: string;
  seriesId: string;
  eventTime: number;
  value: number;
}

export interface SeriesDelta {
  /** resolution tag → bucket index → partial summary */
  buckets: Map<Resolution, Map<number, Summary>>;
  /** offset of the series' first accepted event in the batch (its trace starts the series' recommendations) */
  firstOffset: string;
  /** earliest event time accepted for the series in the batch */
  earliestMs: number;
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
      d = { buckets: new Map(RESOLUTIONS.map((r) => [r, new Map<number, Summary>()])), firstOffset: ev.offset, earliestMs: ev.eventTime };
      deltas.set(ev.seriesId, d);
    } else if (ev.eventTime < d.earliestMs) {
      d.earliestMs = ev.eventTime;
    }
    for (const res of RESOLUTIONS) {
      const b = bucketIndex(res, ev.eventTime);
      const byBucket = d.buckets.get(res)!;
      let s = byBucket.get(b);
      if (!s) {
        s = emptySummary();
        byBucket.set(b, s);
      }
      addValue(s, ev.value);
    }
    accepted++;
  }
  return { deltas, late, watermarks: raised, accepted };
}
