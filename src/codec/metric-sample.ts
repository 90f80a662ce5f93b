/** Series identity and the checks every decoded sample and billing row must pass. */
import type { IngestConfig } from '../config/config.js';
import { ForesightError, RejectedMessage } from '../util/errors.js';
import type { BillingRecord, MetricSample } from './generated-types.js';
import { kindProblem, labelValueProblem, metricNameProblem, namespaceProblem, workloadNameProblem } from './k8s-names.js';

/**
 * cluster/namespace/kind/name/container/metric; "-" when the sample is workload-level.
 *
 * Invariant: none of the first five fields contains "/" (checkSample holds them to the
 * Kubernetes name rules, k8s-names.ts, none of which admits "/", and "-" is not a valid
 * container name), so an id splits back into exactly one identity (series-id.ts);
 * the metric, last, may contain "/". Asserted here: a caller that skipped checkSample fails
 * loudly instead of merging two series.
 */
export function seriesIdOf(s: Pick<MetricSample, 'cluster' | 'namespace' | 'kind' | 'name' | 'container' | 'metric'>): string {
  const container = s.container ?? '-';
  if (s.cluster.includes('/') || s.namespace.includes('/') || s.kind.includes('/') || s.name.includes('/') || container.includes('/')) {
    throw new ForesightError(
      'INPUT_INVALID',
      `series identity ${JSON.stringify([s.cluster, s.namespace, s.kind, s.name, s.container].map((x) => x?.slice(0, 80)))} has a "/" in a name; names are validated before ids are built (checkSample)`,
    );
  }
  return `${s.cluster}/${s.namespace}/${s.kind}/${s.name}/${container}/${s.metric}`;
}

/**
 * The largest metric value accepted: 1e18 (an exabyte in bytes, 30 years in nanoseconds). Far
 * beyond any physical quantity a workload reports, and small enough that the sums of a
 * window's buckets stay finite and exact enough (a double holds up to 1.8e308).
 */
export const MAX_SAMPLE_VALUE = 1e18;

const IDENTITY_CHECKS = [
  ['cluster', labelValueProblem],
  ['namespace', namespaceProblem],
  ['kind', kindProblem],
  ['name', workloadNameProblem],
  ['metric', metricNameProblem],
] as const;

/** Why the sample's identity is not valid (names the field), or undefined. */
export function identityProblem(s: Pick<MetricSample, 'cluster' | 'namespace' | 'kind' | 'name' | 'container' | 'metric'>): string | undefined {
  for (const [field, problem] of IDENTITY_CHECKS) {
    const p = problem(s[field]);
    if (p) return `${field} ${p}`;
  }
  if (s.container !== null && s.container !== undefined) {
    const p = labelValueProblem(s.container);
    if (p) return `container ${p}`;
  }
  return undefined;
}

/** Billing rows routinely arrive weeks late (invoices, corrections): they may be up to 400 days old. */
const BILLING_MAX_AGE_MS = 400 * 24 * 3_600_000;

function checkEventTime(t: number, what: string, cfg: IngestConfig, now: number, maxAgeMs = cfg.maxEventAgeMs): void {
  if (!Number.isFinite(t)) throw new RejectedMessage('invalid-field', `${what} is not a time`);
  if (cfg.replayHistory) return;
  if (t > now + cfg.maxFutureSkewMs) {
    throw new RejectedMessage(
      'clock-skew',
      `${what} ${new Date(t).toISOString()} is ${Math.round((t - now) / 1000)} s ahead of the processor's clock (allowed ${cfg.maxFutureSkewMs / 1000} s; FORESIGHT_MAX_FUTURE_SKEW_MS)`,
    );
  }
  if (t < now - maxAgeMs) {
    throw new RejectedMessage(
      'clock-skew',
      `${what} ${new Date(t).toISOString()} is older than ${maxAgeMs / 3_600_000} h (FORESIGHT_MAX_EVENT_AGE_MS; set FORESIGHT_REPLAY_HISTORY=true to replay history)`,
    );
  }
}

/**
 * Names follow Kubernetes' rules (k8s-names.ts); metric values are physical quantities (usage,
 * rates, counts, replicas): finite, ≥ 0 and at most MAX_SAMPLE_VALUE.
 */
export function checkSample(s: MetricSample, cfg: IngestConfig, now = Date.now()): void {
  const problem = identityProblem(s);
  if (problem) throw new RejectedMessage('invalid-field', problem);
  checkReading(s, cfg, now);
}

/** checkSample's checks of the value and the event time (the identity checked apart: codec/sample-reader.ts). */
export function checkReading(s: Pick<MetricSample, 'metric' | 'value' | 'eventTime'>, cfg: IngestConfig, now = Date.now()): void {
  if (typeof s.value !== 'number' || !Number.isFinite(s.value))
    throw new RejectedMessage('not-finite', `value of ${s.metric} is ${s.value}; expected a finite number`);
  if (s.value < 0) throw new RejectedMessage('negative-value', `value of ${s.metric} is ${s.value}; a physical quantity cannot be negative`);
  if (s.value > MAX_SAMPLE_VALUE)
    throw new RejectedMessage(
      'out-of-range',
      `value of ${s.metric} is ${s.value}; at most ${MAX_SAMPLE_VALUE} is accepted (sums of larger values lose precision and overflow)`,
    );
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
  const tagProblem = billingTagProblem(r.Tags);
  if (tagProblem) throw new RejectedMessage('invalid-field', tagProblem);
  if (r.ChargePeriodEnd < r.ChargePeriodStart) throw new RejectedMessage('invalid-field', 'ChargePeriodEnd is before ChargePeriodStart');
  checkEventTime(r.ChargePeriodStart, 'ChargePeriodStart', cfg, now, Math.max(cfg.maxEventAgeMs, BILLING_MAX_AGE_MS));
}

/** The Kubernetes tags that attribute a billing row (windows/billing.ts builds "/"-joined scope ids from them). */
const BILLING_TAG_CHECKS: [string, (v: unknown) => string | undefined][] = [
  ['k8s.cluster.name', labelValueProblem],
  ['k8s.namespace.name', namespaceProblem],
  ...['k8s.deployment.name', 'k8s.statefulset.name', 'k8s.daemonset.name', 'k8s.job.name', 'k8s.cronjob.name'].map(
    (t): [string, (v: unknown) => string | undefined] => [t, workloadNameProblem],
  ),
];

function billingTagProblem(tags: Record<string, string>): string | undefined {
  for (const [tag, problem] of BILLING_TAG_CHECKS) {
    const v = tags[tag];
    if (v === undefined || v === '') continue; // absent: the row is attributed without it
    const p = problem(v);
    if (p) return `tag ${tag} ${p}`;
  }
  return undefined;
}
