/**
 * Forecaster features, the TypeScript twin of training/features.py: the same vector from the
 * same 24 hours of 5-minute history (test/unit/scoring parity test, on golden vectors written
 * by the training code; tolerance 1e-9 relative).
 *
 * `history` holds the last DAY values, oldest first, ending with the value at step t;
 * `timeS` is the unix time of step t in seconds.
 */
export const DAY = 288;
export const HISTORY = DAY;
export const N_FINE = 24;
export const N_HOURS = 24;
export const N_FEATURES = N_FINE + 2 * N_HOURS + 1 + 4;

export function forecastFeatures(
  history: ArrayLike<number>,
  timeS: number,
  horizon: number,
  out: Float32Array | Float64Array = new Float64Array(N_FEATURES),
): { features: Float32Array | Float64Array; scale: number } {
  if (history.length !== DAY) throw new Error(`forecast features need exactly ${DAY} steps of history; got ${history.length}`);
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < DAY; i++) {
    sum += history[i];
    if (history[i] > max) max = history[i];
  }
  const scale = Math.max(sum / DAY, 0.01 * max) + 1e-9;
  let k = 0;
  for (let i = DAY - N_FINE; i < DAY; i++) out[k++] = history[i] / scale;
  const per = DAY / N_HOURS;
  const maxes: number[] = [];
  for (let h = 0; h < N_HOURS; h++) {
    let s = 0;
    let m = -Infinity;
    for (let i = h * per; i < (h + 1) * per; i++) {
      s += history[i];
      if (history[i] > m) m = history[i];
    }
    out[k++] = s / per / scale;
    maxes.push(m / scale);
  }
  for (const m of maxes) out[k++] = m;
  // values[t+1-DAY .. t+H-DAY]: the first `horizon` values of the 24-hour history
  let dayAgo = -Infinity;
  for (let i = 0; i < horizon; i++) if (history[i] > dayAgo) dayAgo = history[i];
  out[k++] = dayAgo / scale;
  const tod = (((timeS % 86400) + 86400) % 86400) / 86400;
  const dow = ((((Math.floor(timeS / 86400) + 3) % 7) + 7) % 7) / 7;
  out[k] = Math.sin(2 * Math.PI * tod);
  out[k + 1] = Math.cos(2 * Math.PI * tod);
  out[k + 2] = Math.sin(2 * Math.PI * dow);
  out[k + 3] = Math.cos(2 * Math.PI * dow);
  return { features: out, scale };
}
