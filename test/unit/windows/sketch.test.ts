import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBucket, encodeBucket, encodeDeltaInto, encodedSize, roundF32 } from '../../../src/windows/bucket-codec.js';
import { aggregateBatch } from '../../../src/windows/aggregate.js';
import { COARSE, FINE, FIVE, RESOLUTIONS, type Resolution } from '../../../src/windows/resolutions.js';
import { BucketDelta, MIN_POSITIVE, RELATIVE_ERROR, addValue, binIndex, emptySummary, mergeInto, quantile } from '../../../src/windows/sketch.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

describe('quantile sketch', () => {
  for (const [name, gen] of [
    ['uniform', (r: () => number) => r() * 100],
    ['log-normal (heavy tail)', (r: () => number) => Math.exp(3 * (r() + r() + r() - 1.5))],
    ['bimodal with zeros', (r: () => number) => (r() < 0.1 ? 0 : r() < 0.5 ? 2 + r() : 2000 + 500 * r())],
  ] as const) {
    it(`answers P50/P90/P95/P99 within the stated relative error: ${name}`, () => {
      const r = rng(42);
      const values = Array.from({ length: 20_000 }, () => gen(r));
      // split into 50 buckets and merge, as a window range query does
      const total = emptySummary();
      for (let b = 0; b < 50; b++) {
        const s = emptySummary();
        for (const v of values.slice(b * 400, (b + 1) * 400)) addValue(s, v);
        mergeInto(total, decodeBucket(encodeBucket(s)));
      }
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const exact = exactQuantile(sorted, q);
        const approx = quantile(total, q);
        if (exact === 0) assert.equal(approx, 0);
        else
          assert.ok(
            Math.abs(approx - exact) <= RELATIVE_ERROR * exact + 1e-12,
            `q${q}: ${approx} vs exact ${exact} (error ${Math.abs(approx - exact) / exact})`,
          );
      }
      assert.equal(total.count, values.length);
      // min and max are stored as f32 rounded outwards: still bounds, within 2^-23 relative
      assert.ok(total.min <= sorted[0] && sorted[0] - total.min <= 2 ** -23 * Math.abs(sorted[0]));
      assert.ok(total.max >= sorted.at(-1)! && total.max - sorted.at(-1)! <= 2 ** -23 * sorted.at(-1)!);
    });
  }

  it('round-trips the binary bucket form (min and max exact when they are f32 values)', () => {
    const s = emptySummary();
    for (const v of [0, 0.5, 1, 1, 1e6, 3.25]) addValue(s, v);
    const back = decodeBucket(encodeBucket(s));
    assert.deepEqual({ ...back, bins: [...back.bins].sort() }, { ...s, bins: [...s.bins].sort() });
    // 18 bytes of header; bins -14 (0.5), 0 (1, 1), 25 (3.25), 284 (1e6): the first bin (1 byte),
    // four counts (1 each) and three gaps (0 and the length: 2, 2 and 3 bytes)
    assert.equal(encodeBucket(s).length, 18 + 1 + 4 + 2 + 2 + 3);
    // the short form without sketch: count (1 byte), f64 sum, f32 max; zeros 0 and min NaN when read back
    const short = encodeBucket(s, false);
    assert.equal(short.length, 13);
    assert.deepEqual(short, Buffer.concat([Buffer.from([6]), Buffer.from(new Float64Array([s.sum]).buffer), Buffer.from(new Float32Array([1e6]).buffer)]));
    const b = decodeBucket(short);
    assert.deepEqual([b.count, b.zeros, b.sum, b.min, b.max, b.bins.size], [6, 0, s.sum, NaN, 1e6, 0]);
  });

  it('packs a bucket byte by byte as documented', () => {
    const s = emptySummary();
    for (const v of [1, 1.04, 1.2, 0]) addValue(s, v); // bins 0 (1), 1 (1.04), 4 (1.2); one zero
    const hand = Buffer.alloc(18);
    hand[0] = 4; // count
    hand[1] = 1; // zeros
    hand.writeDoubleLE(3.24, 2); // sum
    hand.writeFloatLE(0, 10); // min
    hand.writeFloatLE(Math.fround(1.2), 14); // max: the f32 nearest 1.2 lies above it, so it is the rounding up
    const bins = Buffer.from([0, 1, 1, 0, 2, 1]); // first bin 0 (zigzag 0), counts of bins 0 and 1, 2 empty bins, bin 4
    assert.deepEqual(encodeBucket(s), Buffer.concat([hand, bins]));
    assert.deepEqual(
      [...decodeBucket(encodeBucket(s)).bins],
      [
        [0, 1],
        [1, 1],
        [4, 1],
      ],
    );
  });

  it('rounds min down and max up to f32', () => {
    for (const x of [0.1, 1 / 3, 1e-9, 123456.789, -0.1, 2 ** 50 + 1]) {
      const down = roundF32(x, -1);
      const up = roundF32(x, 1);
      assert.ok(down <= x && up >= x && down === Math.fround(down) && up === Math.fround(up), String(x));
      assert.ok(up - down <= 2 ** -22 * Math.abs(x), String(x));
    }
    assert.equal(roundF32(0.5, -1), 0.5);
    assert.equal(roundF32(0.5, 1), 0.5);
  });
});

describe('batch deltas', () => {
  it('encode to the same bytes as the Summary of the same values, in any order', () => {
    const next = rng(7);
    for (const n of [1, 2, 5, 40]) {
      const values = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 10 ** (next() * 4 - 1)));
      const s = emptySummary();
      const d = new BucketDelta(123);
      for (const v of values) {
        addValue(s, v);
        d.add(v, v <= MIN_POSITIVE ? undefined : binIndex(v));
      }
      const buf = Buffer.alloc(encodedSize(d));
      assert.equal(encodeDeltaInto(d, buf, 0), buf.length);
      assert.deepEqual(buf, encodeBucket(s), `${n} values`);
    }
  });
});

describe('batch aggregation and lateness', () => {
  const base = Date.UTC(2026, 10, 27, 10, 0, 0);
  const ev = (message: number, t: number, v = 1, id = 's') => ({ message, seriesId: id, eventTime: base + t, value: v });

  it('buckets by event time at every resolution', () => {
    const agg = aggregateBatch([ev(1, 0), ev(2, 30_000), ev(3, 61_000)], new Map(), 600_000);
    const d = agg.deltas.get('s')!;
    const at = (res: Resolution, b: number) => d.buckets[RESOLUTIONS.indexOf(res)].list.find((x) => x.bucket === b);
    assert.deepEqual(
      d.buckets[RESOLUTIONS.indexOf(FINE)].list.map((x) => x.bucket),
      [base / 60_000, base / 60_000 + 1],
    );
    assert.equal(at(FINE, base / 60_000)!.count, 2);
    assert.equal(at(FIVE, base / 300_000)!.count, 3);
    assert.equal(at(COARSE, base / 3_600_000)!.count, 3);
    assert.equal(agg.watermarks.get('s'), base + 61_000);
  });

  it('finds a bucket again out of order, and past the point where the deltas are indexed', () => {
    // 20 minutes forward, then each minute again backwards: every event lands in its own minute's delta
    const times = [...Array.from({ length: 20 }, (_, i) => i * 60_000), ...Array.from({ length: 20 }, (_, i) => (19 - i) * 60_000 + 30_000)];
    const agg = aggregateBatch(
      times.map((t, i) => ev(i, t)),
      new Map(),
      3_600_000,
    );
    const fine = agg.deltas.get('s')!.buckets[RESOLUTIONS.indexOf(FINE)].list;
    assert.equal(fine.length, 20);
    assert.ok(fine.every((x) => x.count === 2));
    assert.deepEqual(
      agg.deltas.get('s')!.buckets[RESOLUTIONS.indexOf(FIVE)].list.map((x) => x.count),
      [10, 10, 10, 10],
    );
  });

  it('applies out-of-order events within the lateness and rejects later ones', () => {
    const agg = aggregateBatch([ev(1, 1_000_000), ev(2, 1_000_000 - 600_000), ev(3, 1_000_000 - 600_001)], new Map(), 600_000);
    assert.equal(agg.accepted, 2);
    assert.deepEqual(
      agg.late.map((l) => l.event.message),
      [3],
    );
  });

  it('judges lateness against the stored watermark too', () => {
    const agg = aggregateBatch([ev(1, 0)], new Map([['s', base + 3_600_000]]), 600_000);
    assert.equal(agg.accepted, 0);
    assert.equal(agg.late.length, 1);
    assert.equal(agg.watermarks.size, 0, 'a late event never moves the watermark');
  });
});
