/**
 * Alerts from alerts.v1 as Alertmanager alerts, and the client that posts them.
 *
 * Alertmanager's v2 API (POST /api/v2/alerts, https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml)
 * takes a list of alerts, each a label set with annotations and a time range. Alertmanager
 * identifies an alert by the fingerprint of its label set, so posting the same labels again
 * updates the alert instead of adding one: the `alert_id` label (the alert's deterministic id)
 * is what de-duplicates a redelivered alert, also across bridge restarts.
 */
import type { AnomalyAlert } from '../codec/generated-types.js';
import { ForesightError, RejectedMessage } from '../util/errors.js';

/** One element of the body of POST /api/v2/alerts (the API's `postableAlert`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/** Label names Alertmanager accepts: [a-zA-Z_][a-zA-Z0-9_]* (values are any UTF-8). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * An anomaly alert as Alertmanager sees it. Labels: namespace, workload (Kind/name), kind
 * (what the alert is about: `anomaly`), severity (Alertmanager's lower-case convention),
 * plus cluster, metric, container when set, and alert_id. Annotations carry the explanation
 * and the trace context. The alert lasts `resolveAfterMs` from its event time unless the
 * same alert is posted again.
 */
export function anomalyToAlertmanager(a: AnomalyAlert, opts: { resolveAfterMs: number; linkBase?: string }): PostableAlert {
  const labels: Record<string, string> = {
    alertname: 'ForesightAnomaly',
    alert_id: a.id,
    kind: 'anomaly',
    severity: a.severity.toLowerCase(),
    cluster: a.cluster,
    namespace: a.namespace,
    workload: `${a.kind}/${a.name}`,
    metric: a.metric,
  };
  if (a.container !== null) labels.container = a.container;
  for (const name of Object.keys(labels))
    if (!LABEL_NAME.test(name)) throw new RejectedMessage('invalid-field', `label name ${JSON.stringify(name)} is not a Prometheus label name`);
  const w = a.window;
  const annotations: Record<string, string> = {
    summary: `${a.metric} of ${a.namespace}/${a.kind}/${a.name} is anomalous: ${round(a.value)} (score ${round(a.score)} ≥ ${round(a.threshold)})`,
    explanation:
      `The anomaly model ${a.modelVersion} scored the point at ${new Date(a.eventTime).toISOString()} ${round(a.score)}, above the policy threshold ${round(a.threshold)}. ` +
      `Recent window (${new Date(w.start).toISOString()} – ${new Date(w.end).toISOString()}, ${w.count} samples): mean ${round(w.mean)}, p95 ${round(w.p95)}, min ${round(w.min)}, max ${round(w.max)}.`,
    model_version: a.modelVersion,
  };
  if (a.budget) {
    // a budget breach (money/money.ts) rides alerts.v1 too: named and explained as such
    const b = a.budget;
    labels.alertname = 'ForesightBudgetBreach';
    labels.kind = 'budget';
    labels.budget_scope = b.scope;
    annotations.summary = `${b.scope} is heading over its ${b.period} budget: projected ${round(b.projected)} ${b.currency} > ${round(b.monthly)} ${b.currency}`;
    annotations.explanation = `Month to date ${round(b.monthToDate)} ${b.currency}; at the last 24 billed hours' run rate the month ends at ${round(b.projected)} ${b.currency}, over the budget of ${round(b.monthly)} ${b.currency}.`;
  }
  if (a.traceparent) annotations.traceparent = a.traceparent;
  const alert: PostableAlert = {
    labels,
    annotations,
    startsAt: new Date(a.eventTime).toISOString(),
    endsAt: new Date(Math.max(a.eventTime, Date.now()) + opts.resolveAfterMs).toISOString(),
  };
  if (opts.linkBase) alert.generatorURL = `${opts.linkBase.replace(/\/$/, '')}/${encodeURIComponent(a.namespace)}/${encodeURIComponent(`${a.kind}/${a.name}`)}`;
  return alert;
}

function round(x: number): string {
  return Number.isFinite(x) ? String(+x.toPrecision(4)) : String(x);
}

/**
 * POST the alerts. A 4xx answer means Alertmanager will never take this body (a
 * RejectedMessage: dead-letter it); a 5xx or a connection error is retriable.
 */
export async function postAlerts(baseUrl: string, alerts: PostableAlert[], headers: Record<string, string> = {}): Promise<void> {
  if (alerts.length === 0) return;
  let res: Response;
  try {
    res = await fetch(`${baseUrl.replace(/\/$/, '')}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(alerts),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new ForesightError('ALERTMANAGER_UNAVAILABLE', `Alertmanager at ${baseUrl} unreachable: ${(err as Error).message}`, { retriable: true, cause: err });
  }
  if (res.ok) return;
  const body = (await res.text().catch(() => '')).slice(0, 500);
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
    throw new RejectedMessage('alertmanager-rejected', `Alertmanager answered HTTP ${res.status}: ${body}`);
  }
  throw new ForesightError('ALERTMANAGER_UNAVAILABLE', `Alertmanager answered HTTP ${res.status}: ${body}`, { retriable: true });
}
