/**
 * The scoring inputs of the series this processor scores, kept in memory between their steps
 * (window-history.ts reads through it). Redis stays the source of truth: a kept history only
 * says which buckets need not be read again.
 *
 * Which buckets can have changed since a series' last scored step (ending at E): the windows
 * accept an event only when it is at most FORESIGHT_ALLOWED_LATENESS_MS behind the series'
 * newest event (windows/aggregate.ts), and that newest event was already at E or later when E
 * was scored. So every bucket that ends before E − lateness is final: the next step reads the
 * buckets from the one holding E − lateness on (with the default 10 minutes, 3 five-minute
 * buckets and, when an hour has closed, 1 hour bucket), and the rest comes from memory.
 * That holds whichever processor applied the events meanwhile.
 *
 * What the argument does not cover, and how the cache gives way:
 *   - Redis lost the partition's state (its watermarks with it), or partitions moved: the
 *     processor empties the cache (`clear`, on joining the group and on every reposition), and
 *     each series' next step reads its windows whole, as after a restart;
 *   - a kept history more than its own length behind (the series was silent that long): read whole.
 *
 * Memory: per series 576 five-minute means and the 169 hours' mean, min and max as float64
 * (8,664 bytes of arrays, ~9 KB with the map entry), so ~90 MB per 10,000 series scored by
 * this processor (README "Benchmarks"). Two bounds:
 *   - age: a series whose last scored step is more than MAX_IDLE_MS (6 hours of event time)
 *     behind the newest step this cache has seen is dropped (a series that stopped: a deleted
 *     workload, a renamed pod, a partition's series scored elsewhere now), checked once per
 *     SWEEP_EVERY_MS of event time; its next step, if any, reads its windows whole;
 *   - count: at most MAX_SERIES are kept; past that the cache is emptied and fills again.
 * Either only costs reads: Redis stays the source of truth.
 */
import type { PartitionRef } from '../windows/window-store.js';

const STEP_MS = 300_000;
const HOUR_MS = 3_600_000;

/** The most series kept (~2.3 GB); beyond it the cache starts over. */
export const MAX_SERIES = 250_000;
/** A series not scored for this long in event time (behind the newest step seen) is dropped. */
export const MAX_IDLE_MS = 6 * HOUR_MS;
/** How often (in event time) the cache looks for series to drop. */
export const SWEEP_EVERY_MS = HOUR_MS;

/** A series' buckets as of its last scored step: means (NaN: no event), oldest first. */
export interface KeptHistory {
  /** the end of the five-minute buckets (the step scored) */
  endMs: number;
  five: Float64Array;
  /** the end of the hour buckets (the hour the step's end falls in) */
  hoursEndMs: number;
  hourMean: Float64Array;
  hourMin: Float64Array;
  hourMax: Float64Array;
}

export class HistoryCache {
  /** topic → partition → series → its kept history */
  private readonly kept = new Map<string, Map<number, Map<string, KeptHistory>>>();
  private size = 0;
  /** the newest step end kept, and when the last sweep ran (event time) */
  private newestMs = -Infinity;
  private sweptMs = -Infinity;

  constructor(
    /** FORESIGHT_ALLOWED_LATENESS_MS */
    private readonly latenessMs: number,
    private readonly maxSeries = MAX_SERIES,
    private readonly maxIdleMs = MAX_IDLE_MS,
  ) {}

  private partition(ref: PartitionRef, create: boolean): Map<string, KeptHistory> | undefined {
    let t = this.kept.get(ref.topic);
    if (!t) {
      if (!create) return undefined;
      this.kept.set(ref.topic, (t = new Map()));
    }
    let m = t.get(ref.partition);
    if (!m && create) t.set(ref.partition, (m = new Map()));
    return m;
  }

  get(ref: PartitionRef, seriesId: string): KeptHistory | undefined {
    return this.partition(ref, false)?.get(seriesId);
  }

  set(ref: PartitionRef, seriesId: string, h: KeptHistory): void {
    if (h.endMs > this.newestMs) {
      this.newestMs = h.endMs;
      if (this.newestMs - this.sweptMs >= SWEEP_EVERY_MS) this.sweep();
    }
    let m = this.partition(ref, true)!;
    if (!m.has(seriesId)) {
      if (this.size >= this.maxSeries) {
        this.clear();
        m = this.partition(ref, true)!;
      }
      this.size++;
    }
    m.set(seriesId, h);
  }

  /** Drops the series whose last scored step is more than maxIdleMs behind the newest one. */
  private sweep(): void {
    this.sweptMs = this.newestMs;
    const before = this.newestMs - this.maxIdleMs;
    for (const t of this.kept.values()) {
      for (const m of t.values()) {
        for (const [seriesId, h] of m) {
          if (h.endMs < before) {
            m.delete(seriesId);
            this.size--;
          }
        }
      }
    }
  }

  /** Forgets every kept history: the next step of each series reads its windows whole. */
  clear(): void {
    this.kept.clear();
    this.size = 0;
  }

  get series(): number {
    return this.size;
  }

  /**
   * From when on a kept history's buckets may have changed, for a step ending at `endMs` (hours
   * up to `hoursEndMs`); undefined when it cannot serve (another length, older than what it holds,
   * or too far behind).
   */
  changedSince(h: KeptHistory, steps: number, endMs: number, hoursEndMs: number): { fiveFromMs: number; hoursFromMs: number } | undefined {
    if (h.five.length !== steps || endMs < h.endMs || hoursEndMs < h.hoursEndMs) return undefined;
    const since = h.endMs - this.latenessMs;
    const fiveFromMs = Math.floor(since / STEP_MS) * STEP_MS;
    if (endMs - fiveFromMs >= steps * STEP_MS) return undefined;
    return { fiveFromMs, hoursFromMs: Math.floor(since / HOUR_MS) * HOUR_MS };
  }

  /** The kept history moved on to a step ending at `endMs` (hours to `hoursEndMs`), in place: the buckets it had not seen are NaN until read. */
  static shifted(h: KeptHistory, endMs: number, hoursEndMs: number): KeptHistory {
    const by = (a: Float64Array, n: number): void => {
      a.copyWithin(0, Math.min(n, a.length));
      a.fill(NaN, Math.max(0, a.length - n));
    };
    by(h.five, (endMs - h.endMs) / STEP_MS);
    const hours = (hoursEndMs - h.hoursEndMs) / HOUR_MS;
    for (const a of [h.hourMean, h.hourMin, h.hourMax]) by(a, hours);
    h.endMs = endMs;
    h.hoursEndMs = hoursEndMs;
    return h;
  }
}
