/** Series identity and the basic checks every decoded MetricSample must pass. */
import { RejectedMessage } from '../util/errors.js';
import type { BillingRecord, MetricSample } from './generated-types.js';

/** cluster/namespace/kind/name/container/metric; "-" when the sample is workload-level. */
export function seriesIdOf(s: Pick<MetricSample, 'cluster' | 'namespace' | 'kind' | 'name' | 'container' | 'metric'>): string {
  return [s.cluster, s.namespace, s.kind, s.name, s.container ?? '-', s.metric].join('/');
}

export function checkSample(s: MetricSample): void {
  if (!Number.isFinite(s.value)) throw new RejectedMessage('not-finite', `value is ${s.value}; expected a finite number`);
  if (s.value < 0) throw new RejectedMessage('negative-value', `value is ${s.value}; ${s.metric} cannot be negative`);
  for (const f of ['cluster', 'namespace', 'kind', 'name', 'metric'] as const) {
    if (s[f].trim() === '') throw new RejectedMessage('invalid-field', `field ${f} is empty`);
  }
}

/** Billing rows are attributed per resource (or per service when the row has no resource). */
export function billingSeriesIdOf(r: BillingRecord): string {
  return `billing/${r.ResourceId ?? r.ServiceName}/EffectiveCost`;
}

export function checkBilling(r: BillingRecord): void {
  for (const f of ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost'] as const) {
    if (!Number.isFinite(r[f])) throw new RejectedMessage('not-finite', `${f} is ${r[f]}; expected a finite number`);
  }
  if (r.ChargePeriodEnd < r.ChargePeriodStart) throw new RejectedMessage('invalid-field', 'ChargePeriodEnd is before ChargePeriodStart');
}
