/**
 * The budgets on /metrics, per budget scope (`ns:<cluster>/<ns>`, `team:<t>`,
 * `workload:<cluster>/<ns>/<kind>/<name>`) and currency, as the recommendation loop last
 * checked them (money.ts: once per scope and closed hour, breached or not):
 *
 *   foresight_budget_monthly         the policy's monthly budget
 *   foresight_budget_month_to_date   cost billed this month up to the newest billed hour (where the projection starts)
 *   foresight_budget_projected       month to date + the last 24 billed hours' run rate × the hours left
 *   foresight_budget_billed          1 when a billing row of the scope's month has arrived, else 0
 *   foresight_budget_withheld_total  raises a budget withheld (not published), per scope and type: a
 *                                    capped raise is proposed again at each step, so it counts steps
 *
 * Without a billing row of the month the spend is unknown, not zero: month to date and the
 * projection are NaN (no comparison with them holds, so no alert fires on them) and
 * `foresight_budget_billed` is 0. Several processors export the same figures for a scope
 * (each checks the workloads of its partitions): aggregate with max by (scope).
 */
import type { Meter } from '@opentelemetry/api';
import { projected, type CheckedBudget } from '../policy/budgets.js';

/** Registers the gauges; returns the function that records a checked budget into them. */
export function budgetGauges(meter: Meter): (b: CheckedBudget) => void {
  const latest = new Map<string, CheckedBudget>();
  const gauge = (name: string, description: string, value: (b: CheckedBudget) => number): void => {
    meter.createObservableGauge(name, { description }).addCallback((o) => {
      for (const b of latest.values()) o.observe(value(b), { scope: b.budget.scope, currency: b.budget.currency });
    });
  };
  gauge('foresight_budget_monthly', "The policy's monthly budget, per budget scope and currency", (b) => b.budget.monthly);
  gauge('foresight_budget_month_to_date', 'Cost billed this month so far, per budget scope (NaN: no billing row of the month yet)', (b) =>
    b.billed ? b.monthToDate : NaN,
  );
  gauge(
    'foresight_budget_projected',
    "Month to date plus the last 24 billed hours' run rate for the rest of the month, per budget scope (NaN: unknown)",
    (b) => (b.billed ? projected(b) : NaN),
  );
  gauge('foresight_budget_billed', "1 when a billing row of the scope's month has arrived (its spend is known), else 0", (b) => (b.billed ? 1 : 0));
  return (b) => {
    latest.set(b.budget.scope, b);
  };
}

/** Registers the counter of withheld raises; returns the function that counts one. */
export function budgetWithheldCounter(meter: Meter): (scope: string, type: string) => void {
  const counter = meter.createCounter('foresight_budget_withheld', {
    description: 'Raises a budget withheld (onBreach: cap), per budget scope and recommendation type; a withheld raise is proposed again at its next step',
  });
  return (scope, type) => counter.add(1, { scope, type });
}
