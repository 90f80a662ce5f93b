/**
 * Per-partition state in Redis: the applied offset and the per-series totals. Every key of a
 * partition shares the hash tag {<topic>:<partition>}, so a batch's update is one script call
 * on one Redis Cluster slot.
 */
import type { Redis } from 'ioredis';
import { applyTotals, defineScripts, type ApplyResult, type TotalsEvent } from './scripts.js';

export interface SeriesTotal {
  seriesId: string;
  count: number;
  sum: number;
}

export class TotalsStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    defineScripts(redis);
  }

  keys(topic: string, partition: number): { applied: string; totals: string } {
    const tag = `{${topic}:${partition}}`;
    return { applied: `${this.prefix}:${tag}:applied`, totals: `${this.prefix}:${tag}:totals` };
  }

  async appliedOffset(topic: string, partition: number): Promise<bigint> {
    const v = await this.redis.get(this.keys(topic, partition).applied);
    return v === null ? -1n : BigInt(v);
  }

  apply(topic: string, partition: number, events: TotalsEvent[], lastOffset: string): Promise<ApplyResult> {
    return applyTotals(this.redis, this.keys(topic, partition), events, lastOffset);
  }

  /** All series totals of a topic, summed over its partitions. */
  async totals(topic: string): Promise<Map<string, SeriesTotal>> {
    const out = new Map<string, SeriesTotal>();
    const stream = this.redis.scanStream({ match: `${this.prefix}:{${topic}:*}:totals`, count: 1000 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      for (const key of keys) {
        const h = await this.redis.hgetall(key);
        for (const [field, value] of Object.entries(h)) {
          const bar = field.lastIndexOf('|');
          const seriesId = field.slice(0, bar);
          const t = out.get(seriesId) ?? { seriesId, count: 0, sum: 0 };
          if (field.endsWith('|count')) t.count += Number(value);
          else t.sum += Number(value);
          out.set(seriesId, t);
        }
      }
    }
    return out;
  }
}
