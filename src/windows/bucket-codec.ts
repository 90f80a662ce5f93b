/**
 * The binary form of one window bucket, as stored in Redis and merged by
 * lua/includes/mergeBucket.lua (the two must agree byte for byte; test/unit/windows tests it):
 *
 *   u32 count | u32 zeros | f64 sum | f64 min | f64 max | { i16 binIndex | u32 binCount }*
 *
 * little-endian, bins sorted by index. 32 bytes plus 6 per occupied bin.
 */
import { emptySummary, type BucketDelta, type Summary } from './sketch.js';

const HEADER = 32;
const BIN = 6;

export function encodeBucket(s: Summary): Buffer {
  const buf = Buffer.allocUnsafe(encodedSize(s));
  encodeBucketInto(s, buf, 0);
  return buf;
}

/** Bytes encodeBucket takes for `s`. */
export function encodedSize(s: Summary | BucketDelta): number {
  return HEADER + (Array.isArray(s.bins) ? (BIN * s.bins.length) / 2 : BIN * s.bins.size);
}

function writeHeader(s: Summary | BucketDelta, buf: Buffer, pos: number): number {
  buf.writeUInt32LE(s.count, pos);
  buf.writeUInt32LE(s.zeros, pos + 4);
  buf.writeDoubleLE(s.sum, pos + 8);
  buf.writeDoubleLE(s.min, pos + 16);
  buf.writeDoubleLE(s.max, pos + 24);
  return pos + HEADER;
}

/** Writes `s` into `buf` at `pos` (encodedSize(s) bytes); returns the position after it. */
export function encodeBucketInto(s: Summary, buf: Buffer, pos: number): number {
  pos = writeHeader(s, buf, pos);
  const order = s.bins.size === 1 ? s.bins.keys() : [...s.bins.keys()].sort((a, b) => a - b);
  for (const i of order) {
    buf.writeInt16LE(i, pos);
    buf.writeUInt32LE(s.bins.get(i)!, pos + 2);
    pos += BIN;
  }
  return pos;
}

/** As encodeBucketInto, for a batch's delta (the same bytes as the equal Summary). */
export function encodeDeltaInto(d: BucketDelta, buf: Buffer, pos: number): number {
  pos = writeHeader(d, buf, pos);
  const b = d.bins;
  const order: number[] = [];
  for (let i = 0; i < b.length; i += 2) order.push(i);
  if (order.length > 1) order.sort((x, y) => b[x] - b[y]);
  for (const i of order) {
    buf.writeInt16LE(b[i], pos);
    buf.writeUInt32LE(b[i + 1], pos + 2);
    pos += BIN;
  }
  return pos;
}

export function decodeBucket(buf: Buffer): Summary {
  if (buf.length < HEADER || (buf.length - HEADER) % BIN !== 0) throw new Error(`corrupt window bucket of ${buf.length} bytes`);
  const s = emptySummary();
  s.count = buf.readUInt32LE(0);
  s.zeros = buf.readUInt32LE(4);
  s.sum = buf.readDoubleLE(8);
  s.min = buf.readDoubleLE(16);
  s.max = buf.readDoubleLE(24);
  for (let pos = HEADER; pos < buf.length; pos += BIN) s.bins.set(buf.readInt16LE(pos), buf.readUInt32LE(pos + 2));
  return s;
}

/** Only a bucket's count and sum (the header), without its sketch: what histories need. */
export function bucketCountSum(buf: Buffer): { count: number; sum: number } {
  if (buf.length < HEADER || (buf.length - HEADER) % BIN !== 0) throw new Error(`corrupt window bucket of ${buf.length} bytes`);
  return { count: buf.readUInt32LE(0), sum: buf.readDoubleLE(8) };
}
