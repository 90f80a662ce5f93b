/**
 * The anomaly model's input, the TypeScript twin of training/anomaly.py normalise(): a window
 * of 48 values ending at the scored point, centred and scaled by the mean and standard
 * deviation of its first 47 values (s ≥ max(0.01 |m|, 1e-6)), clipped to ±50.
 */
export const WINDOW = 48;
export const CONTEXT = WINDOW - 1;

export function anomalyWindow(raw: ArrayLike<number>, out: Float32Array | Float64Array = new Float64Array(WINDOW)): Float32Array | Float64Array {
  if (raw.length !== WINDOW) throw new Error(`the anomaly window needs exactly ${WINDOW} values; got ${raw.length}`);
  let sum = 0;
  for (let i = 0; i < CONTEXT; i++) sum += raw[i];
  const m = sum / CONTEXT;
  let sq = 0;
  for (let i = 0; i < CONTEXT; i++) sq += (raw[i] - m) ** 2;
  const s = Math.max(Math.sqrt(sq / CONTEXT), 0.01 * Math.abs(m), 1e-6);
  for (let i = 0; i < WINDOW; i++) out[i] = Math.max(-50, Math.min(50, (raw[i] - m) / s));
  return out;
}
