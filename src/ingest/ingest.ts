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
import { aggregateBatch, EventColumns } from '../windows/aggregate.js';
import { costIncrements, type CostIncrement } from '../windows/billing.js';
import type { CostStore } from '../windows/cost-store.js';
import { StateLostError } from '../windows/state-marks.js';
import { ExpiryCache, type ApplyOutcome, type PartitionRef, type WindowStore } from '../windows/window-store.js';
import type { DueSeries } from '../recommend/due-series.js';

export interface PartitionState {
  applied: bigint;
  watermarks: Map<string, number>;
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

  constructor(private readonly deps: IngestDeps) {}

  /** Forget cached partition state (after a rebalance). */
  reset(): void {
    this.state.clear();
  }

  /** Base the partition's next batch on this applied offset, as read by the caller (ingest/state-guard.ts). */
  prime(ref: PartitionRef, applied: bigint): void {
    this.state.set(`${ref.topic}:${ref.partition}`, { applied, watermarks: new Map(), expiring: new ExpiryCache() });
  }

  private async stateOf(ref: PartitionRef, billing: boolean): Promise<{ s: PartitionState; trips: number }> {
    const key = `${ref.topic}:${ref.partition}`;
    let s = this.state.get(key);
    if (s) return { s, trips: 0 };
    const applied = await this.deps.withRetry(() => (billing ? this.deps.costs.appliedOffset(ref) : this.deps.windows.appliedOffset(ref)));
    s = { applied, watermarks: new Map(), expiring: new ExpiryCache() };
    this.state.set(key, s);
    return { s, trips: 1 };
  }

  async handle(
    ref: PartitionRef,
    messages: KafkaMessage[],
    decode: MessageDecoder,
    billing: boolean,
    traceContext: Context = context.active(),
  ): Promise<BatchOutcome> {
    const lastOffset = messages[messages.length - 1].offset;
    const timings: StageTimings = { decode: 0, window: 0, redis: 0, deadLetter: 0 };
    let trips = 0;
    for (let attempt = 0; ; attempt++) {
      const { s, trips: t } = await this.stateOf(ref, billing);
      trips += t;
      // offsets rise within a batch: most batches are wholly fresh, with no BigInt per message
      const fresh = BigInt(messages[0].offset) > s.applied ? messages : messages.filter((m) => BigInt(m.offset) > s.applied);
      if (fresh.length === 0)
        return { timings, due: [], applied: 0, rejected: [], skipped: messages.length, redisRoundTrips: trips, lastOffset, appliedBeyond: s.applied };
      const r = billing
        ? await this.billingBatch(ref, s, fresh, decode, lastOffset, timings, traceContext)
        : await this.metricsBatch(ref, s, fresh, decode, lastOffset, timings, traceContext);
      trips += r.trips;
      if (r.outcome.status === 'applied') {
        s.applied = BigInt(lastOffset);
        const due: DueSeries[] = [];
        let earliestEventMs: number | undefined;
        for (const [id, wm] of r.watermarks) {
          const before = s.watermarks.get(id) ?? -Infinity;
          const last = Math.floor(wm / SCORING_STEP_MS);
          const firstEvent = r.firstOf(id);
          if (firstEvent && (earliestEventMs === undefined || firstEvent.earliestMs < earliestEventMs)) earliestEventMs = firstEvent.earliestMs;
          // a series new to this partition: steps count from its first event here, not a day back
          const since = Number.isFinite(before) ? before : (firstEvent?.earliestMs ?? wm);
          const first = Math.max(Math.floor(since / SCORING_STEP_MS) + 1, last - MAX_DUE_STEPS + 1);
          const traceparent = firstEvent?.message ? traceparentOf(firstEvent.message.headers) : undefined;
          for (let k = first; k <= last; k++) due.push({ seriesId: id, stepEndMs: k * SCORING_STEP_MS, traceparent });
          s.watermarks.set(id, wm);
        }
        return {
          timings,
          due,
          applied: r.applied,
          rejected: r.rejected,
          skipped: messages.length - fresh.length,
          redisRoundTrips: trips,
          lastOffset,
          earliestEventMs,
        };
      }
      // stale view: re-read the state and redo the batch; unless Redis went backwards (lost data)
      this.state.delete(`${ref.topic}:${ref.partition}`);
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
    const unseen = new Set<string>();
    for (const id of events.seriesId) if (!s.watermarks.has(id)) unseen.add(id);
    if (unseen.size > 0) {
      const ids = [...unseen];
      const loaded = await this.deps.withRetry(() => this.deps.windows.watermarks(ref, ids));
      trips++;
      for (const id of ids) s.watermarks.set(id, loaded.get(id) ?? -Infinity);
    }
    lap('redis');
    const agg = aggregateBatch(events, s.watermarks, this.deps.cfg.allowedLatenessMs);
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
    await this.deps.deadLetter(rejected, traceContext);
    lap('deadLetter');
    const trimBefore = now - this.deps.cfg.maxEventAgeMs;
    const outcome: ApplyOutcome = await this.deps.withRetry(() => this.deps.windows.applyBatch(ref, s.applied, lastOffset, agg, trimBefore, s.expiring));
    trips++;
    lap('redis');
    // the series' first accepted event in the batch: where its due steps start, and its trace
    const firstOf = (id: string): FirstEvent | undefined => {
      const d = agg.deltas.get(id);
      return d && { earliestMs: d.earliestMs, message: messages[d.firstMessage] };
    };
    return { outcome, applied: agg.accepted, rejected, watermarks: agg.watermarks, firstOf, trips };
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
    return { outcome, applied: rows, rejected, watermarks: new Map<string, number>(), firstOf: (): FirstEvent | undefined => undefined, trips: 1 };
  }
}
