/**
 * A mergeable quantile sketch: a log-scale histogram with γ = 1.05 (5% bucket growth, as the
 * Vertical Pod Autoscaler's histograms), in the DDSketch mapping
 * (Masson, Rim & Lee, "DDSketch", VLDB 2019): a value v > 0 falls in bin i = ceil(log_γ v) and
 * is represented by 2γ^i/(γ+1), so every quantile answered is within a relative error of
 * α = (γ−1)/(γ+1) ≈ 2.44% of a value of the data at that rank. Values ≤ MIN_POSITIVE count
 * as zero (kept exactly).
 *
 * Sketches add bin by bin, so windows merge across buckets, partitions and replicas in any
 * order: the property that makes out-of-order events and pre-aggregation exact.
 */
export const GAMMA = 1.05;
export const RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1);
export const MIN_POSITIVE = 1e-9;
const LN_GAMMA = Math.log(GAMMA);
/** Bin indexes fit a signed 16-bit integer: values up to γ^32767, far beyond any metric. */
export const MIN_INDEX = -32768;
export const MAX_INDEX = 32767;

export function binIndex(v: number): number {
  return Math.max(MIN_INDEX, Math.min(MAX_INDEX, Math.ceil(Math.log(v) / LN_GAMMA)));
}

export function binValue(i: number): number {
  return (2 * GAMMA ** i) / (GAMMA + 1);
}

/** Sparse bins: index → count. */
export type Bins = Map<number, number>;

export interface Summary {
  count: number;
  sum: number;
  min: number;
  max: number;
  zeros: number;
  bins: Bins;
}

export function emptySummary(): Summary {
  return { count: 0, sum: 0, min: Infinity, max: -Infinity, zeros: 0, bins: new Map() };
}

export function addValue(s: Summary, v: number): void {
  s.count++;
  s.sum += v;
  if (v < s.min) s.min = v;
  if (v > s.max) s.max = v;
  if (v <= MIN_POSITIVE) s.zeros++;
  else {
    const i = binIndex(v);
    s.bins.set(i, (s.bins.get(i) ?? 0) + 1);
  }
}

export function mergeInto(target: Summary, other: Summary): void {
  target.count += other.count;
  target.sum += other.sum;
  if (other.min < target.min) target.min = other.min;
  if (other.max > target.max) target.max = other.max;
  target.zeros += other.zeros;
  for (const [i, c] of other.bins) target.bins.set(i, (target.bins.get(i) ?? 0) + c);
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by the lower rank convention: the value of rank ⌊q·(n−1)⌋ in
 * sorted order (0-based), as DDSketch defines it. The result is clamped to [min, max], which
 * are kept exactly.
 */
export function quantile(s: Summary, q: number): number {
  if (s.count === 0) return NaN;
  if (q <= 0) return s.min;
  if (q >= 1) return s.max;
  const rank = Math.floor(q * (s.count - 1));
  if (rank < s.zeros) return Math.max(s.min, 0);
  let seen = s.zeros;
  const order = [...s.bins.keys()].sort((a, b) => a - b);
  for (const i of order) {
    seen += s.bins.get(i)!;
    if (seen > rank) return Math.min(s.max, Math.max(s.min, binValue(i)));
  }
  return s.max;
}

/**
 * What one batch adds to one bucket: a Summary for the few values of a batch, without a Map
 * per bucket (the ingest hot path makes one per event when a batch spans many minutes).
 * Bins are flat [binIndex, count] pairs in arrival order; `bucket` is the bucket's index.
 */
export class BucketDelta {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  zeros = 0;
  readonly bins: number[] = [];

  constructor(readonly bucket: number) {}

  /** Adds a value whose bin is known (`undefined`: a zero). */
  add(v: number, bin: number | undefined): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (bin === undefined) {
      this.zeros++;
      return;
    }
    const b = this.bins;
    for (let i = 0; i < b.length; i += 2) {
      if (b[i] === bin) {
        b[i + 1]++;
        return;
      }
    }
    b.push(bin, 1);
  }
}
