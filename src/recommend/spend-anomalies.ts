/**
 * Spend anomalies: the anomaly detector (scoring/anomaly-detector.ts), with hourly steps, on the
 * hourly cost of a workload's namespace and team from the billing windows. At an hour's close
 * each scope's newest hour with cost is scored once; a score at or above the policy's anomaly
 * threshold becomes an AnomalyAlert on alerts.v1 (metric `hourly_cost_<currency>`, value the
 * hour's cost, window the last day's hourly figures), quiet for the policy's suppression
 * interval afterwards (event time). The history starts at the scope's first hour with cost and
 * ends at its newest: billing that has not arrived yet is not read as a drop to zero.
 *
 * Every workload's demand series checks its scopes, so one scope is checked from several
 * partitions and processors: the hour and the suppression are claimed in one script
 * (windows/lua/claimSpendHour-1.lua), so each hour is scored and alerted once between them; a
 * claim whose alert cannot be sent is given back (releaseSpendHour-1.lua) for the batch's retry.
 */
import type { AnomalyAlert } from '../codec/generated-types.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { ANOMALY_VERSION, ANOMALY_WINDOW, anomalyScore } from '../scoring/anomaly-detector.js';
import { traceHeaders } from '../telemetry/propagation.js';
import type { MoneyDeps } from '../money/money.js';
import { newestBilledHour } from '../windows/cost-store.js';
import { spendAnomalyKey } from '../windows/redis-keys.js';
import { claimSpendHour, releaseSpendHour, type SpendHour } from '../windows/spend-claim.js';
import { recommendationId } from '../codec/recommendation-id.js';
import type { SeriesIdentity } from '../codec/series-id.js';

const HOUR = 3_600_000;
const HOURS_PER_DAY = 24;

/** What the spend check needs of the money side's dependencies (the same clients, prefix and alerts topic). */
export type SpendAnomalyDeps = Pick<MoneyDeps, 'costs' | 'redis' | 'prefix' | 'producer' | 'codec' | 'alertsTopic'>;

/**
 * The hours from the first to the last with cost (undefined without any): what the detector
 * scores, newest last. With `usage` (the same hours without the rows spread over more than a
 * day: CostStore.hourlyParts), the last is the newest hour with usage: a monthly fee fills every
 * hour up to now, and the hours whose usage has not been billed yet would read as a drop.
 */
export function spendHistory(hourly: number[], usage?: number[]): { history: number[]; newest: number } | undefined {
  const first = hourly.findIndex((c) => c !== 0);
  if (first < 0) return undefined;
  const last = newestBilledHour(hourly, usage, first) ?? first;
  return { history: hourly.slice(first, last + 1), newest: last };
}

export class SpendAnomalies {
  /** scope → the hour close last checked here: the workloads of one namespace or team share one read per hour */
  private readonly checked = new Map<string, number>();

  constructor(private readonly d: SpendAnomalyDeps) {}

  /** At the close of the hour ending `atMs`: the workload's namespace and team scopes. */
  async check(id: SeriesIdentity, team: string | undefined, policy: ResolvedPolicy, atMs: number, traceparent: string | undefined): Promise<AnomalyAlert[]> {
    const scopes: { scope: string; kind: string; name: string; namespace: string }[] = [
      { scope: `ns:${id.cluster}/${id.namespace}`, kind: 'Namespace', name: id.namespace, namespace: id.namespace },
    ];
    if (team) scopes.push({ scope: `team:${team}`, kind: 'Team', name: team, namespace: '' });
    const out: AnomalyAlert[] = [];
    for (const s of scopes) {
      if (this.checked.get(s.scope) === atMs) continue;
      if (this.checked.size > 100_000) this.checked.clear(); // it only saves reads
      this.checked.set(s.scope, atMs);
      let alert: AnomalyAlert | undefined;
      try {
        alert = await this.scope(id, s, policy, atMs, traceparent);
      } catch (err) {
        this.checked.delete(s.scope); // the retry checks it again
        throw err;
      }
      if (alert) out.push(alert);
    }
    return out;
  }

  private async scope(
    id: SeriesIdentity,
    s: { scope: string; kind: string; name: string; namespace: string },
    policy: ResolvedPolicy,
    atMs: number,
    traceparent: string | undefined,
  ): Promise<AnomalyAlert | undefined> {
    const fromHour = Math.floor(atMs / HOUR) - ANOMALY_WINDOW;
    const { all, usage } = await this.d.costs.hourlyParts(s.scope, fromHour * HOUR, atMs);
    const h = spendHistory(all, usage);
    if (!h) return undefined;
    const hour = fromHour + h.newest;
    const score = anomalyScore(h.history, HOURS_PER_DAY);
    const eventTime = hour * HOUR;
    // each hour once, and its alert once, whichever partition or processor checks the scope first (one atomic claim)
    const key = spendAnomalyKey(this.d.prefix, s.scope);
    const claimed: SpendHour = {
      hour,
      ttlMs: policy.anomaly.suppressMinutes * 60_000 + 2 * ANOMALY_WINDOW * HOUR,
      eventTime,
      quietUntil: score >= policy.anomaly.threshold ? eventTime + HOUR + policy.anomaly.suppressMinutes * 60_000 : undefined,
    };
    const { claim, before } = await claimSpendHour(this.d.redis, key, claimed);
    if (claim !== 'alert') return undefined;
    const day = h.history.slice(-HOURS_PER_DAY);
    const sorted = [...day].sort((a, b) => a - b);
    const alert: AnomalyAlert = {
      id: recommendationId({ workload: s.scope, type: 'SPEND-ALERT', changes: [hour], forecast: {}, modelVersion: ANOMALY_VERSION }),
      severity: score >= (1 + policy.anomaly.threshold) / 2 ? 'CRITICAL' : 'WARNING',
      cluster: id.cluster,
      namespace: s.namespace,
      kind: s.kind,
      name: s.name,
      container: null,
      metric: `hourly_cost_${policy.budget.currency}`,
      eventTime,
      value: day[day.length - 1],
      score,
      threshold: policy.anomaly.threshold,
      window: {
        start: eventTime + HOUR - day.length * HOUR,
        end: eventTime + HOUR,
        count: day.length,
        mean: day.reduce((a, b) => a + b, 0) / day.length,
        min: sorted[0],
        max: sorted[sorted.length - 1],
        p95: sorted[Math.floor(0.95 * (sorted.length - 1))],
      },
      modelVersion: ANOMALY_VERSION,
      traceparent: traceparent ?? null,
      budget: null,
    };
    try {
      await this.d.producer.send({
        topic: this.d.alertsTopic,
        acks: -1,
        messages: [{ key: s.scope, value: this.d.codec.encode('AnomalyAlert', alert), headers: traceHeaders() }],
      });
    } catch (err) {
      // given back, so the batch's retry claims the hour again and publishes the alert (once, not at most once)
      await releaseSpendHour(this.d.redis, key, claimed, before);
      throw err;
    }
    return alert;
  }
}
