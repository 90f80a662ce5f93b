/**
 * The figures of `foresight report`, gathered from Redis (windows, cost windows, outcomes) and,
 * for the savings proposed, the recommendations published: one JSON-able object that the HTML
 * page draws and `--json` writes as is. A figure that cannot be computed is null and a note
 * says why; nothing is filled in.
 */
import { scanKeys, type Redis } from '../windows/redis-client.js';
import { monthCostHashPattern, parseCostHashKey } from '../windows/redis-keys.js';
import type { Recommendation } from '../codec/generated-types.js';
import type { ChangeOutcome, OutcomeVerdict } from '../outcomes/outcome.js';
import { listOutcomes } from '../outcomes/store.js';
import { budgetsFor } from '../policy/budgets.js';
import { DEFAULT_POLICY, type PolicyFile, type ResolvedPolicy } from '../policy/policy-schema.js';
import type { ManifestIndex } from '../manifests/manifests.js';
import { policyOfWorkload } from '../money/workload-facts.js';
import { PolicySet } from '../policy/policy-set.js';
import { budgetProjection } from '../policy/rules.js';
import type { Forecaster } from '../scoring/forecaster.js';
import { monthOf } from '../windows/billing.js';
import { CostStore } from '../windows/cost-store.js';
import { findSeries, fiveMinuteSteps, otherPrefixesHint, STEP_MS } from '../windows/history.js';
import { WindowStore } from '../windows/window-store.js';
import { analyseSeries, type SeriesPanel } from './series-panel.js';
import { isCounter } from '../codec/model-server-metrics.js';
import { counterRates } from '../outcomes/figures.js';
import { changeCost, HOURS_PER_MONTH, NO_RESOURCES } from '../money/cost-model.js';

const HOUR = 3_600_000;
/** hours per month of a monthly figure: the cost model's, so applied and realised savings compare */
export const MONTH_HOURS = HOURS_PER_MONTH;
const VERDICTS: OutcomeVerdict[] = ['saved', 'neutral', 'regressed', 'insufficient-data'];

export interface CostRow {
  scope: string;
  monthToDate: number | null;
  /** cost per hour over the 24 hours ending at the newest billed hour (CostStore.spend) */
  hourlyRunRate: number | null;
  /** month to date + run rate × the hours left in the month (policy/rules.ts budgetProjection) */
  projected: number | null;
  budget: number | null;
  budgetPolicy: string | null;
  overBudget: boolean | null;
  note: string | null;
}

export interface SeriesRow {
  seriesId: string;
  container: string | null;
  metric: string;
  /** a counter is charted as its per-second rate (as the recommendations use it); null: as recorded */
  unit: string | null;
  panel: SeriesPanel | null;
  note: string | null;
}

/** The summary's cost: the sum of the table's rows it names, and what it leaves out (each billing row counted once). */
export interface CostTotal {
  monthToDate: number | null;
  /** the scopes (rows of `costs`) summed */
  scopes: string[];
  /** what the sum does not hold, in words */
  leftOut: string[];
}

export interface ReportData {
  /** wall time the report was generated (ISO) */
  generatedAt: string;
  /** the report's moment, in event time (the month, the last 24 hours of cost); ahead of generatedAt after a replay */
  atMs: number;
  month: string;
  keyPrefix: string;
  filter: { namespace: string | null; team: string | null };
  forecasterVersion: string;
  currency: string | null;
  costs: CostRow[];
  costTotal: CostTotal;
  workloads: { workload: string; namespace: string; series: SeriesRow[] }[];
  savings: {
    proposedMonthly: number | null;
    proposedCount: number;
    appliedCount: number;
    appliedMonthly: number | null;
    realisedMonthly: number | null;
    realisedCount: number;
    notes: string[];
  };
  outcomes: ChangeOutcome[];
  verdicts: Record<OutcomeVerdict, number>;
  notes: string[];
}

export interface ReportInputs {
  redis: Redis;
  prefix: string;
  forecaster: Forecaster;
  policyFiles: { file: string; policy: PolicyFile }[];
  /** the recommendations published (with the number of messages that did not decode), or why they could not be read */
  recommendations: { recommendations: Recommendation[]; undecodable: number } | { unavailable: string };
  atMs: number;
  /**
   * the report is as of atMs (`--at`): outcomes decided and recommendations made after it are not counted (a note
   * says how many). Without it the report counts all that are recorded: a replay's event time runs ahead of the clock
   */
  asOf?: boolean;
  namespace?: string;
  team?: string;
  /** at most this many series get a chart (the most recent first); 0: none */
  maxSeries: number;
  /** the broker's topics, for the hint when the windows under `prefix` are empty */
  topics?: string[];
  /** the GitOps repository's manifests (`--gitops`): each workload's team label, so its policy is the one in force */
  manifests?: ManifestIndex;
}

/**
 * The policy a workload's series are charted with: the one in force, resolved with the team label
 * its manifest carries (money/workload-facts.ts policyOfWorkload, as the processor and the
 * committer resolve it); without the manifests, without a team.
 */
export function seriesPolicy(
  policies: PolicySet,
  manifests: ManifestIndex | undefined,
  id: { namespace: string; kind: string; name: string; cluster?: string | null },
): ResolvedPolicy {
  // in the series' cluster's files, as the processor and the committer read them
  const key = { namespace: id.namespace, kind: id.kind, name: id.name, cluster: id.cluster ?? undefined };
  return policyOfWorkload(policies, manifests?.lookup(key).resolved, id);
}

/** Scopes with cost windows in the month, and the billing partitions that hold them (SCAN: a one-shot command, not the hot path). */
async function costScopes(
  redis: Redis,
  prefix: string,
  month: string,
): Promise<{ scopes: string[]; topics: { topic: string; partitions: number }[]; currencies: Set<string> }> {
  const scopes = new Set<string>();
  const parts = new Map<string, number>();
  const priceKeys: string[] = [];
  for await (const { keys: batch } of scanKeys(redis, monthCostHashPattern(prefix, month))) {
    for (const key of batch) {
      const k = parseCostHashKey(prefix, key);
      if (!k) continue;
      parts.set(k.ref.topic, Math.max(parts.get(k.ref.topic) ?? 0, k.ref.partition + 1));
      if (k.kind === 'cost') scopes.add(k.name);
      else priceKeys.push(key);
    }
  }
  const currencies = new Set<string>();
  for (const key of priceKeys) for (const f of await redis.hkeys(key)) if (f.startsWith('currency:')) currencies.add(f.slice('currency:'.length));
  return { scopes: [...scopes].sort(), topics: [...parts].map(([topic, partitions]) => ({ topic, partitions })), currencies };
}

function budgetOf(scope: string, files: ReportInputs['policyFiles']): { monthly: number; policy: string } | undefined {
  const defaults = DEFAULT_POLICY.budget;
  let w: Parameters<typeof budgetsFor>[1] | undefined;
  const ns = /^ns:([^/]+)\/(.+)$/.exec(scope);
  if (ns) w = { cluster: ns[1], namespace: ns[2], kind: '', name: '' };
  if (scope.startsWith('team:')) w = { cluster: '', namespace: '', kind: '', name: '', team: scope.slice('team:'.length) };
  return w ? budgetsFor(files, w, defaults).find((b) => b.scope === scope) : undefined;
}

function inScope(scope: string, namespace?: string, team?: string): boolean {
  if (team !== undefined) return scope === `team:${team}`;
  if (namespace !== undefined) return new RegExp(`^ns:[^/]+/${namespace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`).test(scope);
  return scope.startsWith('ns:') || scope.startsWith('team:') || scope === 'unattributed';
}

/**
 * The summary's cost month to date: what the table counts, each billing row once. A row tagged
 * with a namespace is in its `ns:` scope, one with neither namespace nor team in `unattributed`;
 * `team:` scopes repeat rows already in a namespace, so they are not added (with --team the team's
 * row is the sum). A scope of unknown cost is not in the sum, and the sum says so.
 */
export function costTotal(costs: CostRow[], team?: string): CostTotal {
  const counted = costs.filter((c) => (team !== undefined ? c.scope === `team:${team}` : c.scope.startsWith('ns:') || c.scope === 'unattributed'));
  const known = counted.filter((c) => c.monthToDate !== null);
  const unknown = counted.filter((c) => c.monthToDate === null);
  const leftOut: string[] = [];
  if (unknown.length > 0) leftOut.push(`of unknown cost, not in the sum: ${unknown.map((c) => c.scope).join(', ')}`);
  if (team === undefined && costs.some((c) => c.scope.startsWith('team:')))
    leftOut.push(
      'team scopes are not added: their billing rows are counted under their namespaces (a row tagged with a team but no namespace is only under its team)',
    );
  return {
    monthToDate: known.length ? known.reduce((a, c) => a + c.monthToDate!, 0) : null,
    scopes: known.map((c) => c.scope),
    leftOut,
  };
}

/** The 5-minute steps a series is charted with: a counter's as its rate per second from step to step (as recommendations and outcomes read it), a gauge's as they are. */
export function chartedSteps(metric: string, steps: { startMs: number; values: (number | null)[] }): { startMs: number; values: (number | null)[] } {
  return isCounter(metric) ? { startMs: steps.startMs + STEP_MS, values: counterRates(steps.values) } : steps;
}

/**
 * Cuts in one pool that commitments cover were each priced alone at the margin (money/cost-model.ts changeCost), so each
 * counted the same on-demand usage: added up they overstate the saving. Per such pool with two or more of them, their
 * figures are replaced by what their resources (Recommendation.resourceDelta) save together at the pool's prices now
 * (their own figures may be of other days' prices: the two are not mixed), said in a note; returns what to add to the
 * sum of the figures (either sign). Cuts that move GPUs are left alone: a model server's GPU-hour is priced per GPU
 * model (Money.gpuPrices), which a recommendation does not carry.
 */
async function countedTogether(saving: Recommendation[], costs: CostStore, atMs: number, notes: string[]): Promise<number> {
  const byPool = new Map<string, Recommendation[]>();
  for (const r of saving)
    if (r.nodePool !== null && r.resourceDelta !== null && r.resourceDelta.gpus === 0 && r.rules.some((x) => x.startsWith('commitment:')))
      byPool.set(r.nodePool, [...(byPool.get(r.nodePool) ?? []), r]);
  let adjust = 0;
  for (const [pool, recs] of byPool) {
    if (recs.length < 2) continue;
    const sum = recs.reduce(
      (a, r) => ({ cpuCores: a.cpuCores + r.resourceDelta!.cpuCores, memoryBytes: a.memoryBytes + r.resourceDelta!.memoryGib * 2 ** 30, gpus: 0 }),
      NO_RESOURCES,
    );
    const together = changeCost(sum, await costs.poolPrices(pool, atMs));
    if (!together.known) {
      notes.push(`the ${recs.length} proposals in pool ${pool} are counted as each was priced, not together (${together.reason})`);
      continue;
    }
    const alone = recs.reduce((a, r) => a - r.monthlyCostDelta, 0);
    if (Math.abs(-together.monthly - alone) < 0.005) continue;
    adjust += -together.monthly - alone;
    const unit = together.currency ? ` ${together.currency}` : '';
    const now = together.monthly <= 0 ? `save ${(-together.monthly).toFixed(2)}${unit}` : `cost ${together.monthly.toFixed(2)}${unit}`;
    notes.push(
      `the ${recs.length} proposals in pool ${pool} each count its on-demand usage past its commitments: counted together at its prices now they ${now} a month, not the ${alone.toFixed(2)}${unit} saved their figures add up to`,
    );
  }
  return adjust;
}

export async function gatherReport(inp: ReportInputs): Promise<ReportData> {
  const month = monthOf(inp.atMs);
  const notes: string[] = [];

  // cost per namespace / team, month to date and projected to month end, against the budgets of the policies
  const found = await costScopes(inp.redis, inp.prefix, month);
  const costs = new CostStore(inp.redis, inp.prefix, found.topics);
  const scopes = found.scopes.filter((s) => inScope(s, inp.namespace, inp.team));
  const series = await findSeries(inp.redis, inp.prefix, { namespace: inp.namespace });
  if (inp.team !== undefined)
    notes.push(`--team ${inp.team} selects the team's cost; workloads are not filtered by team (a workload's team is a label in its manifest, not in Redis)`);
  if (inp.team === undefined) {
    // a namespace with windows but no cost rows is listed: its cost is unknown, not zero
    for (const ns of new Set(series.map((s) => `ns:${s.identity.cluster}/${s.identity.namespace}`))) if (!scopes.includes(ns)) scopes.push(ns);
  } else if (!scopes.includes(`team:${inp.team}`)) scopes.push(`team:${inp.team}`);
  if (series.length === 0 && found.scopes.length === 0) {
    const hint = await otherPrefixesHint(inp.redis, inp.prefix, inp.topics);
    notes.push(`the windows under key prefix ${inp.prefix} hold no series and no cost${hint ? `: ${hint}` : ''}`);
  }
  const costRows: CostRow[] = [];
  for (const scope of scopes.sort()) {
    const budget = budgetOf(scope, inp.policyFiles);
    if (!found.scopes.includes(scope)) {
      costRows.push({
        scope,
        monthToDate: null,
        hourlyRunRate: null,
        projected: null,
        budget: budget?.monthly ?? null,
        budgetPolicy: budget?.policy ?? null,
        overBudget: null,
        note: `cost unknown: no billing rows for ${scope} in ${month.slice(0, 4)}-${month.slice(4)}`,
      });
      continue;
    }
    const { monthToDate, hourlyRunRate, asOfMs } = await costs.spend(scope, inp.atMs);
    const projected = budgetProjection(monthToDate, hourlyRunRate, 0, asOfMs);
    costRows.push({
      scope,
      monthToDate,
      hourlyRunRate,
      projected,
      budget: budget?.monthly ?? null,
      budgetPolicy: budget?.policy ?? null,
      overBudget: budget ? projected > budget.monthly : null,
      note: budget ? null : 'no budget in the policies given',
    });
  }
  let currency: string | null = null;
  if (found.currencies.size === 1) currency = [...found.currencies][0];
  else if (found.currencies.size > 1) notes.push(`billing rows in several currencies (${[...found.currencies].join(', ')}): costs are sums as billed`);
  else if (costRows.some((c) => c.monthToDate !== null)) notes.push('the billing rows name no currency');

  // per workload: demand, forecast band, capacity, accuracy and anomalies, most recent series first
  const policies = new PolicySet(inp.policyFiles);
  const store = new WindowStore(inp.redis, inp.prefix);
  const charted = new Set([...series].sort((a, b) => b.watermarkMs - a.watermarkMs).slice(0, inp.maxSeries));
  if (series.length > charted.size)
    notes.push(`${series.length - charted.size} of ${series.length} series are listed without a chart (--max-series ${inp.maxSeries})`);
  const byWorkload = new Map<string, ReportData['workloads'][number]>();
  for (const s of series) {
    let w = byWorkload.get(s.identity.workload);
    if (!w) byWorkload.set(s.identity.workload, (w = { workload: s.identity.workload, namespace: s.identity.namespace, series: [] }));
    const counter = isCounter(s.identity.metric);
    const row: SeriesRow = {
      seriesId: s.seriesId,
      container: s.identity.container,
      metric: s.identity.metric,
      unit: counter ? 'per second (rate of the counter)' : null,
      panel: null,
      note: null,
    };
    w.series.push(row);
    if (!charted.has(s)) continue;
    const { startMs, values } = chartedSteps(s.identity.metric, await fiveMinuteSteps(store, s));
    if (values.filter((v) => v !== null).length < 2) {
      row.note = `fewer than 2 five-minute steps${counter ? ' of rate' : ''} left in the five-minute windows (48 h)`;
      continue;
    }
    let last = values.find((v) => v !== null)!;
    const filled = Float64Array.from(values, (v) => (last = v ?? last)); // gaps forward-filled, as the live history is
    const policy = seriesPolicy(policies, inp.manifests, s.identity);
    row.panel = await analyseSeries(filled, startMs, STEP_MS, inp.forecaster, policy, { anomaly: policy.anomaly });
  }

  // outcomes, and savings proposed, applied and realised
  // as of --at: an outcome decided later, or a recommendation made later, is not known yet then
  const recorded = await listOutcomes(inp.redis, inp.prefix, { namespace: inp.namespace });
  const outcomes = inp.asOf ? recorded.filter((o) => o.decidedAt <= inp.atMs) : recorded;
  let later = 0;
  const verdicts = Object.fromEntries(VERDICTS.map((v) => [v, outcomes.filter((o) => o.verdict === v).length])) as Record<OutcomeVerdict, number>;
  const savingsNotes: string[] = [];
  let proposedMonthly: number | null = null;
  let proposedCount = 0;
  let appliedMonthly: number | null = null;
  if ('unavailable' in inp.recommendations) {
    savingsNotes.push(`savings proposed unknown: ${inp.recommendations.unavailable}`);
  } else {
    const { recommendations, undecodable } = inp.recommendations;
    if (undecodable > 0) savingsNotes.push(`${undecodable} messages on the recommendations topic do not decode and are not counted`);
    // the latest proposal per workload, type and container this month: later ones supersede earlier ones
    const latest = new Map<string, Recommendation>();
    const earlier = new Map<string, Recommendation>(); // the same, of the months before
    for (const r of recommendations) {
      if (!['HPA', 'RESOURCES', 'IDLE', 'SPOT'].includes(r.type)) continue;
      if (inp.namespace !== undefined && r.namespace !== inp.namespace) continue;
      if (inp.asOf && r.createdAt > inp.atMs) {
        later++;
        continue;
      }
      const of = monthOf(r.createdAt) === month ? latest : monthOf(r.createdAt) < month ? earlier : undefined;
      if (!of) continue;
      const key = `${r.cluster}/${r.namespace}/${r.kind}/${r.name}/${r.type}/${r.container ?? '-'}`;
      const prev = of.get(key);
      if (!prev || prev.createdAt <= r.createdAt) of.set(key, r);
    }
    // savings last proposed before the month and not since, nor applied: a report early in a month (or a replay's event
    // time just past a month's end) would say 0 with no word of them (each as priced alone)
    // (one applied, with an outcome, is not proposed again: it is no missing figure)
    const appliedIds = new Set(outcomes.map((o) => o.recommendationId));
    const before = [...earlier]
      .filter(([key, r]) => !latest.has(key) && !appliedIds.has(r.id) && r.costUnknown === null && r.monthlyCostDelta < 0)
      .map(([, r]) => r);
    if (before.length > 0) {
      const sum = before.reduce((a, r) => a - r.monthlyCostDelta, 0);
      const one = before.length === 1;
      savingsNotes.push(
        `${before.length} ${one ? 'saving' : 'savings'} last proposed before ${month.slice(0, 4)}-${month.slice(4)} (${sum.toFixed(2)}${currency ? ` ${currency}` : ''} a month) ${one ? 'is' : 'are'} not counted: savings proposed counts the report's month (--at picks another)`,
      );
    }
    const priced = [...latest.values()].filter((r) => r.costUnknown === null);
    const unpriced = latest.size - priced.length;
    if (unpriced > 0)
      savingsNotes.push(`${unpriced} ${unpriced === 1 ? 'proposal' : 'proposals'} of unknown cost ${unpriced === 1 ? 'is' : 'are'} not counted`);
    const saving = priced.filter((r) => r.monthlyCostDelta < 0);
    proposedCount = saving.length;
    proposedMonthly = saving.reduce((a, r) => a - r.monthlyCostDelta, 0) + (await countedTogether(saving, costs, inp.atMs, savingsNotes));
    const byId = new Map(recommendations.map((r) => [r.id, r]));
    const applied = outcomes.map((o) => byId.get(o.recommendationId)).filter((r): r is Recommendation => r !== undefined && r.costUnknown === null);
    appliedMonthly = applied.length === outcomes.length ? applied.reduce((a, r) => a - r.monthlyCostDelta, 0) : null;
    if (appliedMonthly === null && outcomes.length > 0)
      savingsNotes.push('some applied changes are not among the recommendations read or are of unknown cost: applied saving unknown');
  }
  const realised = outcomes.filter((o) => o.before.cost !== null && o.after.cost !== null);
  const realisedMonthly = realised.length
    ? realised.reduce((a, o) => a + ((o.before.cost! - o.after.cost!) * MONTH_HOURS * HOUR) / Math.max(1, o.after.endMs - o.after.startMs), 0)
    : null;
  if (outcomes.length > realised.length) savingsNotes.push(`${outcomes.length - realised.length} outcomes without a known cost are not in the realised saving`);
  const decidedLater = recorded.length - outcomes.length;
  if (decidedLater + later > 0) {
    const parts = [
      ...(later > 0 ? [`${later} ${later === 1 ? 'recommendation' : 'recommendations'} made`] : []),
      ...(decidedLater > 0 ? [`${decidedLater} ${decidedLater === 1 ? 'outcome' : 'outcomes'} decided`] : []),
    ];
    savingsNotes.push(`${parts.join(' and ')} after ${new Date(inp.atMs).toISOString().slice(0, 16)} UTC (--at) are not counted`);
  }

  return {
    generatedAt: new Date().toISOString(),
    atMs: inp.atMs,
    month: `${month.slice(0, 4)}-${month.slice(4)}`,
    keyPrefix: inp.prefix,
    filter: { namespace: inp.namespace ?? null, team: inp.team ?? null },
    forecasterVersion: inp.forecaster.info.version,
    currency,
    costs: costRows,
    costTotal: costTotal(costRows, inp.team),
    workloads: [...byWorkload.values()],
    savings: {
      proposedMonthly,
      proposedCount,
      appliedCount: outcomes.length,
      appliedMonthly,
      realisedMonthly,
      realisedCount: realised.length,
      notes: savingsNotes,
    },
    outcomes,
    verdicts,
    notes,
  };
}
