/**
 * Event-time windows in Redis. Per partition (hash tag {<topic>:<partition>}; keys named in redis-keys.ts):
 *
 *   <prefix>:{t:p}:applied                      last applied offset (string)
 *   <prefix>:{t:p}:series                       zset: seriesId → watermark (newest event ms)
 *   <prefix>:{t:p}:w2:<seriesId>:<m|f|h|q>:<chunk> hash: bucket offset in chunk → packed bucket
 *
 * Writes go through applyWindows-n.lua (one call per batch); reads of many series' last N
 * buckets are one pipelined round trip.
 */
import type { Redis } from './redis-client.js';
import { ForesightError } from '../util/errors.js';
import type { AggregateResult } from './aggregate.js';
import { type BucketTotals, bucketTotals, decodeBucket, encodeDeltaInto, encodedSize } from './bucket-codec.js';
import { bucketIndex, chunkExpireAt, chunkIndex, resolutionNamed, RESOLUTIONS, type Resolution, type ResolutionName } from './resolutions.js';
import { appliedOffsetKey, readAppliedOffset, seriesZsetKey, windowChunkKey, type PartitionRef } from './redis-keys.js';
import { loadScript, ScriptStatus } from './scripts.js';
import type { BucketDelta, Summary } from './sketch.js';

export type { PartitionRef };

export type ApplyOutcome = { status: 'applied'; merged: number; created: number; roundTrips: 1 } | { status: 'stale'; storedOffset: bigint };

/** ioredis flattens array arguments: one array keeps huge batches off the call stack. */
type RawApply = (numKeys: number, args: (string | Buffer | number)[]) => Promise<[number, ...unknown[]]>;

/** A series' chunk key at one resolution: its name and the expiry the apply script gave it (0: none yet). */
export interface ChunkEntry {
  readonly chunk: number;
  readonly key: string;
  expireAt: number;
}

/**
 * Per partition, for each series and resolution, the chunk key last written: its name, built
 * once rather than every batch, and the expiry the apply script set on it, so that the expiry
 * is set once per key, not once per batch. An expiry counts only while it is more than an hour
 * away (a key that expired and is written again gets its expiry again), and the cache is
 * emptied when it holds more than `max` series (it only saves work) or the partition's state
 * is re-read.
 */
export class ExpiryCache {
  private readonly series = new Map<string, (ChunkEntry | undefined)[]>();

  constructor(
    private readonly max = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The entry of the series' chunk `chunk` at resolution index `r` (RESOLUTIONS), if it is the one cached. */
  lookup(seriesId: string, r: number, chunk: number): ChunkEntry | undefined {
    const e = this.series.get(seriesId)?.[r];
    return e !== undefined && e.chunk === chunk ? e : undefined;
  }

  /** Caches the chunk's key name (replacing the series' earlier chunk at that resolution). */
  store(seriesId: string, r: number, chunk: number, key: string): ChunkEntry {
    let list = this.series.get(seriesId);
    if (!list) {
      if (this.series.size >= this.max) this.series.clear();
      list = [];
      this.series.set(seriesId, list);
    }
    const e: ChunkEntry = { chunk, key, expireAt: 0 };
    list[r] = e;
    return e;
  }

  /** Whether the script set this key's expiry to `at` already, and it is more than an hour away. */
  has(e: ChunkEntry, at: number): boolean {
    return e.expireAt === at && at > this.now() + 3_600_000;
  }
}

/** A chunk read for at most this many of its buckets asks for them by name (HMGET) instead of reading it whole. */
const PARTIAL_CHUNK_READ = 12;

/** A bucket's field name in its chunk hash (its index in the chunk), the common ones made once. */
const BUCKET_FIELDS = Array.from({ length: 1024 }, (_, i) => String(i));
const bucketField = (i: number): string => BUCKET_FIELDS[i] ?? String(i);

/**
 * The batch's watermark updates as the apply script reads them: u32 W, then per series u16 length
 * | its id (UTF-8) | u8 length | the watermark in decimal digits (what ZADD takes, so the script
 * need not format a number). A series id is a few hundred bytes at most (its parts are validated
 * Kubernetes names and a metric name, codec/k8s-names.ts).
 */
function packWatermarks(watermarks: Map<string, number>): Buffer {
  const times: string[] = [];
  let bytes = 4;
  for (const [seriesId, t] of watermarks) {
    const digits = String(t);
    times.push(digits);
    bytes += 3 + Buffer.byteLength(seriesId) + digits.length;
  }
  const out = Buffer.allocUnsafe(bytes);
  let pos = out.writeUInt32LE(watermarks.size, 0);
  let i = 0;
  for (const seriesId of watermarks.keys()) {
    const len = out.write(seriesId, pos + 2);
    out.writeUInt16LE(len, pos);
    pos += 2 + len;
    const digits = times[i++];
    pos = out.writeUInt8(digits.length, pos);
    pos += out.write(digits, pos, 'latin1');
  }
  return out;
}

export interface BucketRequest {
  ref: PartitionRef;
  seriesId: string;
  resolution: ResolutionName;
  n: number;
  endMs: number;
}

export class WindowStore {
  private readonly apply: RawApply;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.apply = loadScript(redis, 'applyWindows-n') as RawApply;
  }

  appliedKey(p: PartitionRef): string {
    return appliedOffsetKey(this.prefix, p);
  }

  seriesKey(p: PartitionRef): string {
    return seriesZsetKey(this.prefix, p);
  }

  chunkKey(p: PartitionRef, seriesId: string, res: Resolution, chunk: number): string {
    return windowChunkKey(this.prefix, p, seriesId, res.tag, chunk);
  }

  appliedOffset(p: PartitionRef): Promise<bigint> {
    return readAppliedOffset(this.redis, this.prefix, p);
  }

  /** Watermarks of the given series (absent: never seen, or trimmed). */
  async watermarks(p: PartitionRef, seriesIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (seriesIds.length === 0) return out;
    const scores = await this.redis.zmscore(this.seriesKey(p), seriesIds);
    scores.forEach((s, i) => {
      if (s !== null) out.set(seriesIds[i], Number(s));
    });
    return out;
  }

  /**
   * One script call: the batch's deltas, watermarks and the new applied offset, if `expected`
   * still holds. `expiring` (kept by the caller per partition, across batches) holds the
   * chunk keys this script already gave their expiry, so it is set once per key, not once per
   * batch; it is added to only when the batch applied.
   */
  async applyBatch(
    p: PartitionRef,
    expected: bigint,
    newOffset: string,
    agg: AggregateResult,
    trimBeforeMs: number,
    expiring?: ExpiryCache,
  ): Promise<ApplyOutcome> {
    // group the deltas by chunk key (the script reads and writes each key once), buckets that
    // may exist first, sizing the packed argument as we go; then write it in one buffer
    const keys: string[] = [this.appliedKey(p), this.seriesKey(p)];
    /** cache entries whose expiry this call sets */
    const toMark: [ChunkEntry, number][] = [];
    /** per chunk key: its index in KEYS, its expiry (0: set already), its buckets that may exist and those that are new */
    const groups: { index: number; expireAt: number; res: Resolution; first: number; old: BucketDelta[]; fresh: BucketDelta[] }[] = [];
    let bytes = 0;
    for (const [seriesId, delta] of agg.deltas) {
      for (let r = 0; r < RESOLUTIONS.length; r++) {
        const res = RESOLUTIONS[r];
        const buckets = delta.buckets[r].list;
        const newAfter = Number.isFinite(delta.priorWatermark) ? bucketIndex(res, delta.priorWatermark) : Infinity;
        let chunkOf = NaN;
        let g: (typeof groups)[number] | undefined;
        let byChunk: Map<number, (typeof groups)[number]> | undefined;
        for (const d of buckets) {
          const chunk = chunkIndex(res, d.bucket);
          if (chunk !== chunkOf) {
            chunkOf = chunk;
            byChunk ??= new Map();
            g = byChunk.get(chunk);
            if (!g) {
              let expireAt = chunkExpireAt(res, chunk);
              let key: string;
              if (expiring) {
                const e = expiring.lookup(seriesId, r, chunk) ?? expiring.store(seriesId, r, chunk, this.chunkKey(p, seriesId, res, chunk));
                key = e.key;
                if (expiring.has(e, expireAt)) expireAt = 0;
                else toMark.push([e, expireAt]);
              } else {
                key = this.chunkKey(p, seriesId, res, chunk);
              }
              keys.push(key);
              g = { index: keys.length, expireAt, res, first: chunk * res.chunkBuckets, old: [], fresh: [] }; // 1-based, as KEYS in Lua
              byChunk.set(chunk, g);
              groups.push(g);
              bytes += 16;
            }
          }
          (d.bucket > newAfter ? g!.fresh : g!.old).push(d);
          bytes += 6 + encodedSize(d, res.sketch);
        }
      }
    }
    const packed = Buffer.allocUnsafe(bytes);
    let pos = 0;
    for (const g of groups) {
      pos = packed.writeUInt32LE(g.index, pos);
      pos = packed.writeUInt16LE(g.old.length + g.fresh.length, pos);
      pos = packed.writeUInt16LE(g.old.length, pos);
      pos = packed.writeDoubleLE(g.expireAt, pos);
      for (const list of [g.old, g.fresh]) {
        for (const d of list) {
          pos = packed.writeUInt32LE(d.bucket - g.first, pos);
          const start = pos + 2;
          pos = encodeDeltaInto(d, packed, start, g.res.sketch);
          packed.writeUInt16LE(pos - start, start - 2);
        }
      }
    }
    const args: (string | Buffer | number)[] = keys.slice();
    args.push(expected.toString(), newOffset, trimBeforeMs, packWatermarks(agg.watermarks), packed);
    const res = await this.apply(keys.length, args);
    if (res[0] === ScriptStatus.APPLIED) {
      for (const [e, at] of toMark) e.expireAt = at;
      return { status: 'applied', merged: Number(res[1]), created: Number(res[2]), roundTrips: 1 };
    }
    if (res[0] === ScriptStatus.STALE) return { status: 'stale', storedOffset: BigInt(String(res[1])) };
    throw new ForesightError(
      'REDIS_SCRIPT_FAILED',
      `applyWindows-n.lua returned ${JSON.stringify(res)}${res[0] === ScriptStatus.MALFORMED ? ' (MALFORMED: the packed argument did not parse)' : ''}`,
    );
  }

  /**
   * The last `n` buckets (oldest first, null where no event fell) ending with the bucket that
   * contains `endMs`, for many series at once, in one pipelined round trip.
   */
  async lastBuckets(requests: BucketRequest[]): Promise<(Summary | null)[][]> {
    return this.readBuckets(requests, decodeBucket);
  }

  /** As lastBuckets, but only each bucket's count, sum, min and max (no sketch decoding): for histories. */
  async lastTotals(requests: BucketRequest[]): Promise<(BucketTotals | null)[][]> {
    return this.readBuckets(requests, bucketTotals);
  }

  private async readBuckets<T>(requests: BucketRequest[], decode: (blob: Buffer) => T): Promise<(T | null)[][]> {
    const pipeline = this.redis.pipeline();
    // per chunk read: its first bucket, and how many buckets were asked by name (HMGET; 0: the whole chunk, HGETALL)
    const plans = requests.map((r) => {
      const res = resolutionNamed(r.resolution);
      const last = bucketIndex(res, r.endMs);
      const first = last - r.n + 1;
      const chunks: { from: number; named: number }[] = [];
      for (let c = chunkIndex(res, first); c <= chunkIndex(res, last); c++) {
        const key = this.chunkKey(r.ref, r.seriesId, res, c);
        const from = Math.max(first, c * res.chunkBuckets);
        const named = Math.min(last, (c + 1) * res.chunkBuckets - 1) - from + 1;
        if (named <= PARTIAL_CHUNK_READ) {
          // a few buckets of the chunk (the newest steps): only those come back, not the chunk's every bucket
          const fields: string[] = [];
          for (let b = from; b < from + named; b++) fields.push(bucketField(b - c * res.chunkBuckets));
          pipeline.hmgetBuffer(key, ...fields);
          chunks.push({ from, named });
        } else {
          pipeline.hgetallBuffer(key);
          chunks.push({ from: c * res.chunkBuckets, named: 0 });
        }
      }
      return { first, last, chunks };
    });
    const replies = (await pipeline.exec()) ?? [];
    let k = 0;
    return plans.map((plan) => {
      const out = new Array<T | null>(plan.last - plan.first + 1).fill(null);
      for (const c of plan.chunks) {
        const [err, h] = replies[k++] as [Error | null, Record<string, Buffer> | (Buffer | null)[]];
        if (err) throw new ForesightError('REDIS_UNAVAILABLE', `reading windows failed: ${err.message}`, { retriable: true, cause: err });
        if (c.named > 0) {
          const named = h as (Buffer | null)[];
          for (let j = 0; j < c.named; j++) if (named[j]) out[c.from + j - plan.first] = decode(named[j]!);
          continue;
        }
        // a chunk's buckets outside the range asked for are not decoded
        const all = h as Record<string, Buffer>;
        for (const field in all) {
          const i = c.from + Number(field) - plan.first;
          if (i >= 0 && i < out.length) out[i] = decode(all[field]);
        }
      }
      return out;
    });
  }

  /** Which of the topic's partitions holds a series (one pipelined round trip), if any. */
  async locate(topic: string, partitions: number, seriesId: string): Promise<PartitionRef | undefined> {
    const pipeline = this.redis.pipeline();
    for (let p = 0; p < partitions; p++) pipeline.zscore(this.seriesKey({ topic, partition: p }), seriesId);
    const replies = (await pipeline.exec()) ?? [];
    const p = replies.findIndex(([err, v]) => !err && v !== null);
    return p < 0 ? undefined : { topic, partition: p };
  }

  /** Every series of a partition with its watermark. */
  async series(p: PartitionRef): Promise<Map<string, number>> {
    const flat = await this.redis.zrange(this.seriesKey(p), '0', '-1', 'WITHSCORES');
    const out = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) out.set(flat[i], Number(flat[i + 1]));
    return out;
  }
}
