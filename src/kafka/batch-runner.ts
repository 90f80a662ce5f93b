/**
 * A consumer-group runner around kafkajs's eachBatch, as a chain of small steps:
 * fetch (kafkajs) → handle the batch (the caller's atomic step) → resolve the batch's last
 * offset → heartbeat → commit (kafkajs's auto-commit of resolved offsets only).
 *
 * Offsets are resolved only after the handler returned, so a batch that failed or was
 * interrupted is fetched again; the handler makes re-application a no-op. On stop the batch
 * in hand finishes, the resolved offsets are committed and the consumer leaves the group.
 */
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../telemetry/log.js';

export interface Batch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /** Messages behind the high watermark after this batch (consumer lag). */
  lag: bigint;
}

export type BatchHandler = (batch: Batch) => Promise<void>;

export interface RunnerOptions {
  groupId: string;
  topics: string[];
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  fromBeginning?: boolean;
  /** Partitions processed at the same time (each stays in order): overlaps one partition's
   * decoding with another's Redis call. */
  partitionsConcurrently?: number;
  /** Called when the consumer has joined the group (readiness). */
  onJoin?: () => void;
  /**
   * A fetch waits up to this long for `minBytes` (broker-side linger): what arrives within the
   * window comes in one batch. Default: kafkajs's (5 s wait, 1 byte, i.e. no linger).
   */
  lingerMs?: number;
}

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
      maxBytesPerPartition: 4 * 1024 * 1024,
      ...(opts.lingerMs !== undefined ? { minBytes: 1024 * 1024, maxWaitTimeInMs: opts.lingerMs } : {}),
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.log.info({ groupId: opts.groupId, assignment: e.payload.memberAssignment }, 'joined consumer group');
      opts.onJoin?.();
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.log.error({ err: String(e.payload.error), restart: e.payload.restart }, 'consumer crashed');
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (this.stopping || !isRunning() || isStale() || batch.messages.length === 0) return;
        await this.handler({ topic: batch.topic, partition: batch.partition, messages: batch.messages, lag: BigInt(batch.offsetLag()) });
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await heartbeat();
      },
    });
  }

  /** Finishes the batch in hand, commits resolved offsets and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
  }
}
