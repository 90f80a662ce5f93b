/**
 * The binary form of one window bucket, as stored in Redis and merged by
 * lua/includes/mergeBucket.lua (the two must agree byte for byte; test/unit/windows tests it):
 *
 *   u32 count | u32 zeros | f64 sum | f64 min | f64 max | { i16 binIndex | u32 binCount }*
 *
 * little-endian, bins sorted by index. 32 bytes plus 6 per occupied bin.
 */
import { emptySummary, type Summary } from './sketch.js';

const HEADER = 32;
const BIN = 6;

export function encodeBucket(s: Summary): Buffer {
  const order = [...s.bins.keys()].sort((a, b) => a - b);
  const buf = Buffer.allocUnsafe(HEADER + BIN * order.length);
  buf.writeUInt32LE(s.count, 0);
  buf.writeUInt32LE(s.zeros, 4);
  buf.writeDoubleLE(s.sum, 8);
  buf.writeDoubleLE(s.min, 16);
  buf.writeDoubleLE(s.max, 24);
  let pos = HEADER;
  for (const i of order) {
    buf.writeInt16LE(i, pos);
    buf.writeUInt32LE(s.bins.get(i)!, pos + 2);
    pos += BIN;
  }
  return buf;
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
