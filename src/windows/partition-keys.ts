/**
 * Keys of one source partition's state. Every key of a partition carries the hash tag
 * {<topic>:<partition>}, so one batch's update is one script call on one Redis Cluster slot;
 * the applied offset is the record both the window and the cost stores check against.
 */
import type { Redis } from 'ioredis';

export interface PartitionRef {
  topic: string;
  partition: number;
}

export function partitionTag(prefix: string, p: PartitionRef): string {
  return `${prefix}:{${p.topic}:${p.partition}}`;
}

export function appliedOffsetKey(prefix: string, p: PartitionRef): string {
  return `${partitionTag(prefix, p)}:applied`;
}

/** The last offset of the partition applied to Redis, or -1. */
export async function readAppliedOffset(redis: Redis, prefix: string, p: PartitionRef): Promise<bigint> {
  const v = await redis.get(appliedOffsetKey(prefix, p));
  return v === null ? -1n : BigInt(v);
}
