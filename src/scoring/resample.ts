/**
 * Irregular (time, value) rows → a regular grid of `stepMs`, as training/data.py does: from
 * the first row's time, rows falling into a step are averaged; a step without rows (a gap)
 * repeats the previous step's value (forward fill: causal, never looks ahead).
 */
import type { TraceRow } from '../replay/csv-trace.js';

export function resample(rows: TraceRow[], stepMs: number): { startMs: number; values: Float64Array } {
  const sorted = [...rows].sort((a, b) => a.timeMs - b.timeMs);
  const start = sorted[0].timeMs;
  const n = Math.floor((sorted[sorted.length - 1].timeMs - start) / stepMs) + 1;
  const sums = new Float64Array(n);
  const counts = new Uint32Array(n);
  for (const r of sorted) {
    const i = Math.floor((r.timeMs - start) / stepMs);
    sums[i] += r.value;
    counts[i]++;
  }
  const values = new Float64Array(n);
  let last = sorted[0].value;
  for (let i = 0; i < n; i++) {
    if (counts[i] > 0) last = sums[i] / counts[i];
    values[i] = last;
  }
  return { startMs: start, values };
}
