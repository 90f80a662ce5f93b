/** Series identity and the checks every decoded sample and billing row must pass. */
import type { IngestConfig } from '../config/config.js';
import { RejectedMessage } from '../util/errors.js';
import type { BillingRecord, MetricSample } from './generated-types.js';

/** cluster/namespace/kind/name/container/metric; "-" when the sample is workload-level. */
export function seriesIdOf(s: Pick<MetricSample, 'cluster' | 'namespace' | 'kind' | 'name' | 'container' | 'metric'>): string {
  return `${s.cluster}/${s.namespace}/${s.kind}/${s.name}/${s.container ?? '-'}/${s.metric}`;
}

/** Billing rows routinely arrive weeks late (invoices, corrections): they may be up to 400 days old. */
const BILLING_MAX_AGE_MS = 400 * 24 * 3_600_000;

function checkEventTime(t: number, what: string, cfg: IngestConfig, now: number, maxAgeMs = cfg.maxEventAgeMs): void {
  if (!Number.isFinite(t)) throw new RejectedMessage('invalid-field', `${what} is not a time`);
  if (cfg.replayHistory) return;
  if (t > now + cfg.maxFutureSkewMs) {
    throw new RejectedMessage('clock-skew', `${what} ${new Date(t).toISOString()} is ${Math.round((t - now) / 1000)} s ahead of the processor's clock (allowed ${cfg.maxFutureSkewMs / 1000} s; FORESIGHT_MAX_FUTURE_SKEW_MS)`);
  }
  if (t < now - maxAgeMs) {
    throw new RejectedMessage('clock-skew', `${what} ${new Date(t).toISOString()} is older than ${maxAgeMs / 3_600_000} h (FORESIGHT_MAX_EVENT_AGE_MS; set FORESIGHT_REPLAY_HISTORY=true to replay history)`);
  }
}

/** All metric values are physical quantities (usage, rates, counts, replicas): finite and ≥ 0. */
export function checkSample(s: MetricSample, cfg: IngestConfig, now = Date.now()): void {
  for (const f of ['cluster', 'namespace', 'kind', 'name', 'metric'] as const) {
    if (typeof s[f] !== 'string' || s[f].trim() === '') throw new RejectedMessage('invalid-field', `field ${f} is missing or empty`);
  }
  if (!Number.isFinite(s.value)) throw new RejectedMessage('not-finite', `value of ${s.metric} is ${s.value}; expected a finite number`);
  if (s.value < 0) throw new RejectedMessage('negative-value', `value of ${s.metric} is ${s.value}; a physical quantity cannot be negative`);
  checkEventTime(s.eventTime, 'eventTime', cfg, now);
}

export function checkBilling(r: BillingRecord, cfg: IngestConfig, now = Date.now()): void {
  for (const f of ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost'] as const) {
    if (!Number.isFinite(r[f])) throw new RejectedMessage('not-finite', `${f} is ${r[f]}; expected a finite number`);
  }
  for (const f of ['PricingQuantity', 'ConsumedQuantity'] as const) {
    const q = r[f];
    if (q !== null && (!Number.isFinite(q) || q < 0)) throw new RejectedMessage(Number.isFinite(q) ? 'negative-value' : 'not-finite', `${f} is ${q}`);
  }
  if (r.ChargePeriodEnd < r.ChargePeriodStart) throw new RejectedMessage('invalid-field', 'ChargePeriodEnd is before ChargePeriodStart');
  checkEventTime(r.ChargePeriodStart, 'ChargePeriodStart', cfg, now, Math.max(cfg.maxEventAgeMs, BILLING_MAX_AGE_MS));
}
