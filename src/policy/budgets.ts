/**
 * Budgets, pure: which budgets hold for a workload, and what a change does to them.
 *
 * A policy file's `budget.monthly` is the budget of the scope the file names, priced against
 * the cost windows of the same scope (windows/billing.ts, from the FOCUS rows' Tags):
 *   - `scope: {namespace: N}` and the unscoped defaults → `ns:<cluster>/<N>` (each namespace
 *     gets the default; a namespace file overrides it);
 *   - `scope: {team: T}` → `team:<T>` (a workload's team: money/workload-facts.ts);
 *   - `scope: {workload: N/K/W}` → `workload:<cluster>/N/K/W`.
 * A workload is held to every one of them at once (its namespace's, its team's and its own).
 *
 * Projection: month to date + the hourly run rate of the last 24 billed hours (windows/cost-store.ts
 * spend: billing arrives late) × the hours left in the UTC
 * month (rules.ts budgetProjection). A breach is when that exceeds the budget; a change breaks
 * a budget when the projection plus its own cost over the rest of the month does.
 */
import type { Recommendation } from '../codec/generated-types.js';
import type { PolicyFile } from './policy-schema.js';
import { budgetProjection } from './rules.js';

export interface Budget {
  /** cost scope: "ns:<cluster>/<ns>", "team:<t>", "workload:<cluster>/<ns>/<kind>/<name>" */
  scope: string;
  monthly: number;
  currency: string;
  /** the policy file that set it */
  policy: string;
  /** what a raise that would break it does: withheld ("cap") or sent for review ("review") */
  onBreach: 'cap' | 'review';
}

/**
 * The fields a record about a budget scope carries in place of a workload's (a BUDGET
 * recommendation, its alert): `workload:<c>/<ns>/<kind>/<name>` its own; `ns:<c>/<ns>` the
 * namespace (kind `Namespace`, name the namespace); `team:<t>` the team (kind `Team`, name the
 * team, no cluster or namespace: a team spans them).
 */
export function scopeFields(scope: string): { cluster: string; namespace: string; kind: string; name: string } {
  const [type, rest] = [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1)];
  const parts = rest.split('/');
  if (type === 'workload' && parts.length === 4) return { cluster: parts[0], namespace: parts[1], kind: parts[2], name: parts[3] };
  if (type === 'ns' && parts.length === 2) return { cluster: parts[0], namespace: parts[1], kind: 'Namespace', name: parts[1] };
  if (type === 'team') return { cluster: '', namespace: '', kind: 'Team', name: rest };
  return { cluster: '', namespace: '', kind: 'Scope', name: scope };
}

export interface BudgetWorkload {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  team?: string;
}

/** The budgets a workload is held to, from the policy files (narrowest scope last). */
export function budgetsFor(
  files: { file: string; policy: PolicyFile }[],
  w: BudgetWorkload,
  defaults: { currency: string; onBreach: 'cap' | 'review' },
): Budget[] {
  const pick = (match: (s: Record<string, string>) => boolean): { file: string; policy: PolicyFile } | undefined =>
    files.filter((f) => match(f.policy.scope as Record<string, string>) && f.policy.spec.budget?.monthly !== undefined).at(-1);
  const out: Budget[] = [];
  const add = (f: { file: string; policy: PolicyFile } | undefined, scope: string): void => {
    if (!f) return;
    const b = f.policy.spec.budget!;
    out.push({
      scope,
      monthly: b.monthly!,
      currency: b.currency ?? defaults.currency,
      policy: `${f.policy.metadata.name} (${f.file})`,
      onBreach: b.onBreach ?? defaults.onBreach,
    });
  };
  add(pick((s) => s.namespace === w.namespace) ?? pick((s) => Object.keys(s).length === 0), `ns:${w.cluster}/${w.namespace}`);
  if (w.team !== undefined)
    add(
      pick((s) => s.team === w.team),
      `team:${w.team}`,
    );
  add(
    pick((s) => s.workload === `${w.namespace}/${w.kind}/${w.name}`),
    `workload:${w.cluster}/${w.namespace}/${w.kind}/${w.name}`,
  );
  return out;
}

export interface BudgetState {
  budget: Budget;
  monthToDate: number;
  hourlyRunRate: number;
  /** where the figures end (the newest billed hour): the run rate is projected from here */
  atMs: number;
  /** when the check is made (absent: atMs): a change's own share of the month counts from here */
  nowMs?: number;
}

/** A budget's figures as checked at a closed hour; `billed` false: no billing row of the scope's month yet (month to date unknown, counted as 0). */
export type CheckedBudget = BudgetState & { billed: boolean };

/** Projected cost of the scope at the end of the period without any change. */
export const projected = (s: BudgetState): number => budgetProjection(s.monthToDate, s.hourlyRunRate, 0, s.atMs);

/** Is the scope heading over its budget this period? */
export const breached = (s: BudgetState): boolean => projected(s) > s.budget.monthly;

/** Would a change of `monthlyDelta` (its hourly cost over the hours left in the month) take the scope over its budget? */
export function changeBreaks(s: BudgetState, monthlyDelta: number): boolean {
  return monthlyDelta > 0 && projected(s) + budgetProjection(0, 0, monthlyDelta, s.nowMs ?? s.atMs) > s.budget.monthly;
}

/** The period of a budget: the UTC month "YYYY-MM". */
export function periodOf(atMs: number): string {
  return new Date(atMs).toISOString().slice(0, 7);
}

/**
 * What the budgets do to a raise: nothing, a review (the pull request path), or a cap (the
 * raise is withheld). An urgent raise (memory after an OOM kill) is never withheld: it goes to
 * review instead. Returns the first budget it breaks.
 */
export function guardRaise(
  states: BudgetState[],
  monthlyDelta: number,
  urgent: boolean,
): { action: 'none' } | { action: 'review' | 'cap'; state: BudgetState } {
  const broken = states.find((s) => changeBreaks(s, monthlyDelta));
  return broken ? onBreach(broken, urgent) : { action: 'none' };
}

/** What breaking budget `s` does to a raise: its onBreach, except that an urgent raise is never withheld. */
function onBreach(s: BudgetState, urgent: boolean): { action: 'review' | 'cap'; state: BudgetState } {
  return { action: s.budget.onBreach === 'cap' && !urgent ? 'cap' : 'review', state: s };
}

/** The budget figures a recommendation carries (Recommendation.budget). */
export function budgetStatus(s: BudgetState): NonNullable<Recommendation['budget']> {
  return {
    scope: s.budget.scope,
    period: periodOf(s.atMs),
    monthly: s.budget.monthly,
    monthToDate: s.monthToDate,
    projected: projected(s),
    policy: s.budget.policy,
  };
}

/**
 * The budgets on a priced recommendation of any type (HPA, RESOURCES, IDLE, SPOT): a raise that
 * would break one is withheld (undefined) or marked critical for review with the budget's
 * figures, per the budget's `onBreach`; an urgent raise (OOM) always goes to review. A saving
 * passes. A raise of unknown cost (`raise` says it adds capacity) in a scope already heading
 * over its budget breaks it whatever it costs, so it is held to that budget alike; elsewhere it
 * passes with a rule saying the budgets could not be checked. `states` are the budgets of the
 * workload (none: nothing to check).
 */
export function applyBudgets(
  rec: Recommendation,
  states: BudgetState[],
  urgent: boolean,
  raise = false,
  onCap?: (s: BudgetState) => void,
): Recommendation | undefined {
  if (states.length === 0) return rec;
  const over = rec.costUnknown !== null && raise ? states.find(breached) : undefined;
  if (rec.costUnknown !== null && over === undefined) {
    rec.rules.push('budget-unchecked:cost-unknown');
    return rec;
  }
  const verdict = over ? onBreach(over, urgent) : guardRaise(states, rec.monthlyCostDelta, urgent);
  if (verdict.action === 'none') return rec;
  if (verdict.action === 'cap') {
    onCap?.(verdict.state);
    return undefined;
  }
  rec.critical = true;
  rec.rules.push(`budget-review:${verdict.state.budget.scope}`);
  rec.budget = budgetStatus(verdict.state);
  return rec;
}
