/** The outcome and forecast-quality variables: defaults, and a bad value names its variable. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';

describe('outcome configuration', () => {
  it('defaults: 24 h outcome period and quality window, 6 h drift period, ±0.05 band, outcomes.v1, no pull, 10 s checks', () => {
    const cfg = loadConfig({});
    assert.deepEqual(cfg.outcomes, { periodMs: 86_400_000, qualityWindowMs: 86_400_000, driftPeriodMs: 21_600_000, coverageTolerance: 0.05 });
    assert.equal(cfg.topics.outcomes, 'outcomes.v1');
    assert.equal(cfg.recommend.pull, false);
    assert.equal(cfg.recommend.policyRefreshMs, 10_000);
  });

  it('a bad value names the variable', () => {
    for (const [name, value] of [
      ['FORESIGHT_OUTCOME_PERIOD_MS', '100'], // under one step
      ['FORESIGHT_OUTCOME_PERIOD_MS', '400000'], // not a whole number of 5-minute steps
      ['FORESIGHT_OUTCOME_PERIOD_MS', String(2 * 86_400_000)], // the before window would leave the minute buckets' 48 h
      ['FORESIGHT_QUALITY_WINDOW_MS', 'a day'],
      ['FORESIGHT_DRIFT_PERIOD_MS', '0'],
      ['FORESIGHT_DRIFT_COVERAGE_TOLERANCE', '1'],
      ['FORESIGHT_POLICY_PULL', 'yes'],
      ['FORESIGHT_POLICY_REFRESH_MS', '10'],
      ['FORESIGHT_TOPIC_OUTCOMES', 'out comes'],
    ])
      assert.throws(() => loadConfig({ [name]: value }), new RegExp(name), `${name}=${value}`);
  });
});
