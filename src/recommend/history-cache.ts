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
 * this processor (README "Benchmarks"). At most MAX_SERIES are kept: past that the cache is
 * emptied and fills again (it only saves reads).
 */
import type { PartitionRef } from '../windows/window-store.js';

const STEP_MS = 300_000;
const HOUR_MS = 3_600_000;

/** The most series kept (~2.3 GB); beyond it the cache starts over. */
export const MAX_SERIES = 250_000;

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
  private readonly kept = new Map<string, Map<string, KeptHistory>>();
  private size = 0;

  constructor(
    /** FORESIGHT_ALLOWED_LATENESS_MS */
    private readonly latenessMs: number,
    private readonly maxSeries = MAX_SERIES,
  ) {}

  private static partition(ref: PartitionRef): string {
    return `${ref.topic}\n${ref.partition}`;
  }

  get(ref: PartitionRef, seriesId: string): KeptHistory | undefined {
    return this.kept.get(HistoryCache.partition(ref))?.get(seriesId);
  }

  set(ref: PartitionRef, seriesId: string, h: KeptHistory): void {
    const p = HistoryCache.partition(ref);
    let m = this.kept.get(p);
    if (!m) this.kept.set(p, (m = new Map()));
    if (!m.has(seriesId)) {
      if (this.size >= this.maxSeries) {
        this.clear();
        this.kept.set(p, (m = new Map()));
      }
      this.size++;
    }
    m.set(seriesId, h);
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
