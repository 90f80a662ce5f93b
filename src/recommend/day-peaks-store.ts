/**
 * Each workload's daily peaks in Redis (policy/day-peaks.ts says what they are and how they are
 * packed), so that a known event declared `like` a past day gets the raise that day showed.
 *
 * Written by the workload's replicas demand series when one of its hours closes: the days that its
 * scoring's hour buckets (the 169 hours read anyway) show whole, each written in place (SETRANGE)
 * with the batch's state only when its peak changed since this process last wrote it; the key
 * expires DAYS_KEPT days after its last write. A day's peak is recomputed from the windows at each
 * hour close, so a write lost to a crash or a rebalance is written again at the next one.
 *
 * Read when an event `like` a reference is in its raise window for the workload: one GET of the
 * ring (1,200 bytes), the result kept per workload, event and hour until the events file changes.
 */
import type { Redis } from '../windows/redis-client.js';
import type { BatchState } from '../windows/batch-state.js';
import { dayPeaksKey } from '../windows/redis-keys.js';
import { DAY_MS, DAYS_KEPT, decodePeak, encodePeak, likeMultiplierAt, ringPeak, ringSlot, type DayPeak } from '../policy/day-peaks.js';
import type { KnownEvent } from '../policy/events.js';
import type { Logger } from '../telemetry/log.js';

const TTL_MS = DAYS_KEPT * DAY_MS;
const HOUR_MS = 3_600_000;
/** Days remembered per workload as written (the hours read span 8 days). */
const DAYS_REMEMBERED = 9;
/** Workloads remembered; past that the memo starts over (it only saves writes). */
const MAX_WORKLOADS = 200_000;

export class DayPeaksStore {
  /** workload → day → the peak's code as this process last wrote it */
  private readonly written = new Map<string, Map<number, number>>();
  /** each batch's queued writes (batches of several partitions run at once), remembered once its state is flushed */
  private readonly pending = new WeakMap<BatchState, [string, number, number][]>();
  private likes = { events: undefined as readonly KnownEvent[] | undefined, values: new Map<string, number | undefined>() };
  /** workload, event and reference whose missing reference was logged */
  private readonly warned = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Queues the days whose peak changed since this process wrote them, to go with `state`'s flush. */
  record(state: BatchState, workload: string, peaks: readonly DayPeak[]): void {
    if (peaks.length === 0) return;
    const mine = this.written.get(workload);
    let queued = this.pending.get(state);
    for (const { day, peak } of peaks) {
      const code = encodePeak(peak);
      if (mine?.get(day) === code) continue;
      const { offset, bytes } = ringSlot(day, peak);
      state.setRange(dayPeaksKey(this.prefix, workload), offset, bytes, TTL_MS);
      if (!queued) this.pending.set(state, (queued = []));
      queued.push([workload, day, code]);
    }
  }

  /** `state` was flushed: its queued writes reached Redis, remember them. */
  flushed(state: BatchState): void {
    const queued = this.pending.get(state);
    if (!queued) return;
    this.pending.delete(state);
    if (this.written.size > MAX_WORKLOADS) this.written.clear();
    for (const [workload, day, code] of queued) {
      let mine = this.written.get(workload);
      if (!mine) this.written.set(workload, (mine = new Map()));
      mine.set(day, code);
      for (const d of mine.keys()) if (d <= day - DAYS_REMEMBERED) mine.delete(d);
    }
  }

  /** Redis may have lost state, or partitions moved: write every day again at its next hour close. */
  forget(): void {
    this.written.clear();
  }

  /**
   * The multiplier the event's reference period shows for the workload as of `stepEndMs`
   * (policy/day-peaks.ts likeMultiplierAt), or undefined where its daily peaks lack the reference
   * (logged once per workload, event and reference; the result is kept for the hour). `state`: the
   * batch, whose queued peaks count over what Redis holds (a replayed batch scores many steps before its flush).
   */
  async like(workload: string, e: KnownEvent, events: readonly KnownEvent[], stepEndMs: number, state?: BatchState): Promise<number | undefined> {
    if (!e.like) return undefined;
    if (this.likes.events !== events || this.likes.values.size > MAX_WORKLOADS) this.likes = { events, values: new Map() };
    const key = `${workload}\n${e.name}\n${e.like.text}\n${Math.floor(stepEndMs / HOUR_MS)}`;
    if (this.likes.values.has(key)) return this.likes.values.get(key);
    const ring = await this.redis.getBuffer(dayPeaksKey(this.prefix, workload));
    const queued = new Map<number, number>();
    for (const [w, day, code] of (state && this.pending.get(state)) ?? []) if (w === workload) queued.set(day, decodePeak(code));
    const res = likeMultiplierAt((d) => queued.get(d) ?? ringPeak(ring, d), e.like, stepEndMs);
    const m = 'multiplier' in res ? res.multiplier : undefined;
    const warn = `${workload}\n${e.name}\n${e.like.text}`;
    if ('missing' in res && !this.warned.has(warn)) {
      if (this.warned.size > MAX_WORKLOADS) this.warned.clear();
      this.warned.add(warn);
      this.log.warn(
        { workload, event: e.name, like: e.like.text, fallback: e.multiplier ?? null },
        `known event ${e.name}: its reference ${e.like.text} cannot be measured from ${workload}'s daily peaks (${res.missing}): ${e.multiplier !== undefined ? `its declared multiplier ${e.multiplier} applies` : 'no raise'}`,
      );
    }
    this.likes.values.set(key, m);
    return m;
  }
}
