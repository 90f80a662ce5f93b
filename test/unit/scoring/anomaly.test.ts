/** The anomaly detector: a hand-computed case, Python ↔ TypeScript parity on the golden file, causality. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ANOMALY_THRESHOLD, ANOMALY_VERSION, ANOMALY_WINDOW, anomalyScore, anomalyScores, longRanges } from '../../../src/scoring/anomaly-detector.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';

const golden = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'anomaly-golden.json'), 'utf8')) as {
  version: string;
  threshold: number;
  vectors: { file: string; t: number; stepsPerDay: number; window: number[]; longHi: number | null; longLo: number | null; score: number }[];
};

describe('anomaly detector', () => {
  it('scores a hand-computed step on a flat line', () => {
    // a day of 50 steps; 59 points at 10, then 11: the reference is flat (standard deviation 0), so
    // the scale is the floor 1e-3 × 10 + 1e-9; at k = 1 the point is 1 beyond the range: raw = 1 / 0.010000001.
    // k = 6: (5 × 10 + 11) / 6 − 10 = 1/6 beyond, × 6^¼ / floor ≈ 26 (smaller); k = 24 and the day-over-day
    // differences have fewer than 48 reference points.
    const flat = Array.from({ length: 59 }, () => 10);
    const raw = 1 / (1e-3 * 10 + 1e-9);
    assert.ok(Math.abs(anomalyScore([...flat, 11], 50) - raw / (raw + 5)) < 1e-12);
    assert.equal(anomalyScore([...flat, 10], 50), 0, 'a value inside the range is not novel');
    assert.equal(anomalyScore([...flat.slice(0, 49), 11], 50), 0, 'nothing scores during the first day');
  });

  it('catches a change of pattern inside the range by the prediction-error surprise, and stays quiet without it', () => {
    // 5 ± 0.2 noise (Park–Miller generator), one excursion to 8 and 2 during the first day (warm-up) that sets the
    // range for the next two days; from row 576 the series alternates 3, 7: inside the range [2, 8] (no novelty), mean 5
    // (no level or day-over-day mean change), but its errors against the mean of the 6 points before are ~2, not ~0.1.
    let seed = 12345;
    const clean = Array.from({ length: 600 }, () => {
      seed = (seed * 16807) % 2147483647;
      return 5 + 0.4 * (seed / 2147483647 - 0.5);
    });
    clean[100] = 8;
    clean[101] = 2;
    const changed = clean.map((v, i) => (i < 576 ? v : i % 2 === 0 ? 3 : 7));
    const quiet = anomalyScores(clean);
    const loud = anomalyScores(changed);
    assert.ok(Math.max(...quiet) < ANOMALY_THRESHOLD, `the clean series stays under the threshold: ${Math.max(...quiet)}`);
    assert.ok(loud[576] < ANOMALY_THRESHOLD, `one changed point is not yet a pattern: ${loud[576]}`);
    assert.ok(
      loud.slice(577).every((s) => s >= ANOMALY_THRESHOLD),
      `the alternation alerts from its second point on: ${Array.from(loud.slice(576, 580))}`,
    );
  });

  it('does not alert on a spike as high as one seen within the week (the long memory), and does without it', () => {
    // hour-aligned 5-minute steps of uniform noise in [0, 10] (Park–Miller), a spike to 15 at row 5 (day 0), and 14.5 at
    // row 1152, four days later: the window (rows 577 … 1152) ranges over [0, 10], so without the long memory the point
    // is ~4.5 beyond it (~1.5 standard deviations: raw ≈ 1.5, over the threshold); the 168 hours before hold the 15.
    let seed = 42;
    const noise = (): number => {
      seed = (seed * 16807) % 2147483647;
      return (10 * seed) / 2147483647;
    };
    const values = Array.from({ length: 1153 }, (_, i) => (i === 5 ? 15 : i === 1152 ? 14.5 : noise()));
    const start = 1_700_000_000 - (1_700_000_000 % 3600);
    const times = values.map((_, i) => start + 300 * i);
    const long = longRanges(values, times);
    assert.equal(long[1152].hi, 15, 'the 168 hours before the newest point hold the first spike');
    assert.ok(long[1152].lo >= 0 && long[1152].lo < 0.1);
    assert.deepEqual(long[11], { hi: NaN, lo: NaN }, 'no whole hour precedes the first hour');
    assert.equal(long[12].hi, 15, 'the second hour sees the first');
    const withMemory = anomalyScores(values, 288, times)[1152];
    const without = anomalyScore(values.slice(-ANOMALY_WINDOW));
    assert.ok(without >= ANOMALY_THRESHOLD, `without the long memory it alerts: ${without}`);
    assert.ok(withMemory < ANOMALY_THRESHOLD, `seen within the week: not novel: ${withMemory}`);
    assert.equal(anomalyScore(values.slice(-ANOMALY_WINDOW), 288, long[1152]), withMemory, 'the serving form agrees');
    // 8 days later the first spike is beyond the memory
    const later = [...values.slice(0, 1152), ...Array.from({ length: 8 * 288 }, noise), 14.5];
    const laterScores = anomalyScores(
      later,
      288,
      later.map((_, i) => start + 300 * i),
    );
    assert.ok(laterScores[later.length - 1] >= ANOMALY_THRESHOLD, `a spike 8 days before is forgotten: ${laterScores[later.length - 1]}`);
  });

  it('agrees with training/detector.py on the golden windows and their long ranges (1e-9)', () => {
    assert.equal(golden.version, ANOMALY_VERSION);
    assert.equal(golden.threshold, ANOMALY_THRESHOLD, 'serving uses the threshold that was scored');
    assert.ok(golden.vectors.length >= 30);
    for (const g of golden.vectors) {
      const got = anomalyScore(g.window, g.stepsPerDay, { hi: g.longHi ?? NaN, lo: g.longLo ?? NaN });
      assert.ok(Math.abs(got - g.score) <= 1e-9, `${g.file}@${g.t}: ${got} vs ${g.score}`);
    }
    assert.ok(
      golden.vectors.some((g) => g.score >= ANOMALY_THRESHOLD),
      'some golden points are above the threshold',
    );
    assert.ok(
      golden.vectors.some((g) => Math.abs(anomalyScore(g.window, g.stepsPerDay) - g.score) > 1e-3),
      'the long range changes some golden scores (it is exercised)',
    );
  });

  it('is causal and reads only the last window: the score of row t is the same when the input is cut after row t', () => {
    const values = Array.from({ length: 900 }, (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + ((i * 7919) % 13) / 13 + (i >= 800 ? 40 : 0));
    const full = anomalyScores(values);
    for (const t of [300, 700, 800, 899]) {
      assert.equal(anomalyScore(values.slice(0, t + 1)), full[t], `row ${t}`);
      assert.equal(anomalyScore(values.slice(Math.max(0, t + 1 - ANOMALY_WINDOW), t + 1)), full[t], `row ${t}, last window only`);
    }
    assert.ok(full[800] >= ANOMALY_THRESHOLD, `the level shift alerts: ${full[800]}`);
    assert.ok(Math.max(...full.slice(0, 800)) < ANOMALY_THRESHOLD, 'the periodic part before it does not');
  });
});
