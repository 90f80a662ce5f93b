/** The report pages' pure parts on hand-computed cases: figures, SVG, escaping, and the export's file format. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceCsv, traceFileName } from '../../../src/cli/export-history-command.js';
import { parseSeriesId } from '../../../src/codec/series-id.js';
import { chartedSteps, costTotal, type CostRow, type ReportData } from '../../../src/report/report-data.js';
import { reportHtml, saving } from '../../../src/report/report-html.js';
import { pinball } from '../../../src/outcomes/figures.js';
import { costBars, esc, MAX_POINTS, num, timeChart } from '../../../src/report/svg.js';
import { matchesWorkload } from '../../../src/windows/history.js';

const empty: ReportData = {
  generatedAt: '2026-11-29T08:00:00.000Z',
  atMs: Date.UTC(2026, 10, 29, 8),
  month: '2026-11',
  keyPrefix: 'p',
  filter: { namespace: null, team: null },
  forecasterVersion: 'forecaster-1.0.0+abc',
  currency: 'EUR',
  costs: [
    { scope: 'ns:c/a', monthToDate: 12.5, hourlyRunRate: 0.5, projected: 20, budget: 15, budgetPolicy: 'a', overBudget: true, note: null },
    {
      scope: 'ns:c/<b>',
      monthToDate: null,
      hourlyRunRate: null,
      projected: null,
      budget: null,
      budgetPolicy: null,
      overBudget: null,
      note: 'cost unknown: no billing rows for ns:c/<b> in 2026-11',
    },
  ],
  costTotal: { monthToDate: 12.5, scopes: ['ns:c/a'], leftOut: ['of unknown cost, not in the sum: ns:c/<b>'] },
  workloads: [],
  savings: {
    proposedMonthly: null,
    proposedCount: 0,
    appliedCount: 0,
    appliedMonthly: null,
    realisedMonthly: null,
    realisedCount: 0,
    notes: ['savings proposed unknown: x'],
  },
  outcomes: [],
  verdicts: { saved: 0, neutral: 0, regressed: 0, 'insufficient-data': 0 },
  notes: [],
};

describe('report pages', () => {
  it('formats figures and escapes text', () => {
    assert.equal(num(1234.5), '1,235');
    assert.equal(num(0.012345), '0.0123');
    assert.equal(num(0), '0');
    assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(pinball(0.9, 10, 8), 1.8); // under: 0.9 × 2
    assert.ok(Math.abs(pinball(0.9, 8, 10) - 0.2) < 1e-12); // over: 0.1 × 2
  });

  it('draws a line per series, breaks it at gaps, and keeps long series to MAX_POINTS points, each the maximum it covers', () => {
    const svg = timeChart({ startMs: 0, stepMs: 300_000, lines: [{ name: 'demand', color: '#000', values: [1, 2, null, 4] }] });
    const d = /<path d="([^"]+)"/.exec(svg)![1];
    assert.equal(d.match(/M/g)!.length, 2, 'a gap starts a new segment');
    assert.equal(d.match(/L/g)!.length, 1);
    const long = Array.from({ length: 3 * MAX_POINTS }, (_, i) => (i === 7 ? 100 : 1));
    const big = /<path d="([^"]+)"/.exec(timeChart({ startMs: 0, stepMs: 1, lines: [{ name: 'x', color: '#000', values: long }] }))![1];
    assert.equal(big.match(/[ML]/g)!.length, MAX_POINTS);
    assert.match(timeChart({ startMs: 0, stepMs: 1, lines: [{ name: 'a<b', color: '#000', values: [1] }] }), /a&lt;b/);
    // a long trace (backtest --html of 26,000 rows, four lines and a band): drawn, not a call stack overflow
    const rows = Array.from({ length: 200_000 }, (_, i) => 1 + (i % 7));
    const huge = timeChart({
      startMs: 0,
      stepMs: 300_000,
      lines: [{ name: 'x', color: '#000', values: rows }],
      band: { name: 'q10–q90', color: '#ccc', lo: rows, hi: rows },
    });
    assert.match(huge, /<path d="M/);
    assert.ok(huge.includes('>7.35<'), 'the top tick: 1.05 × the largest value, 7');
  });

  it('labels the axis with dates, or with elapsed days for a trace without a time column (not 1970 dates)', () => {
    const day = 86_400_000;
    const values = Array.from({ length: 5 * 288 }, () => 1); // 5 days of 5-minute steps
    const dated = timeChart({ startMs: Date.UTC(2025, 10, 28), stepMs: 300_000, lines: [{ name: 'd', color: '#000', values }] });
    assert.match(dated, />11-28</);
    assert.match(dated, />12-02</);
    const elapsed = timeChart({ startMs: 0, stepMs: 300_000, elapsed: true, lines: [{ name: 'd', color: '#000', values }] });
    assert.doesNotMatch(elapsed, /01-0\d/, 'no 1970 dates');
    assert.match(elapsed, />day 0</);
    assert.match(elapsed, />day 4</); // the last step: 5 × 288 − 1 steps in, day 4 23:55
    assert.match(elapsed, /time since the first step/);
    const short = timeChart({ startMs: 3 * day, stepMs: 300_000, elapsed: true, lines: [{ name: 'd', color: '#000', values: [1, 2, 3, 4, 5] }] });
    assert.match(short, />day 0 00:00</, 'elapsed from the chart start, with the time of day on a short span');
  });

  it('says a cost is unknown instead of drawing it, and marks a budget', () => {
    const svg = costBars(
      [
        { label: 'ns:c/a', monthToDate: 10, projected: 20, budget: 15 },
        { label: 'ns:c/b', monthToDate: null, projected: null, budget: null },
      ],
      'EUR',
    );
    assert.match(svg, /10 → 20 EUR/);
    assert.match(svg, /budget 15/);
    assert.match(svg, /cost unknown/);
    assert.equal(svg.match(/<rect/g)!.length, 2, 'bars only for the known cost');
  });

  it('writes the figures it is given, "unknown" where there are none, and nothing unescaped', () => {
    const html = reportHtml(empty);
    assert.match(html, /12\.50 EUR/);
    assert.match(html, /20\.00 EUR/);
    assert.match(html, /over budget/);
    assert.match(html, /cost unknown: no billing rows for ns:c\/&lt;b&gt; in 2026-11/);
    assert.match(html, /savings proposed unknown: x/);
    assert.ok(!html.includes('ns:c/<b>'), 'scope names are escaped');
    assert.ok(!/<script|<link|src=/.test(html), 'self-contained');
  });

  it('sums in the summary what the cost table counts, each billing row once, and says what it leaves out', () => {
    const row = (scope: string, monthToDate: number | null): CostRow => ({
      scope,
      monthToDate,
      hourlyRunRate: null,
      projected: null,
      budget: null,
      budgetPolicy: null,
      overBudget: null,
      note: null,
    });
    // the demo's case: shop 70.00 and ml 600.50 (ml's rows also under team:ml-platform), 2.25 untagged, batch without billing rows
    const costs = [row('ns:d/ml', 600.5), row('ns:d/shop', 70), row('ns:d/batch', null), row('team:ml-platform', 600.5), row('unattributed', 2.25)];
    const all = costTotal(costs);
    assert.equal(all.monthToDate, 600.5 + 70 + 2.25); // 672.75: team:ml-platform not added again
    assert.deepEqual(all.scopes, ['ns:d/ml', 'ns:d/shop', 'unattributed']);
    assert.match(all.leftOut[0], /of unknown cost, not in the sum: ns:d\/batch/);
    assert.match(all.leftOut[1], /team scopes are not added/);
    assert.deepEqual(costTotal(costs, 'ml-platform'), { monthToDate: 600.5, scopes: ['team:ml-platform'], leftOut: [] });
    assert.equal(costTotal([row('ns:d/batch', null)]).monthToDate, null);
    const html = reportHtml({ ...empty, currency: 'USD', costs, costTotal: all });
    assert.match(html, /<b>672\.75 USD<\/b><span>cost month to date \(2026-11\): ns:d\/ml \+ ns:d\/shop \+ unattributed<\/span>/);
    assert.match(html, /cost month to date: of unknown cost, not in the sum: ns:d\/batch/);
  });

  it('shows a negative saving as a cost increase', () => {
    assert.equal(saving(-50.83, 'USD'), '50.83 USD cost increase');
    assert.equal(saving(12, 'USD'), '12.00 USD');
    assert.equal(saving(null, 'USD'), 'unknown');
    const html = reportHtml({ ...empty, savings: { ...empty.savings, realisedMonthly: -50.83, realisedCount: 1, appliedMonthly: -50.79, appliedCount: 1 } });
    assert.match(html, /<b class="bad">50\.83 EUR<\/b><span>cost increase realised \/ month<\/span>/);
    assert.match(html, /50\.83 EUR cost increase/);
    assert.match(html, /50\.79 EUR cost increase/);
    assert.doesNotMatch(html, /[-−]50\.8/);
    assert.match(reportHtml({ ...empty, savings: { ...empty.savings, realisedMonthly: 3 } }), /<b>3\.00 EUR<\/b><span>savings realised \/ month<\/span>/);
  });

  it('labels the report moment as event time beside the wall time it was generated at', () => {
    const html = reportHtml({ ...empty, atMs: Date.UTC(2026, 10, 29, 13, 25), generatedAt: '2026-11-29T11:24:07.000Z' });
    assert.match(html, /as of event time 2026-11-29T13:25 UTC, generated at wall time 2026-11-29T11:24 UTC/);
  });

  it('charts a counter as its rate per second, a gauge as it is', () => {
    // a token counter at 5-minute steps: +3000, +3000, gap, +6000 over the two steps, reset (200 counted from 0)
    // → 10/s, 10/s, unknown in the gap, 6000/600 s = 10/s, 200/300 s
    const counter = chartedSteps('vllm:generation_tokens_total', { startMs: 600_000, values: [1000, 4000, 7000, null, 13000, 200] });
    assert.deepEqual(counter, { startMs: 900_000, values: [10, 10, null, 10, 200 / 300] });
    assert.deepEqual(chartedSteps('http_requests_total', { startMs: 0, values: [0, 600] }).values, [2]);
    const gauge = { startMs: 0, values: [1, null, 3] };
    assert.equal(chartedSteps('vllm:num_requests_waiting', gauge), gauge);
  });

  it('exports a series as 5-minute rows under a file name made of its id', () => {
    assert.equal(traceFileName('prod/shop/Deployment/web/app/cpu'), 'prod--shop--Deployment--web--app--cpu.csv');
    assert.equal(traceFileName('c/ns/Deployment/w/-/gpu:util'), 'c--ns--Deployment--w-----gpu_util.csv');
    assert.equal(traceCsv(600_000, [1.5, null, 3]), 'timestamp_unix_s,value\n600,1.5\n900,\n1200,3\n');
    const id = parseSeriesId('c1/shop/Deployment/web/app/cpu')!;
    assert.ok(matchesWorkload(id, []));
    assert.ok(matchesWorkload(id, ['web']));
    assert.ok(matchesWorkload(id, ['shop/web']));
    assert.ok(matchesWorkload(id, ['c1/shop/Deployment/web']));
    assert.ok(!matchesWorkload(id, ['batch/web', 'webx']));
  });
});
