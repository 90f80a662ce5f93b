/**
 * One Kafka batch of one partition through the ingest stages, as a chain of small steps:
 *
 *   skip what is applied → decode → validate → window (lateness) → dead-letter rejects
 *   → apply to Redis with the applied offset (one script call) → remember the new state
 *
 * The partition's state (applied offset, series watermarks) is cached in memory and checked
 * by the script (optimistic concurrency): when the cache is stale — after a rebalance, or a
 * redelivery — the script writes nothing and the batch is redone from fresh state. So a batch
 * is applied at most once, and is applied, or the runner does not commit its offset.
 */
import { context, type Context } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { IngestConfig } from '../config/config.js';
import type { Decoded, MessageDecoder } from '../codec/decoders.js';
import { checkMessageSize } from '../codec/limits.js';
import { checkBilling, checkReading, checkSample, seriesIdOf } from '../codec/metric-sample.js';
import type { Rejection } from '../kafka/deadletter.js';
import { traceparentOf } from '../telemetry/propagation.js';
import { ForesightError, RejectedMessage } from '../util/errors.js';
import { EventColumns } from '../windows/aggregate.js';
import { closeAll, emptyOpenPartition, markWritten, openAggregate, raisedOf, safeOffset, type OpenBatch, type OpenPartition } from '../windows/open-buckets.js';
import { costIncrements, type CostIncrement } from '../windows/billing.js';
import type { CostStore } from '../windows/cost-store.js';
import { StateLostError } from '../windows/state-marks.js';
import { ExpiryCache, type ApplyOutcome, type PartitionRef, type WindowStore } from '../windows/window-store.js';
import type { DueSeries } from '../recommend/due-series.js';

export interface PartitionState {
  /** the applied offset Redis holds (with open buckets: just before the oldest open step) */
  applied: bigint;
  /** offsets at or below were handled by this process */
  processed: bigint;
  /** watermarks, open steps and the replay marks (windows/open-buckets.ts) */
  win: OpenPartition;
  /** whether win.seen was read from Redis */
  seenLoaded: boolean;
  /** wall-clock ms when the partition's last batch ended */
  lastBatchAt: number;
  /** chunk keys whose expiry is set (so it is not set again each batch) */
  expiring: ExpiryCache;
}

/** Where a batch's time went, in ms (the benchmark reports it). */
export interface StageTimings {
  decode: number;
  window: number;
  redis: number;
  deadLetter: number;
}

export const SCORING_STEP_MS = 300_000;
/** An open step whose series sent nothing for this long (twice a 15 s scrape interval) is written. */
export const MAX_SILENT_MS = 30_000;
/** An open step is written this long after it opened at most (two steps of wall-clock time). */
export const MAX_OPEN_MS = 600_000;
/** A partition without a batch for this long has caught up and gone quiet: its open steps are written. */
export const IDLE_FLUSH_MS = 1_000;

interface FirstEvent {
  earliestMs: number;
  message: KafkaMessage | undefined;
}
/** At most this many closed steps per series are scored from one batch (a day of 5-minute
 * steps): a fast replay still gets every step scored, a backlog after an outage is bounded. */
export const MAX_DUE_STEPS = 288;

export interface BatchOutcome {
  timings: StageTimings;
  due: DueSeries[];
  applied: number;
  rejected: Rejection[];
  skipped: number;
  redisRoundTrips: number;
  lastOffset: string;
  /** the partition's applied offset recorded in Redis, when the whole batch was skipped as already applied */
  appliedBeyond?: bigint;
  /** the offset the consumer group may commit (one past the applied offset Redis holds) */
  commitOffset: string;
  /** open steps were dropped (a failure, a rebalance): the partition must be read again from here */
  seekTo?: bigint;
  /** earliest event time among the series whose watermark the batch raised */
  earliestEventMs?: number;
}

export interface IngestDeps {
  cfg: IngestConfig;
  windows: WindowStore;
  costs: CostStore;
  /** Sends dead letters (with the batch's trace context); resolves once the broker has them. */
  deadLetter: (rejections: Rejection[], traceContext: Context) => Promise<void>;
  /** Wraps a Redis call in retries. */
  withRetry: <T>(fn: () => Promise<T>) => Promise<T>;
  now?: () => number;
}

/**
 * Decodes and checks every message; `accept` sees each decoded message with its index in
 * `messages` and throws to reject it (it must keep nothing of a message it rejects). `short`,
 * when given, is tried first: true when it took the message, false to decode it the general
 * way; it may throw like `accept`. Returns the rejections. Synchronous per message unless a decoder must wait (a schema id seen for
 * the first time).
 *
 * What one message can raise is that message's problem, never the batch's: a RejectedMessage
 * carries its reason, and any other exception (a stack overflow in a parser, a TypeError on
 * an unexpected shape, a broken invariant) rejects the message as `undecodable`. Only a
 * retriable ForesightError, raised by the infrastructure (the schema registry unreachable or
 * refusing us), fails the batch, which is retried.
 */
async function decodeAll(
  ref: PartitionRef,
  messages: KafkaMessage[],
  decode: MessageDecoder,
  accept: (d: Decoded, index: number) => void,
  short?: (value: Buffer | null, index: number) => boolean,
): Promise<Rejection[]> {
  const rejected: Rejection[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    try {
      checkMessageSize(m.value);
      if (short?.(m.value, i)) continue;
      let d = decode(m.value);
      if (d instanceof Promise) d = await d;
      accept(d, i);
    } catch (err) {
      if (err instanceof RejectedMessage) {
        rejected.push({ topic: ref.topic, partition: ref.partition, message: m, reason: err.reason, detail: err.message });
      } else if (err instanceof ForesightError && err.retriable) {
        throw err; // the registry down or refusing us: the batch is retried
      } else {
        const e = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        rejected.push({
          topic: ref.topic,
          partition: ref.partition,
          message: m,
          reason: 'undecodable',
          detail: `decoding or validating the message failed: ${e.slice(0, 300)}`,
        });
      }
    }
  }
  return rejected;
}

export class IngestPipeline {
  private readonly state = new Map<string, PartitionState>();
  /** partitions whose handled events beyond the applied offset were dropped: read again from there */
  private readonly dropped = new Set<string>();
  /** per partition, the call in progress (batches and writes of open steps take turns) */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: IngestDeps) {}

  /** Forget cached partition state (after a rebalance): open steps are dropped, and read again from Kafka. */
  reset(): void {
    for (const key of [...this.state.keys()]) this.discard(key);
  }

  /**
   * Base the partition's next batch on this applied offset, as read by the caller
   * (ingest/state-guard.ts); `seeking`: the caller sends the consumer where it must read from.
   */
  prime(ref: PartitionRef, applied: bigint, seeking = false): void {
    const key = `${ref.topic}:${ref.partition}`;
    this.discard(key);
    if (seeking) this.dropped.delete(key);
    this.state.set(key, freshState(applied));
  }

  /** Drops the partition's state; if it had handled events Redis does not hold, the partition is read again. */
  private discard(key: string): void {
    const s = this.state.get(key);
    if (s && s.processed > s.applied) this.dropped.add(key);
    this.state.delete(key);
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.busy.get(key) ?? Promise.resolve()).then(fn, fn);
    this.busy.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  private async stateOf(ref: PartitionRef, billing: boolean): Promise<{ s: PartitionState; trips: number }> {
    const key = `${ref.topic}:${ref.partition}`;
    let s = this.state.get(key);
    if (s) return { s, trips: 0 };
    const applied = await this.deps.withRetry(() => (billing ? this.deps.costs.appliedOffset(ref) : this.deps.windows.appliedOffset(ref)));
    s = freshState(applied);
    this.state.set(key, s);
    return { s, trips: 1 };
  }

  /**
   * Writes the partition's open steps: all of them (shutdown, or the partition had no batch
   * for IDLE_FLUSH_MS), else those of series silent for MAX_SILENT_MS or open for MAX_OPEN_MS (a timer calls this). Returns
   * the offset to commit, or undefined when nothing was written.
   */
  flushOpen(ref: PartitionRef, shutdown: boolean): Promise<string | undefined> {
    const key = `${ref.topic}:${ref.partition}`;
    return this.serial(key, async () => {
      const s = this.state.get(key);
      if (!s || s.win.open.size === 0) return undefined;
      const now = (this.deps.now ?? Date.now)();
      const all = shutdown || now - s.lastBatchAt >= IDLE_FLUSH_MS;
      const batch = all
        ? closeAll(s.win)
        : openAggregate(new EventColumns(), () => 0, s.win, { ...this.openOptions(now), clock: { maxSilentMs: MAX_SILENT_MS, maxOpenMs: MAX_OPEN_MS } });
      if (batch.agg.deltas.size === 0) return undefined;
      const applied = BigInt(safeOffset(s.win, Number(s.processed)));
      try {
        const outcome = await this.deps.withRetry(() =>
          this.deps.windows.applyBatch(ref, s.applied, applied.toString(), batch.agg, now - this.deps.cfg.maxEventAgeMs, s.expiring, {
            seen: s.processed.toString(),
            written: batch.written,
          }),
        );
        if (outcome.status !== 'applied') throw new Error(`partition ${ref.topic}/${ref.partition}: state changed under the open steps' write`);
      } catch (err) {
        this.discard(key);
        throw err;
      }
      markWritten(s.win, batch);
      s.applied = applied;
      return (applied + 1n).toString();
    });
  }

  /** The partitions with open steps. */
  openPartitions(): PartitionRef[] {
    const out: PartitionRef[] = [];
    for (const [key, s] of this.state) {
      if (s.win.open.size === 0) continue;
      const i = key.lastIndexOf(':');
      out.push({ topic: key.slice(0, i), partition: Number(key.slice(i + 1)) });
    }
    return out;
  }

  private openOptions(now: number) {
    return { stepMs: SCORING_STEP_MS, allowedLatenessMs: this.deps.cfg.allowedLatenessMs, now };
  }

  handle(
    ref: PartitionRef,
    messages: KafkaMessage[],
    decode: MessageDecoder,
    billing: boolean,
    traceContext: Context = context.active(),
  ): Promise<BatchOutcome> {
    const key = `${ref.topic}:${ref.partition}`;
    return this.serial(key, async () => {
      try {
        const out = await this.handleBatch(ref, messages, decode, billing, traceContext);
        // when the batch ended: a partition is quiet only once no batch came for IDLE_FLUSH_MS after it
        const s = this.state.get(key);
        if (s) s.lastBatchAt = (this.deps.now ?? Date.now)();
        return out;
      } catch (err) {
        this.discard(key); // a half-done batch left its events in the open steps
        throw err;
      }
    });
  }

  private async handleBatch(
    ref: PartitionRef,
    messages: KafkaMessage[],
    decode: MessageDecoder,
    billing: boolean,
    traceContext: Context,
  ): Promise<BatchOutcome> {
    const key = `${ref.topic}:${ref.partition}`;
    const lastOffset = messages[messages.length - 1].offset;
    const timings: StageTimings = { decode: 0, window: 0, redis: 0, deadLetter: 0 };
    let trips = 0;
    for (let attempt = 0; ; attempt++) {
      const { s, trips: t } = await this.stateOf(ref, billing);
      trips += t;
      const commitOffset = (s.applied + 1n).toString();
      if (this.dropped.has(key)) {
        // events handled before were dropped with their open steps: read them again
        this.dropped.delete(key);
        if (BigInt(messages[0].offset) > s.applied + 1n)
          return { timings, due: [], applied: 0, rejected: [], skipped: 0, redisRoundTrips: trips, lastOffset, commitOffset, seekTo: s.applied + 1n };
      }
      // offsets rise within a batch: most batches are wholly fresh, with no BigInt per message
      const fresh = BigInt(messages[0].offset) > s.processed ? messages : messages.filter((m) => BigInt(m.offset) > s.processed);
      if (fresh.length === 0)
        return {
          timings,
          due: [],
          applied: 0,
          rejected: [],
          skipped: messages.length,
          redisRoundTrips: trips,
          lastOffset,
          commitOffset,
          appliedBeyond: s.applied,
        };
      const r = billing
        ? await this.billingBatch(ref, s, fresh, decode, lastOffset, timings, traceContext)
        : await this.metricsBatch(ref, s, fresh, decode, lastOffset, timings, traceContext);
      trips += r.trips;
      if (r.outcome.status === 'applied') {
        s.applied = r.appliedTo;
        s.processed = BigInt(lastOffset);
        const due: DueSeries[] = [];
        let earliestEventMs: number | undefined;
        for (const [id, before] of r.raisedFrom) {
          const wm = s.win.watermarks.get(id)!;
          const last = Math.floor(wm / SCORING_STEP_MS);
          const firstEvent = r.firstOf(id);
          if (firstEvent && (earliestEventMs === undefined || firstEvent.earliestMs < earliestEventMs)) earliestEventMs = firstEvent.earliestMs;
          // a series new to this partition: steps count from its first event here, not a day back
          const since = Number.isFinite(before) ? before : (firstEvent?.earliestMs ?? wm);
          const first = Math.max(Math.floor(since / SCORING_STEP_MS) + 1, last - MAX_DUE_STEPS + 1);
          const traceparent = firstEvent?.message ? traceparentOf(firstEvent.message.headers) : undefined;
          for (let k = first; k <= last; k++) due.push({ seriesId: id, stepEndMs: k * SCORING_STEP_MS, traceparent });
        }
        return {
          timings,
          due,
          applied: r.applied,
          rejected: r.rejected,
          skipped: messages.length - fresh.length + r.replayed,
          redisRoundTrips: trips,
          lastOffset,
          commitOffset: (s.applied + 1n).toString(),
          earliestEventMs,
        };
      }
      // stale view: re-read the state and redo the batch (from the applied offset, if open steps were dropped); unless Redis went backwards (lost data)
      this.discard(key);
      if (r.outcome.status === 'stale' && r.outcome.storedOffset < s.applied) throw new StateLostError(ref, s.applied, r.outcome.storedOffset);
      if (attempt >= 5) throw new Error(`partition ${ref.topic}/${ref.partition}: state kept changing under the batch (another consumer?)`);
    }
  }

  private async metricsBatch(
    ref: PartitionRef,
    s: PartitionState,
    messages: KafkaMessage[],
    decode: MessageDecoder,
    lastOffset: string,
    timings: StageTimings,
    traceContext: Context,
  ) {
    const now = (this.deps.now ?? Date.now)();
    let t = performance.now();
    const lap = (stage: keyof StageTimings): void => {
      const n = performance.now();
      timings[stage] += n - t;
      t = n;
    };
    const events = new EventColumns();
    const reader = decode.samples;
    const rejected = await decodeAll(
      ref,
      messages,
      decode,
      (d, index) => {
        if (d.kind !== 'metric') throw new RejectedMessage('invalid-field', 'a billing row on a metrics input');
        for (const sample of d.samples) checkSample(sample, this.deps.cfg, now);
        const ids = d.samples.map((smp) => seriesIdOf(smp));
        d.samples.forEach((smp, k) => events.push(index, ids[k], smp.eventTime, smp.value));
        if (reader && d.samples.length === 1) reader.remember(messages[index].value!, d.samples[0]);
      },
      // a sample of our schema whose identity was seen: read straight from the buffer (codec/sample-reader.ts)
      reader &&
        ((value, index) => {
          if (!reader.read(value)) return false;
          checkReading(reader, this.deps.cfg, now);
          events.push(index, reader.seriesId, reader.eventTime, reader.value);
          return true;
        }),
    );
    let trips = 0;
    lap('decode');
    const win = s.win;
    if (!s.seenLoaded) {
      win.seen = (await this.deps.withRetry(() => this.deps.windows.openMarks(ref, []))).seen;
      s.seenLoaded = true;
      trips++;
    }
    const unseen = new Set<string>();
    for (const id of events.seriesId) if (!win.watermarks.has(id)) unseen.add(id);
    if (unseen.size > 0) {
      const ids = [...unseen];
      // replaying after a crash: which of these series' events Redis holds already
      const replaying = Number(messages[0].offset) <= win.seen;
      const [loaded, marks] = await this.deps.withRetry(() =>
        Promise.all([this.deps.windows.watermarks(ref, ids), replaying ? this.deps.windows.openMarks(ref, ids) : undefined]),
      );
      trips++;
      for (const id of ids) {
        const wm = loaded.get(id) ?? -Infinity;
        win.watermarks.set(id, wm);
        win.stored.set(id, wm);
        const w = marks?.written.get(id);
        if (w !== undefined) win.written.set(id, w);
      }
    }
    lap('redis');
    const batch: OpenBatch = openAggregate(events, (m) => Number(messages[m].offset), win, this.openOptions(now));
    const agg = batch.agg;
    const lateByMessage = new Map<number, string[]>();
    for (const { event, watermark } of agg.late) {
      const list = lateByMessage.get(event.message) ?? [];
      list.push(
        `${event.seriesId} at ${new Date(event.eventTime).toISOString()} is ${Math.round((watermark - event.eventTime) / 1000)} s behind the series' newest event (allowed ${this.deps.cfg.allowedLatenessMs / 1000} s)`,
      );
      lateByMessage.set(event.message, list);
    }
    for (const [index, details] of lateByMessage) {
      rejected.push({ topic: ref.topic, partition: ref.partition, message: messages[index], reason: 'late', detail: details.join('; ') });
    }
    rejected.sort((a, b) => Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
    lap('window');
    // dead letters of offsets handled before a crash were sent then
    const toSend = win.seen < 0 || Number(messages[0].offset) > win.seen ? rejected : rejected.filter((r) => Number(r.message.offset) > win.seen);
    await this.deps.deadLetter(toSend, traceContext);
    lap('deadLetter');
    const trimBefore = now - this.deps.cfg.maxEventAgeMs;
    const appliedTo = BigInt(safeOffset(win, Number(lastOffset)));
    let outcome: ApplyOutcome = { status: 'applied', merged: 0, created: 0, roundTrips: 1 };
    // nothing to write and no dead letter to remember: no script call
    if (agg.deltas.size > 0 || rejected.length > 0 || appliedTo !== s.applied) {
      outcome = await this.deps.withRetry(() =>
        this.deps.windows.applyBatch(ref, s.applied, appliedTo.toString(), agg, trimBefore, s.expiring, { seen: lastOffset, written: batch.written }),
      );
      trips++;
      if (outcome.status === 'applied') markWritten(win, batch);
    }
    lap('redis');
    // the series' first accepted event in the batch: where its due steps start, and its trace
    const firstOf = (id: string): FirstEvent | undefined => {
      const f = batch.series.get(id);
      return f && { earliestMs: f.earliestMs, message: messages[f.message] };
    };
    return { outcome, applied: agg.accepted, rejected, raisedFrom: raisedOf(win, batch), replayed: batch.replayed, appliedTo, firstOf, trips };
  }

  private async billingBatch(
    ref: PartitionRef,
    s: PartitionState,
    messages: KafkaMessage[],
    decode: MessageDecoder,
    lastOffset: string,
    timings: StageTimings,
    traceContext: Context,
  ) {
    const t0 = performance.now();
    const now = (this.deps.now ?? Date.now)();
    const increments: CostIncrement[] = [];
    let rows = 0;
    const rejected = await decodeAll(ref, messages, decode, (d) => {
      if (d.kind !== 'billing') throw new RejectedMessage('invalid-field', 'a metric sample on a billing input');
      for (const row of d.rows) checkBilling(row, this.deps.cfg, now);
      const mine = d.rows.flatMap((row) => costIncrements(row));
      for (const inc of mine) increments.push(inc);
      rows += d.rows.length;
    });
    await this.deps.deadLetter(rejected, traceContext);
    const t1 = performance.now();
    const outcome = await this.deps.withRetry(() => this.deps.costs.applyBatch(ref, s.applied, lastOffset, increments));
    timings.decode += t1 - t0;
    timings.redis += performance.now() - t1;
    return {
      outcome,
      applied: rows,
      rejected,
      raisedFrom: [] as [string, number][],
      replayed: 0,
      appliedTo: BigInt(lastOffset),
      firstOf: (): FirstEvent | undefined => undefined,
      trips: 1,
    };
  }
}

function freshState(applied: bigint): PartitionState {
  return { applied, processed: applied, win: emptyOpenPartition(), seenLoaded: false, lastBatchAt: 0, expiring: new ExpiryCache() };
}
