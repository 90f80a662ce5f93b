/** The HTML of `foresight report` and of `foresight backtest --html`, drawn from their computed figures (report-data.ts, series-panel.ts). */
import type { ReportData } from './report-data.js';
import { kpis, notes, page, section, table } from './page.js';
import type { SeriesPanel } from './series-panel.js';
import { costBars, esc, num, timeChart } from './svg.js';

const pct = (x: number | null, d = 1): string => (x === null ? 'unknown' : `${(100 * x).toFixed(d)}%`);
const money = (x: number | null, currency: string | null): string => (x === null ? 'unknown' : `${x.toFixed(2)}${currency ? ` ${currency}` : ''}`);
/** A saving per month; a negative one is a cost increase and says so. */
export const saving = (x: number | null, currency: string | null): string =>
  x !== null && x < 0 ? `${money(-x, currency)} cost increase` : money(x, currency);
/** The summary tile of a saving: a negative one is shown as the cost increase it is. */
function savingTile(what: string, x: number | null, currency: string | null): { label: string; value: string; cls?: string } {
  return x !== null && x < 0
    ? { label: `cost increase ${what} / month`, value: money(-x, currency), cls: 'bad' }
    : { label: `savings ${what} / month`, value: money(x, currency) };
}
/** What the summary's cost sums, in words: the table's scopes, named when few. */
function totalOf(scopes: string[]): string {
  if (scopes.length === 0) return 'no scope of known cost';
  if (scopes.length <= 3) return scopes.join(' + ');
  const ns = scopes.filter((s) => s.startsWith('ns:')).length;
  return [ns && `${ns} namespaces`, scopes.includes('unattributed') && 'unattributed'].filter(Boolean).join(' + ');
}
const text = (s: string): { html: string } => ({ html: esc(s) });
const fig = (s: string): { html: string; numeric: true } => ({ html: esc(s), numeric: true });

/** Demand, the forecast band (q50 to q99, q90 drawn), the capacity in force and the anomalies of one series. */
export function seriesChart(p: SeriesPanel, opts: { baseline?: boolean; unit?: string; elapsed?: boolean } = {}): string {
  return timeChart({
    startMs: p.startMs,
    stepMs: p.stepMs,
    unit: opts.unit,
    elapsed: opts.elapsed,
    band: { name: 'forecast of the next hour’s peak, q50–q99', color: '#fdae6b', lo: p.q50, hi: p.q99 },
    lines: [
      { name: 'demand', color: '#1f77b4', values: p.demand },
      { name: 'forecast q90', color: '#e6550d', values: p.q90, dashed: true },
      { name: 'recommended capacity', color: '#2ca02c', values: p.capacity },
      ...(opts.baseline ? [{ name: `VPA-style baseline ×${p.summary.vpa_scale}`, color: '#9467bd', values: p.scaledVpa, dashed: true }] : []),
    ],
    markers: { name: 'anomaly', color: '#d62728', points: p.anomalies },
  });
}

function accuracyCells(p: SeriesPanel): { html: string; numeric?: boolean }[] {
  return [
    fig(String(p.accuracy.rows)),
    fig(pct(p.accuracy.coverage)),
    fig(p.accuracy.pinballLoss === null ? 'unknown' : num(p.accuracy.pinballLoss)),
    fig(pct(p.summary.under_provisioned_share, 2)),
    fig(num(p.summary.capacity_hours)),
    fig(String(p.anomalies.length)),
  ];
}

export function reportHtml(d: ReportData): string {
  const cur = d.currency;
  const sections: string[] = [];
  const known = d.costs.filter((c) => c.monthToDate !== null);
  const over = d.costs.filter((c) => c.overBudget === true);
  sections.push(
    section(
      'Summary',
      kpis([
        {
          label: `cost month to date (${d.month}): ${totalOf(d.costTotal.scopes)}`,
          value: money(d.costTotal.monthToDate, cur),
        },
        { label: 'scopes over budget by month end', value: String(over.length), cls: over.length ? 'bad' : 'good' },
        { label: 'savings proposed / month', value: money(d.savings.proposedMonthly, cur) },
        savingTile('realised', d.savings.realisedMonthly, cur),
        { label: 'changes measured', value: String(d.outcomes.length) },
        { label: 'regressed changes', value: String(d.verdicts.regressed), cls: d.verdicts.regressed ? 'bad' : undefined },
      ]) + notes([...d.costTotal.leftOut.map((l) => `cost month to date: ${l}`), ...d.notes]),
    ),
  );
  sections.push(
    section(
      'Cost per namespace and team',
      (known.length
        ? costBars(
            known.map((c) => ({ label: c.scope, monthToDate: c.monthToDate, projected: c.projected, budget: c.budget })),
            cur ?? '',
          )
        : '') +
        table(
          ['scope', 'month to date', 'run rate / h', 'forecast to month end', 'budget', 'status'],
          d.costs.map((c) => [
            text(c.scope),
            fig(money(c.monthToDate, cur)),
            fig(c.hourlyRunRate === null ? 'unknown' : num(c.hourlyRunRate)),
            fig(money(c.projected, cur)),
            fig(c.budget === null ? 'none' : money(c.budget, cur)),
            {
              html:
                c.overBudget === true
                  ? '<span class="bad">over budget</span>'
                  : c.overBudget === false
                    ? '<span class="good">within budget</span>'
                    : esc(c.note ?? ''),
            },
          ]),
        ) +
        '<p>Forecast to month end: month to date + the last 24 billed hours’ cost per hour × the hours left in the UTC month after the newest billed hour.</p>',
      'costs',
    ),
  );
  for (const w of d.workloads) {
    const body = w.series
      .map(
        (s) =>
          `<h3>${esc(s.container ? `${s.container} · ${s.metric}` : s.metric)}${s.unit ? ` <small>${esc(s.unit)}</small>` : ''}</h3>${s.panel ? seriesChart(s.panel, { unit: s.unit ?? undefined }) : `<p class="note">${esc(s.note ?? 'not charted')}</p>`}`,
      )
      .join('');
    sections.push(section(`Workload ${w.workload}`, body));
  }
  sections.push(
    section(
      'Savings proposed, applied and realised',
      table(
        ['', 'changes', 'per month'],
        [
          [
            text('proposed (latest proposal per workload and type this month, savings only)'),
            fig(String(d.savings.proposedCount)),
            fig(money(d.savings.proposedMonthly, cur)),
          ],
          [
            text('applied (in force for an outcome period: the changes with an outcome)'),
            fig(String(d.savings.appliedCount)),
            fig(saving(d.savings.appliedMonthly, cur)),
          ],
          [
            text('realised (cost before − after over equal windows, per month)'),
            fig(String(d.savings.realisedCount)),
            fig(saving(d.savings.realisedMonthly, cur)),
          ],
        ],
      ) + notes(d.savings.notes),
      'savings',
    ),
  );
  sections.push(
    section(
      'Outcomes of changes',
      kpis(
        (['saved', 'neutral', 'regressed', 'insufficient-data'] as const).map((v) => ({
          label: v,
          value: String(d.verdicts[v]),
          cls: v === 'regressed' && d.verdicts[v] ? 'bad' : undefined,
        })),
      ) +
        (d.outcomes.length
          ? table(
              ['workload', 'change', 'verdict', 'under-provisioned before → after', 'cost before → after', 'coverage', 'pinball', 'why'],
              d.outcomes.map((o) => [
                text(`${o.namespace}/${o.name}${o.container ? `/${o.container}` : ''}`),
                text(`${o.type} ${o.fields.map((f) => `${f.field} ${f.before ?? '?'}→${f.after}`).join(', ')}`),
                { html: `<span class="${o.verdict === 'regressed' ? 'bad' : o.verdict === 'saved' ? 'good' : ''}">${esc(o.verdict)}</span>` },
                fig(`${pct(o.before.underProvisionedShare, 2)} → ${pct(o.after.underProvisionedShare, 2)}`),
                fig(o.costUnknown ? o.costUnknown : `${money(o.before.cost, o.currency)} → ${money(o.after.cost, o.currency)}`),
                fig(pct(o.coverage)),
                fig(o.pinballLoss === null ? 'unknown' : num(o.pinballLoss)),
                text(o.measure ? `${o.explanation} (measured: ${o.measure})` : o.explanation),
              ]),
            )
          : '<p>No outcome recorded yet: a change is measured once it has been in force for the configured period.</p>'),
      'outcomes',
    ),
  );
  const panels = d.workloads.flatMap((w) => w.series.filter((s) => s.panel).map((s) => ({ w, s, p: s.panel! })));
  sections.push(
    section(
      'Forecast accuracy and anomalies',
      table(
        ['series', 'scored steps', 'q90 coverage', 'q90 pinball', 'under-provisioned', 'capacity-hours', 'anomalies'],
        panels.map(({ s, p }) => [text(s.seriesId), ...accuracyCells(p)]),
      ) +
        '<p>Replayed causally over the windows: at each 5-minute step the forecast of the next hour’s peak uses only the steps before; coverage is the share of steps whose peak stayed at or under q90 (goal about 90%).</p>' +
        (panels.some(({ p }) => p.anomalies.length)
          ? table(
              ['series', 'time (UTC)', 'value', 'score'],
              panels.flatMap(({ s, p }) =>
                p.anomalies.map((a) => [text(s.seriesId), text(new Date(a.timeMs).toISOString().slice(0, 16)), fig(num(a.value)), fig(a.score.toFixed(3))]),
              ),
            )
          : '<p>No point scored at or above the anomaly model’s threshold.</p>'),
      'accuracy',
    ),
  );
  const scope = [d.filter.namespace && `namespace ${d.filter.namespace}`, d.filter.team && `team ${d.filter.team}`].filter(Boolean).join(', ');
  return page(
    'Foresight report',
    `${scope || 'all namespaces'} · ${d.month} · as of event time ${new Date(d.atMs).toISOString().slice(0, 16)} UTC, generated at wall time ${d.generatedAt.slice(0, 16)} UTC · model ${d.forecasterVersion}`,
    sections,
    `Generated ${d.generatedAt} by foresight report from Redis key prefix ${d.keyPrefix}. Figures are computed from the windows, cost windows and outcomes; unknown means it could not be computed.`,
  );
}

export interface BacktestPage {
  input: string;
  column: string;
  policy: string;
  scoreFrom: number;
  panel: SeriesPanel;
  /** the trace has no time column: its steps are numbered from 0, so the chart shows elapsed time, not 1970 dates */
  elapsed?: boolean;
}

export function backtestHtml(b: BacktestPage): string {
  const s = b.panel.summary;
  const sections = [
    section(
      'Summary',
      kpis([
        { label: 'under-provisioned steps (goal ≤ 1%)', value: pct(s.under_provisioned_share, 2), cls: s.under_provisioned_share <= 0.01 ? 'good' : 'bad' },
        { label: `below the VPA-style baseline ×${s.vpa_scale}`, value: pct(s.saving_vs_scaled_vpa), cls: s.saving_vs_scaled_vpa > 0 ? 'good' : 'bad' },
        { label: 'of the attainable saving (goal ≥ 50%)', value: pct(s.attainable_saving_share), cls: s.attainable_saving_share >= 0.5 ? 'good' : 'bad' },
        { label: 'q90 coverage (goal about 90%)', value: pct(b.panel.accuracy.coverage) },
      ]),
    ),
    section('Demand, forecast and capacity', seriesChart(b.panel, { baseline: true, elapsed: b.elapsed })),
    section(
      'Capacity against the baselines',
      table(
        ['plan', 'capacity-hours', 'under-provisioned', 'vs this policy'],
        [
          [text(`policy ${b.policy}`), fig(num(s.capacity_hours)), fig(pct(s.under_provisioned_share, 2)), fig('')],
          [text('static peak (the largest demand, all the time)'), fig(num(s.static_peak_capacity_hours)), fig('0.00%'), fig(pct(s.saving_vs_static_peak))],
          [
            text(`VPA-style baseline ×${s.vpa_scale} (as often under-provisioned)`),
            fig(num(s.scaled_vpa_capacity_hours)),
            fig(''),
            fig(pct(s.saving_vs_scaled_vpa)),
          ],
          [text('VPA-style baseline, unscaled'), fig(num(s.vpa_capacity_hours)), fig(pct(s.vpa_under_provisioned_share, 2)), fig('')],
          [text('oracle (exactly the next demand)'), fig(num(s.oracle_capacity_hours)), fig('0.00%'), fig('')],
        ],
      ) +
        '<p>“vs this policy”: how much less capacity the policy held than that plan. The VPA-style baseline is scaled in hindsight to be under-provisioned no more often than the policy (at least 1% of the steps).</p>',
    ),
    section(
      'Forecast accuracy and anomalies',
      table(['scored steps', 'q90 coverage', 'q90 pinball', 'under-provisioned', 'capacity-hours', 'anomalies'], [accuracyCells(b.panel)]) +
        `<p>Summary figures from ${b.scoreFrom > 0 ? `the last ${pct(1 - b.scoreFrom, 0)} of the steps (the held-out tail)` : 'every step'}; ${s.rows} steps.</p>`,
    ),
  ];
  return page(
    `Foresight backtest: ${b.input}`,
    `column ${b.column} · ${b.panel.demand.length} steps of ${b.panel.stepMs / 1000} s · policy ${b.policy} · model ${b.panel.modelVersion}`,
    sections,
    'Generated by foresight backtest --html: the series replayed causally through the forecaster and the policy, as the live loop decides.',
  );
}
