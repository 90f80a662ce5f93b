/** The Grafana dashboards are well-formed and provisionable; their metrics are checked against live services in test/integration/end-to-end.test.ts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboards, metricNamesOf } from '../../helpers/observability.js';

describe('Grafana dashboards', () => {
  it('parse, have unique uids, and every panel queries the provisioned Prometheus', () => {
    const all = dashboards();
    assert.ok(all.length >= 2);
    assert.equal(new Set(all.map((d) => d.uid)).size, all.length);
    for (const d of all) {
      for (const p of d.panels) {
        assert.equal(p.datasource.uid, 'prometheus', `${d.title}: ${p.title}`);
        assert.ok(p.targets.length > 0, `${d.title}: ${p.title} has no query`);
        for (const t of p.targets) assert.ok(metricNamesOf(t.expr).length > 0, `${d.title}: ${p.title}: ${t.expr} reads no metric`);
      }
    }
  });

  it('the PromQL metric-name extraction sees through functions, labels and ranges', () => {
    assert.deepEqual(metricNamesOf('histogram_quantile(0.99, sum by (le, job) (rate(foresight_batch_duration_ms_bucket{job="x"}[5m])))'), [
      'foresight_batch_duration_ms_bucket',
    ]);
    assert.deepEqual(metricNamesOf('sum(rate(a_sum[5m])) / sum(rate(a_count[5m]))').sort(), ['a_count', 'a_sum']);
  });
});
