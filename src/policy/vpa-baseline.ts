/**
 * The VPA-style baseline (as training/baselines.py vpa): the 90th percentile of the last
 * 8 days, each sample weighted by a 24-hour half-life decay (the Vertical Pod Autoscaler's
 * recommender weighting), times a 15% safety margin. Used to judge policy backtests.
 */
const DAY_STEPS = 288;

export function vpaRecommendation(values: ArrayLike<number>, t: number, stepsPerDay = DAY_STEPS): number {
  const lo = Math.max(0, t + 1 - 8 * stepsPerDay);
  const idx: number[] = [];
  for (let i = lo; i <= t; i++) idx.push(i);
  idx.sort((a, b) => values[a] - values[b] || a - b);
  const weight = (i: number): number => 2 ** (-(t - i) / stepsPerDay);
  let total = 0;
  for (const i of idx) total += weight(i);
  let acc = 0;
  for (const i of idx) {
    acc += weight(i);
    if (acc >= 0.9 * total) return values[i] * 1.15;
  }
  return values[idx[idx.length - 1]] * 1.15;
}
