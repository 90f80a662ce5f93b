/**
 * A consumer-group runner around kafkajs's eachBatch, as a chain of small steps:
 * fetch (kafkajs) → handle the batch (the caller's atomic step) → commit its offset.
 *
 * Two modes:
 * - in step (default): the batch's offset is resolved after the handler returned, and
 *   kafkajs auto-commits resolved offsets. kafkajs fetches again only when every batch of
 *   the last fetch is handled, so fetching and handling take turns.
 * - pipelined: eachBatch hands the batch to a per-partition chain and returns at once, so
 *   kafkajs fetches the next batches while this one is handled (its fetch position moves
 *   on); a partition's batches are still handled one at a time, in order, and at most one
 *   more waits per partition. Offsets are committed by the runner, only for batches handled
 *   (every second and on stop). A handler failure seeks the partition back to the failed
 *   batch, drops the batches queued behind it and refetches them.
 *
 * In step, the group is heartbeaten while the handler runs; pipelined, while a fetched batch waits
 * for its partition's batch in hand (kafkajs's eachBatch call blocks on it meanwhile). So a long
 * handler (a Redis outage, a Git host's rate limit) is not taken for a dead member. In both modes
 * a batch that failed or was interrupted is fetched again and committed offsets never pass a
 * batch not handled; the handler makes re-application a no-op. On stop
 * the batches in hand finish, their offsets are committed and the consumer leaves the group.
 *
 * A handler may also answer `{ seekTo }` instead of handling the batch (the processor does
 * when Redis lost the partition's state and the windows are rebuilt from earlier offsets):
 * the batch is not committed, the partition is sought there, and batches fetched before the
 * seek are dropped (kafkajs marks them stale), so the partition resumes exactly there.
 * `prepare` runs for every assigned partition when the consumer joins the group, before the
 * partition's first batch is handled, and may answer the same (a partition with nothing new
 * to fetch is checked too).
 */
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../telemetry/log.js';
import { backoffDelayMs, sleep } from '../util/retry.js';

export interface Batch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /** Messages behind the high watermark after this batch (consumer lag). */
  lag: bigint;
}

/** Read the partition from this offset on instead (the batch was not handled). */
export interface Reposition {
  seekTo: string;
}

export type BatchHandler = (batch: Batch) => Promise<void | Reposition>;

export interface RunnerOptions {
  groupId: string;
  topics: string[];
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  fromBeginning?: boolean;
  /** Partitions processed at the same time (each stays in order): overlaps one partition's
   * decoding with another's Redis call. In pipelined mode, also the most batches handled at
   * once. */
  partitionsConcurrently?: number;
  /** Called when the consumer has joined the group (readiness). */
  onJoin?: () => void;
  /** Called for each assigned partition after onJoin; its batches wait for it (see the header). */
  prepare?: (p: { topic: string; partition: number }) => Promise<void | Reposition>;
  /**
   * A fetch waits up to this long for `minBytes` (broker-side linger): what arrives within the
   * window comes in one batch. Default: kafkajs's (5 s wait, 1 byte, i.e. no linger).
   */
  lingerMs?: number;
  /** the most bytes of one partition a fetch returns (default 4 MiB) */
  maxBytesPerPartition?: number;
  /** Handle a partition's batch while kafkajs fetches the next (see the header). */
  pipelined?: boolean;
  /**
   * The most messages one handler call gets: a larger fetched batch is handed over in slices of
   * at most this many, in order (a fetch's size counts bytes as stored, so a compressed topic
   * brings several times more messages than its bytes suggest). A failed slice refetches the
   * partition from the batch's first offset, as a failed batch does (the slices before it come
   * again; the handler makes re-application a no-op). Default: no limit.
   */
  maxMessagesPerCall?: number;
}

/** A partition's chain of batches in pipelined mode. */
interface PartitionChain {
  /** the batch being handled (resolves, never rejects) */
  tail: Promise<void>;
  /** first offset of a batch that failed: batches behind it are dropped until it is refetched */
  failedAt?: bigint;
  failures: number;
}

const COMMIT_INTERVAL_MS = 1_000;

export class BatchRunner {
  private readonly consumer: Consumer;
  private stopping = false;

  constructor(
    kafka: Kafka,
    private readonly opts: RunnerOptions,
    private readonly handler: BatchHandler,
    private readonly log: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: opts.heartbeatIntervalMs,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
      // a fetch's total (kafkajs's default 10 MiB) would otherwise cap a larger per-partition size
      maxBytes: Math.max(10 * 1024 * 1024, opts.maxBytesPerPartition ?? 0),
      ...(opts.lingerMs !== undefined ? { minBytes: 1024 * 1024, maxWaitTimeInMs: opts.lingerMs } : {}),
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.log.info({ groupId: opts.groupId, assignment: e.payload.memberAssignment }, 'joined consumer group');
      opts.onJoin?.();
      // emitted before kafkajs fetches for the new assignment: the partitions' first batches wait
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) for (const partition of partitions) this.prepare(topic, partition);
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.log.error({ err: String(e.payload.error), restart: e.payload.restart }, 'consumer crashed');
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? true });
    if (this.opts.pipelined) {
      this.commitTimer = setInterval(() => void this.commitHandled(), COMMIT_INTERVAL_MS);
      this.commitTimer.unref();
    }
    await this.consumer.run({
      autoCommit: !this.opts.pipelined,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (this.stopping || !isRunning() || isStale() || batch.messages.length === 0) return;
        const b: Batch = { topic: batch.topic, partition: batch.partition, messages: batch.messages, lag: BigInt(batch.offsetLag()) };
        if (this.opts.pipelined) {
          // a dropped batch is not resolved: the pending seek decides where the next fetch starts
          // waiting for the partition's batch in hand (a Redis outage can make that minutes) heartbeats too
          if (!(await this.whileHeartbeating(heartbeat, () => this.handOff(b, isStale)))) return;
        } else {
          await this.chains.get(`${b.topic}|${b.partition}`)?.tail; // the partition's prepare step
          if (isStale()) return;
          const r = await this.whileHeartbeating(heartbeat, () => this.handleSliced(b));
          if (r) {
            this.reposition(b.topic, b.partition, r, b.messages[0].offset);
            return;
          }
        }
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await heartbeat();
      },
    });
  }

  /**
   * Runs a batch's handler in step while heartbeating the group: kafkajs heartbeats only
   * between batches, so a handler that waits longer than the session timeout (the committer
   * waiting out a rate limit of the Git host for minutes) would otherwise be taken for dead,
   * its partitions reassigned and its batch handled twice. kafkajs sends at most one
   * heartbeat per heartbeat interval; one that fails (a rebalance under way) is left to the
   * next fetch to settle.
   */
  private async whileHeartbeating<T>(heartbeat: () => Promise<void>, run: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      heartbeat().catch((err: unknown) => this.log.debug({ err: String(err) }, 'heartbeat during a long batch failed'));
    }, this.opts.heartbeatIntervalMs);
    timer.unref();
    try {
      return await run();
    } finally {
      clearInterval(timer);
    }
  }

  private readonly chains = new Map<string, PartitionChain>();
  /** `topic|partition` → next offset to commit (one past the last batch handled) */
  private readonly handled = new Map<string, { topic: string; partition: number; offset: string }>();
  private commitTimer?: NodeJS.Timeout;

  private chainOf(topic: string, partition: number): PartitionChain {
    const key = `${topic}|${partition}`;
    let chain = this.chains.get(key);
    if (!chain) {
      chain = { tail: Promise.resolve(), failures: 0 };
      this.chains.set(key, chain);
    }
    return chain;
  }

  /** Runs `prepare` for a newly assigned partition, after the batch in hand, before the next. */
  private prepare(topic: string, partition: number): void {
    const prepare = this.opts.prepare;
    if (!prepare) return;
    const chain = this.chainOf(topic, partition);
    chain.tail = chain.tail
      .then(() => prepare({ topic, partition }))
      .then(
        (r) => {
          if (r) this.reposition(topic, partition, r);
        },
        (err: unknown) => this.log.warn({ err: String(err), topic, partition }, 'preparing the partition failed; its first batch checks again'),
      );
  }

  /**
   * Pipelined mode: waits for the partition's previous batch, then starts this one and
   * returns true. A batch behind a failure is dropped (false; the seek refetches it); the
   * refetched failed batch is retried after a backoff that grows with the failures in a row.
   * kafkajs applies a seek at its next fetch and discards what it fetched for the partition
   * meanwhile, so the partition resumes exactly at the failed batch.
   */
  private async handOff(b: Batch, isStale: () => boolean): Promise<boolean> {
    const key = `${b.topic}|${b.partition}`;
    const chain = this.chainOf(b.topic, b.partition);
    await chain.tail;
    if (this.stopping) return false; // not handled: not committed, fetched again by the next owner
    if (isStale()) return false; // the batch before it sought the partition: refetched from there
    const first = BigInt(b.messages[0].offset);
    if (chain.failedAt !== undefined) {
      if (first > chain.failedAt) return false; // fetched before the seek took effect: dropped, refetched
      chain.failedAt = undefined;
      await sleep(backoffDelayMs(chain.failures - 1, 500, 30_000));
      if (this.stopping) return false;
    }
    await this.acquireSlot();
    if (this.stopping) {
      this.releaseSlot();
      return false;
    }
    const c = chain;
    const last = b.messages[b.messages.length - 1].offset;
    c.tail = this.handleSliced(b)
      .finally(() => this.releaseSlot())
      .then(
        (r) => {
          c.failures = 0;
          if (r) this.reposition(b.topic, b.partition, r, b.messages[0].offset);
          else this.handled.set(key, { topic: b.topic, partition: b.partition, offset: (BigInt(last) + 1n).toString() });
        },
        (err: unknown) => {
          c.failures++;
          c.failedAt = first;
          this.log.error(
            { err: String(err), topic: b.topic, partition: b.partition, offset: b.messages[0].offset, failures: c.failures },
            'batch failed; refetching the partition from it',
          );
          if (!this.stopping) this.consumer.seek({ topic: b.topic, partition: b.partition, offset: b.messages[0].offset });
        },
      );
    return true;
  }

  /** The handler over the batch, in slices of at most maxMessagesPerCall messages; a reposition ends it there. */
  private async handleSliced(b: Batch): Promise<void | Reposition> {
    const max = this.opts.maxMessagesPerCall ?? Infinity;
    if (b.messages.length <= max) return this.handler(b);
    for (let i = 0; i < b.messages.length; i += max) {
      const messages = b.messages.slice(i, i + max);
      // the lag after this slice: the batch's own, plus its messages after the slice
      const r = await this.handler({ ...b, messages, lag: b.lag + BigInt(b.messages.length - i - messages.length) });
      if (r) return r;
    }
  }

  /** The handler asked to read the partition from another offset: nothing of the batch in hand is committed. */
  private reposition(topic: string, partition: number, r: Reposition, batchOffset?: string): void {
    this.handled.delete(`${topic}|${partition}`);
    this.log.info({ topic, partition, batchOffset, seekTo: r.seekTo }, 'partition sought');
    if (!this.stopping) this.consumer.seek({ topic, partition, offset: r.seekTo });
  }

  private busySlots = 0;
  private readonly slotWaiters: (() => void)[] = [];

  /** At most `partitionsConcurrently` batches are handled at once (pipelined mode). */
  private async acquireSlot(): Promise<void> {
    if (this.busySlots < (this.opts.partitionsConcurrently ?? 1)) {
      this.busySlots++;
      return;
    }
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve)); // the slot is handed over
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.busySlots--;
  }

  /** Commits the offsets of the batches handled since the last commit (pipelined mode). */
  private async commitHandled(): Promise<void> {
    if (this.handled.size === 0) return;
    const offsets = [...this.handled.values()];
    this.handled.clear();
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (err) {
      // not lost: a later commit carries newer offsets, and a restart redelivers (a no-op)
      for (const o of offsets) if (!this.handled.has(`${o.topic}|${o.partition}`)) this.handled.set(`${o.topic}|${o.partition}`, o);
      this.log.warn({ err: String(err) }, 'committing offsets failed; retrying with the next commit');
    }
  }

  /** Finishes the batches in hand, commits their offsets and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.opts.pipelined) {
      clearInterval(this.commitTimer);
      // no new batch starts once stopping; wait for those started (a chain may grow by one
      // batch that was already past its check), then commit while the consumer still runs
      const tails = () => [...this.chains.values()].map((c) => c.tail);
      for (let seen = tails(); ;) {
        await Promise.all(seen);
        const now = tails();
        if (now.length === seen.length && now.every((t, i) => t === seen[i])) break;
        seen = now;
      }
      await this.commitHandled();
    }
    await this.consumer.disconnect();
  }
}
