/** Reading back everything the processor wrote, for comparisons field by field. */
import assert from 'node:assert/strict';
import { scanKeys, type Redis } from '../../src/windows/redis-client.js';
import type { Kafka } from 'kafkajs';
import { decodeBucket } from '../../src/windows/bucket-codec.js';
import { WindowStore } from '../../src/windows/window-store.js';
import { committedOffsets } from './kafka.js';

export interface PlainBucket {
  count: number;
  zeros: number;
  sum: number;
  min: number;
  max: number;
  bins: [number, number][];
}

/** key (without the prefix) → bucket field → bucket, for every window chunk under `prefix`. */
export async function snapshotWindows(redis: Redis, prefix: string): Promise<Record<string, Record<string, PlainBucket>>> {
  const out: Record<string, Record<string, PlainBucket>> = {};
  for await (const { keys } of scanKeys(redis, `${prefix}:{*}:w2:*`)) {
    for (const key of keys) {
      const h = await redis.hgetallBuffer(key);
      const fields: Record<string, PlainBucket> = {};
      for (const [f, blob] of Object.entries(h)) {
        const s = decodeBucket(blob);
        fields[f] = { count: s.count, zeros: s.zeros, sum: s.sum, min: s.min, max: s.max, bins: [...s.bins.entries()].sort((a, b) => a[0] - b[0]) };
      }
      out[key.slice(prefix.length)] = fields;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Events applied, per series: the sum of counts over the coarse (1-hour) buckets. */
export async function appliedPerSeries(redis: Redis, prefix: string): Promise<Map<string, { count: number; sum: number }>> {
  const snap = await snapshotWindows(redis, prefix);
  const out = new Map<string, { count: number; sum: number }>();
  for (const [key, fields] of Object.entries(snap)) {
    const m = /:w2:(.+):h:\d+$/.exec(key);
    if (!m) continue;
    const t = out.get(m[1]) ?? { count: 0, sum: 0 };
    for (const b of Object.values(fields)) {
      t.count += b.count;
      t.sum += b.sum;
    }
    out.set(m[1], t);
  }
  return out;
}

export async function totalApplied(redis: Redis, prefix: string): Promise<number> {
  return [...(await appliedPerSeries(redis, prefix)).values()].reduce((a, t) => a + t.count, 0);
}

/** Asserts that the offsets a consumer group committed never pass what Redis applied, per partition. */
export async function assertCommittedWithinApplied(kafka: Kafka, redis: Redis, prefix: string, groupId: string, topic: string): Promise<void> {
  const store = new WindowStore(redis, prefix);
  for (const [partition, next] of await committedOffsets(kafka, groupId, topic)) {
    const applied = await store.appliedOffset({ topic, partition });
    assert.ok(next <= applied + 1n, `partition ${partition}: committed ${next} but applied only up to ${applied}`);
  }
}
