/**
 * The binary form of one window bucket, as stored in Redis and merged by
 * lua/includes/mergeBucket.lua (the two must agree byte for byte; test/unit/windows tests it):
 *
 *   varint count | varint zeros | f64 sum | f32 min | f32 max | [ zigzag-varint firstBin | run* ]
 *   run = varint binCount (> 0: the next bin's count) | 0, varint g (the next g bins are empty)
 *
 * little-endian floats, LEB128 varints (7 bits a byte). min is rounded down and max up to the
 * nearest f32 (within 6e-8 relative of the exact value, and still a bound of the data); sum
 * stays f64, so means are exact. The bins, when present, run from the lowest occupied one to
 * the highest: each occupied bin its count, each stretch of empty bins between two bytes (0,
 * then its length). Neighbouring bins, the common case, cost one byte each (two for a count
 * of 128 or more); an outlier far from the rest costs about three. A bucket without positive
 * values ends after max.
 *
 * A resolution without sketch (the five-minute buckets) keeps the short form instead:
 *
 *   varint count | f64 sum | f32 max          (13–17 bytes: its length, under 18, tells it apart)
 *
 * its means and peaks; decodeBucket gives it zeros 0, min NaN and no bins.
 *
 * Bytes: 18–20 of header (count under 128: 18; under 16384: 19), then, with a sketch, 1–3 for
 * the first bin, 1–2 per occupied bin and 2–3 per gap; the short form 13 (count under 128).
 */
import { emptySummary, type BucketDelta, type Summary } from './sketch.js';

const FLOATS = 16;
/** The full form's smallest size: a shorter bucket is the short (sketchless) form. */
const FULL_MIN = 2 + FLOATS;

function varintSize(n: number): number {
  let k = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    k++;
  }
  return k;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

const zigzag = (i: number): number => (i >= 0 ? 2 * i : -2 * i - 1);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** `x` rounded to an f32 towards −∞ (dir −1) or +∞ (dir 1). */
export function roundF32(x: number, dir: -1 | 1): number {
  f32[0] = x;
  const f = f32[0];
  if (f === x || Number.isNaN(x) || f < x === dir < 0) return f;
  if (f === 0) {
    u32[0] = 1; // the smallest subnormal
    return dir * f32[0];
  }
  u32[0] += f > 0 === dir > 0 ? 1 : -1; // one unit in the last place away from or towards zero
  return f32[0];
}

/**
 * A Summary's or a delta's bins as flat [index, count] pairs sorted by index. A delta's own
 * array is sorted in place (insertion sort: a bucket of a batch holds few bins), so sizing
 * and then writing it sorts once and allocates nothing.
 */
function sortedBins(s: Summary | BucketDelta): number[] {
  if (Array.isArray(s.bins)) {
    const b = s.bins;
    for (let i = 2; i < b.length; i += 2) {
      const bin = b[i];
      const count = b[i + 1];
      let j = i - 2;
      for (; j >= 0 && b[j] > bin; j -= 2) {
        b[j + 2] = b[j];
        b[j + 3] = b[j + 1];
      }
      b[j + 2] = bin;
      b[j + 3] = count;
    }
    return b;
  }
  return [...s.bins.entries()].sort((a, b) => a[0] - b[0]).flat();
}

function headerSize(s: Summary | BucketDelta, sketch: boolean): number {
  return sketch ? varintSize(s.count) + varintSize(s.zeros) + FLOATS : varintSize(s.count) + 12;
}

function binsSize(bins: number[]): number {
  if (bins.length === 0) return 0;
  let size = varintSize(zigzag(bins[0]));
  let next = bins[0];
  for (let k = 0; k < bins.length; k += 2) {
    const i = bins[k];
    if (i > next) size += 1 + varintSize(i - next);
    size += varintSize(bins[k + 1]);
    next = i + 1;
  }
  return size;
}

/** Bytes encodeBucket takes for `s` (`sketch`: with its bins). */
export function encodedSize(s: Summary | BucketDelta, sketch = true): number {
  return headerSize(s, sketch) + (sketch ? binsSize(sortedBins(s)) : 0);
}

const NO_BINS: number[] = [];

function writeBucket(s: Summary | BucketDelta, bins: number[], buf: Buffer, pos: number, sketch: boolean): number {
  pos = writeVarint(buf, pos, s.count);
  if (!sketch) {
    pos = buf.writeDoubleLE(s.sum, pos);
    return buf.writeFloatLE(roundF32(s.max, 1), pos);
  }
  pos = writeVarint(buf, pos, s.zeros);
  pos = buf.writeDoubleLE(s.sum, pos);
  pos = buf.writeFloatLE(roundF32(s.min, -1), pos);
  pos = buf.writeFloatLE(roundF32(s.max, 1), pos);
  if (bins.length === 0) return pos;
  pos = writeVarint(buf, pos, zigzag(bins[0]));
  let next = bins[0];
  for (let k = 0; k < bins.length; k += 2) {
    const i = bins[k];
    if (i > next) {
      buf[pos++] = 0;
      pos = writeVarint(buf, pos, i - next);
    }
    pos = writeVarint(buf, pos, bins[k + 1]);
    next = i + 1;
  }
  return pos;
}

export function encodeBucket(s: Summary, sketch = true): Buffer {
  const buf = Buffer.allocUnsafe(encodedSize(s, sketch));
  encodeBucketInto(s, buf, 0, sketch);
  return buf;
}

/** Writes `s` into `buf` at `pos` (encodedSize(s, sketch) bytes); returns the position after it. */
export function encodeBucketInto(s: Summary, buf: Buffer, pos: number, sketch = true): number {
  return writeBucket(s, sketch ? sortedBins(s) : NO_BINS, buf, pos, sketch);
}

/** As encodeBucketInto, for a batch's delta (the same bytes as the equal Summary). */
export function encodeDeltaInto(d: BucketDelta, buf: Buffer, pos: number, sketch = true): number {
  return writeBucket(d, sketch ? sortedBins(d) : NO_BINS, buf, pos, sketch);
}

function corrupt(buf: Buffer): Error {
  return new Error(`corrupt window bucket of ${buf.length} bytes`);
}

function readVarint(buf: Buffer, at: { pos: number }): number {
  let n = 0;
  let mul = 1;
  for (;;) {
    if (at.pos >= buf.length) throw corrupt(buf);
    const b = buf[at.pos++];
    n += (b & 127) * mul;
    if (b < 128) return n;
    mul *= 128;
  }
}

function readHeader(buf: Buffer, at: { pos: number }): { count: number; zeros: number; sum: number; min: number; max: number } {
  const count = readVarint(buf, at);
  if (buf.length < FULL_MIN) {
    if (at.pos + 12 !== buf.length) throw corrupt(buf);
    const short = { count, zeros: 0, sum: buf.readDoubleLE(at.pos), min: NaN, max: buf.readFloatLE(at.pos + 8) };
    at.pos += 12;
    return short;
  }
  const zeros = readVarint(buf, at);
  if (at.pos + FLOATS > buf.length) throw corrupt(buf);
  const h = { count, zeros, sum: buf.readDoubleLE(at.pos), min: buf.readFloatLE(at.pos + 8), max: buf.readFloatLE(at.pos + 12) };
  at.pos += FLOATS;
  return h;
}

export function decodeBucket(buf: Buffer): Summary {
  const at = { pos: 0 };
  const s = Object.assign(emptySummary(), readHeader(buf, at));
  if (at.pos < buf.length) {
    const z = readVarint(buf, at);
    let i = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    while (at.pos < buf.length) {
      const c = readVarint(buf, at);
      if (c === 0) {
        i += readVarint(buf, at);
        continue;
      }
      s.bins.set(i, c);
      i++;
    }
  }
  return s;
}

/** A bucket's count, sum, min and max (min NaN where the resolution keeps no sketch). */
export interface BucketTotals {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Only a bucket's header, without its sketch: what histories need. */
export function bucketTotals(buf: Buffer): BucketTotals {
  const h = readHeader(buf, { pos: 0 });
  return { count: h.count, sum: h.sum, min: h.min, max: h.max };
}
