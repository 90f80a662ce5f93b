/**
 * Detects that Redis lost a partition's state and turns it into a rebuild from Kafka.
 *
 * While Redis keeps its data, a partition's applied offset never goes backwards, and the
 * consumer group's committed offset never passes it (+1): the runner commits a batch only
 * after its script call applied it. So Redis lost data (FLUSHALL, a restart without its
 * append-only file, an older snapshot restored) exactly when
 *
 *   - a running consumer's script call finds a lower applied offset than the one its batch was
 *     based on (the ingest pipeline throws StateLostError), or
 *   - at the first batch of a partition after joining the group (a restart, a rebalance), the
 *     committed offset is beyond the stored applied offset + 1. The committed offset is read
 *     before the applied one, so a commit racing the check cannot look like a loss.
 *
 * Then the consumer is sent back to where the windows need it (rebuild-plan.ts), one error
 * line per partition says so, and the partition's marks (windows/state-marks.ts) record how
 * far the rebuild runs (below it nothing is scored or dead-lettered again: that was done
 * before the loss) and, when Kafka no longer holds the events, that the history is
 * incomplete (the recommendation loop waits for new evidence). Re-applying is safe: the
 * script's applied-offset check still makes every batch count once.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Redis } from '../windows/redis-client.js';
import type { Logger } from '../telemetry/log.js';
import { errorMessage } from '../util/errors.js';
import { retry } from '../util/retry.js';
import type { PartitionRef } from '../windows/redis-keys.js';
import { clearRebuild, markLost, readPartitionMarks, setCompleteFrom } from '../windows/state-marks.js';
import { planRebuild } from './rebuild-plan.js';

export interface StateGuardDeps {
  kafka: Kafka;
  redis: Redis;
  prefix: string;
  groupId: string;
  /** FORESIGHT_MAX_EVENT_AGE_MS: how far back the windows need events */
  maxEventAgeMs: number;
  /** FORESIGHT_REPLAY_HISTORY: events of any age are accepted, so the rebuild reads all Kafka holds */
  replayHistory: boolean;
  log: Logger;
  /** counts each partition loss */
  onLost?: (ref: PartitionRef, missing: boolean) => void;
}

/** The partition may be applied on top of `applied`, or the consumer must first read from `seekTo`. */
export type Verdict = { applied: bigint; seekTo?: undefined } | { applied: bigint; seekTo: bigint };

const keyOf = (p: PartitionRef): string => `${p.topic}:${p.partition}`;

export class StateGuard {
  private admin?: Promise<Admin>;
  /** committed offsets per topic, read once per group join */
  private committed = new Map<string, Promise<Map<number, bigint>>>();
  /** partitions checked since the last join */
  private readonly verified = new Set<string>();
  /** partitions being rebuilt: offset (exclusive) the partition had reached before the loss */
  private readonly rebuilding = new Map<string, bigint>();
  /** partitions whose hole's end (event time) is still to be recorded */
  private readonly holeEnd = new Set<string>();

  constructor(private readonly d: StateGuardDeps) {}

  /** Partitions may have moved: check each again at its next batch. */
  reset(): void {
    this.verified.clear();
    this.committed.clear();
  }

  /**
   * Called before a partition's batch. Checks the partition once per group join; returns the
   * applied offset to base the batch on (undefined: already checked, the pipeline's cached
   * state holds), or where to seek first.
   */
  async check(ref: PartitionRef): Promise<Verdict | undefined> {
    const key = keyOf(ref);
    if (this.verified.has(key)) return undefined;
    const committed = (await this.committedOffsets(ref.topic)).get(ref.partition) ?? -1n;
    const { applied, rebuildUntil } = await retry(() => readPartitionMarks(this.d.redis, this.d.prefix, ref), { retries: 30, maxDelayMs: 2_000 });
    if (committed > applied + 1n) return this.lost(ref, applied, committed, rebuildUntil);
    this.verified.add(key);
    if (rebuildUntil !== undefined && rebuildUntil > applied + 1n) this.rebuilding.set(key, rebuildUntil);
    else this.rebuilding.delete(key);
    return { applied };
  }

  /** The pipeline found `stored` where it had applied `expected`. */
  async stateLost(ref: PartitionRef, expected: bigint, stored: bigint): Promise<Verdict> {
    const { rebuildUntil } = await retry(() => readPartitionMarks(this.d.redis, this.d.prefix, ref), { retries: 30, maxDelayMs: 2_000 });
    return this.lost(ref, stored, expected + 1n, rebuildUntil);
  }

  /** Is this offset of the partition applied again by a rebuild (scored and dead-lettered before the loss)? */
  isRebuilt(ref: PartitionRef, offset: bigint): boolean {
    const until = this.rebuilding.get(keyOf(ref));
    return until !== undefined && offset < until;
  }

  /** After a batch applied: ends the rebuild once past its mark, records where a hole ended. */
  async applied(ref: PartitionRef, lastOffset: bigint, earliestEventMs: number | undefined): Promise<void> {
    const key = keyOf(ref);
    const until = this.rebuilding.get(key);
    if (until !== undefined && lastOffset + 1n >= until) {
      this.rebuilding.delete(key);
      await clearRebuild(this.d.redis, this.d.prefix, ref);
      this.d.log.info({ topic: ref.topic, partition: ref.partition, offset: String(lastOffset) }, 'partition state rebuilt from Kafka; scoring resumes');
    }
    if (this.holeEnd.has(key) && earliestEventMs !== undefined) {
      this.holeEnd.delete(key);
      await setCompleteFrom(this.d.redis, this.d.prefix, ref, earliestEventMs);
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  private async lost(ref: PartitionRef, stored: bigint, position: bigint, markedUntil: bigint | undefined): Promise<Verdict> {
    const key = keyOf(ref);
    // a second loss during a rebuild: the first one's mark may still be there
    const until = markedUntil !== undefined && markedUntil > position ? markedUntil : position;
    const { low, byTime } = await this.offsets(ref);
    const plan = planRebuild({ stored, position: until, low, byTime });
    await retry(() => markLost(this.d.redis, this.d.prefix, ref, until, plan.missing), { retries: 30, maxDelayMs: 2_000 });
    this.verified.add(key);
    this.rebuilding.set(key, until);
    if (plan.missing) this.holeEnd.add(key);
    else this.holeEnd.delete(key);
    this.d.onLost?.(ref, plan.missing !== undefined);
    const fields = {
      topic: ref.topic,
      partition: ref.partition,
      appliedInRedis: String(stored),
      appliedBefore: String(until - 1n),
      rebuildFrom: String(plan.seekTo),
    };
    if (plan.missing) {
      this.d.log.error(
        { ...fields, missingOffsets: `${plan.missing.from}-${plan.missing.to - 1n}` },
        "Redis lost this partition's window state, and Kafka retention no longer holds all of it: the events of the missing offsets are lost for good. Rebuilding the windows from the earliest offset Kafka holds; the history is marked incomplete, so this partition's series get no recommendation or alert until they have a full window of new evidence",
      );
    } else {
      this.d.log.error(
        fields,
        "Redis lost this partition's window state (its applied offset is behind what was applied); rebuilding the windows from Kafka, nothing is missing",
      );
    }
    return { applied: stored, seekTo: plan.seekTo };
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.d.kafka.admin();
      await admin.connect();
      return admin;
    })();
    this.admin.catch(() => {
      this.admin = undefined; // the next call connects again
    });
    return this.admin;
  }

  private committedOffsets(topic: string): Promise<Map<number, bigint>> {
    let m = this.committed.get(topic);
    if (!m) {
      m = this.kafkaCall(async (admin) => {
        const [t] = await admin.fetchOffsets({ groupId: this.d.groupId, topics: [topic] });
        return new Map((t?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      });
      m.catch(() => this.committed.delete(topic));
      this.committed.set(topic, m);
    }
    return m;
  }

  /** The partition's earliest offset and the first one within the windows' retention. */
  private offsets(ref: PartitionRef): Promise<{ low: bigint; byTime: bigint }> {
    return this.kafkaCall(async (admin) => {
      const all = await admin.fetchTopicOffsets(ref.topic);
      const low = BigInt(all.find((p) => p.partition === ref.partition)?.low ?? '0');
      if (this.d.replayHistory) return { low, byTime: low };
      const byTs = await admin.fetchTopicOffsetsByTimestamp(ref.topic, Date.now() - this.d.maxEventAgeMs);
      const byTime = BigInt(byTs.find((p) => p.partition === ref.partition)?.offset ?? String(low));
      return { low, byTime };
    });
  }

  private kafkaCall<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    return retry(async () => fn(await this.connectedAdmin()), {
      retries: 10,
      initialDelayMs: 200,
      onRetry: (err, attempt) => this.d.log.warn({ err: errorMessage(err), attempt }, 'reading consumer offsets failed; retrying'),
    });
  }
}
