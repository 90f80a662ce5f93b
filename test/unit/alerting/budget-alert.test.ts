/** A budget breach on alerts.v1 reaches Alertmanager as a budget alert, not as an anomaly. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnomalyAlert } from '../../../src/codec/generated-types.js';
import { anomalyToAlertmanager } from '../../../src/alerting/alertmanager.js';

describe('budget alerts for Alertmanager', () => {
  it('names the alert ForesightBudgetBreach with the scope as a label and the figures in the summary', () => {
    const at = Date.UTC(2026, 10, 16);
    const a: AnomalyAlert = {
      id: 'b1',
      severity: 'CRITICAL',
      cluster: 'prod',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'checkout',
      container: null,
      metric: 'budget',
      eventTime: at,
      value: 610.5,
      score: 1.221,
      threshold: 500,
      window: { start: Date.UTC(2026, 10, 1), end: at, count: 0, mean: 1.2, min: 0, max: 610.5, p95: 610.5 },
      modelVersion: 'm',
      traceparent: null,
      budget: { scope: 'team:payments', period: '2026-11', monthly: 500, monthToDate: 420, projected: 610.5, currency: 'USD' },
    };
    const am = anomalyToAlertmanager(a, { resolveAfterMs: 3_600_000 });
    assert.equal(am.labels.alertname, 'ForesightBudgetBreach');
    assert.equal(am.labels.kind, 'budget');
    assert.equal(am.labels.budget_scope, 'team:payments');
    assert.equal(am.annotations.summary, 'team:payments is heading over its 2026-11 budget: projected 610.5 USD > 500 USD');
    assert.equal(anomalyToAlertmanager({ ...a, budget: null, metric: 'cpu_usage' }, { resolveAfterMs: 1 }).labels.alertname, 'ForesightAnomaly');
  });
});
