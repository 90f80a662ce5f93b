/**
 * `foresight report` and `foresight backtest --html` (issue 13 §3) on the real Redis, rendered
 * in headless Chromium: windows, cost windows and outcomes written through their stores (one
 * namespace with billing rows and a budget, one without), the recommendations given as
 * published. The figures on the rendered page are checked against the hand-computed ones: cost
 * month to date and projected to month end against the budget, unknown cost, savings
 * proposed / applied / realised, verdicts, and the backtest's summary as the CLI prints it.
 * Each page is screenshotted (not blank); UPDATE_DOCS=1 copies the screenshots to docs/.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import type { ChangeOutcome } from '../../../src/outcomes/outcome.js';
import { recordOutcome } from '../../../src/outcomes/store.js';
import { parsePolicyFile } from '../../../src/policy/policy-loader.js';
import { gatherReport, MONTH_HOURS } from '../../../src/report/report-data.js';
import { reportHtml } from '../../../src/report/report-html.js';
import { Forecaster } from '../../../src/scoring/forecaster.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';
import { aggregateBatch, type WindowEvent } from '../../../src/windows/aggregate.js';
import { costIncrements, monthOf } from '../../../src/windows/billing.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { otherPrefixesHint, seriesPrefixes } from '../../../src/windows/history.js';
import { WindowStore } from '../../../src/windows/window-store.js';
import { focusRow } from '../../helpers/billing.js';
import { chromiumBinary, inkStats, renderedText, screenshot } from '../../helpers/chromium.js';
import { runCli } from '../../helpers/cli.js';
import { lastHourInOneMonth } from '../../helpers/clock.js';
import { freePort } from '../../helpers/net.js';
import { testConfig, testEnv } from '../../helpers/env.js';

const HOUR = 3_600_000;
const STEP = 300_000;
const COST_PER_HOUR = 1.5;
const COST_HOURS = 40;
const BUDGET = 600;
const TOKENS = 'c1/ml/Deployment/llm/vllm/vllm:generation_tokens_total';

function outcome(o: Partial<ChangeOutcome> & Pick<ChangeOutcome, 'recommendationId' | 'verdict'>, atMs: number): ChangeOutcome {
  const w = (start: number, cost: number | null, under: number) => ({
    startMs: start,
    endMs: start + 24 * HOUR,
    intervals: 1440,
    underProvisionedShare: under,
    meanSlack: 0.2,
    capacityHours: 96,
    cost,
  });
  return {
    modelVersion: 'forecaster-test',
    type: 'HPA',
    cluster: 'c1',
    namespace: 'shop',
    kind: 'Deployment',
    name: 'web',
    container: null,
    fields: [{ field: 'minReplicas', before: '4', after: '3' }],
    inForceAt: atMs - 30 * HOUR,
    decidedAt: atMs - 6 * HOUR,
    sloRisk: 0.01,
    before: w(atMs - 54 * HOUR, 10, 0),
    after: w(atMs - 30 * HOUR, 7, 0.002),
    quantile: 0.99,
    pinballLoss: 0.05,
    coverage: 0.97,
    currency: 'USD',
    costUnknown: null,
    explanation: 'cost fell by 30% and the under-provisioned share stayed under the SLO risk',
    ...o,
  };
}

function recommendation(id: string, type: Recommendation['type'], monthlyCostDelta: number, createdAt: number): Recommendation {
  return {
    id,
    type,
    cluster: 'c1',
    namespace: 'shop',
    kind: 'Deployment',
    name: 'web',
    container: type === 'RESOURCES' ? 'app' : null,
    changes: [{ field: 'minReplicas', current: '4', proposed: '3' }],
    currentSource: 'MANIFEST',
    forecast: { metric: 'cpu', horizonSeconds: 3600, q50: 1, q90: 2, q99: 3, quantileUsed: 0.99, peakTime: null },
    rules: ['slo-risk'],
    monthlyCostDelta,
    currency: 'USD',
    confidence: 0.8,
    modelVersion: 'forecaster-test',
    critical: false,
    createdAt,
    traceparent: null,
    costUnknown: null,
    nodePool: 'pool-a',
    budget: null,
    resourceDelta: null,
  };
}

describe('report pages in headless Chromium', () => {
  const env = testEnv();
  const cfg = testConfig(env);
  const redis = new Redis(cfg.redis.url);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'report-'));
  // the 48 hours before atMs in one month: in a month's first hours the month of atMs has no
  // billing row yet (its cost unknown, as the report rightly says), and the proposals made 31 and
  // 40 hours before would be last month's, not counted in this month's savings proposed
  const atMs = lastHourInOneMonth(Date.now(), 48 * HOUR);
  let chromium: string;
  before(() => {
    chromium = chromiumBinary();
  });
  after(async () => {
    const keys = await redis.keys(`${cfg.redis.keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws cost against budget, savings, outcomes and each workload from Redis, with the computed figures', async () => {
    // windows: 30 hours of shop/web and batch/etl, one 5-minute step of web at 8× its level
    const store = new WindowStore(redis, cfg.redis.keyPrefix);
    const events: WindowEvent[] = [];
    const steps = 30 * 12;
    const first = atMs / STEP - steps;
    for (let k = 0; k < steps; k++) {
      for (let m = 0; m < 5; m++) {
        const t = (first + k) * STEP + m * 60_000;
        const level = 40 + 20 * Math.sin((2 * Math.PI * k) / 288) + ((k * 7919) % 13) / 4;
        events.push({ message: events.length, seriesId: 'c1/shop/Deployment/web/-/cpu', eventTime: t, value: k === 300 ? 8 * level : level });
        events.push({ message: events.length, seriesId: 'c1/batch/Deployment/etl/-/cpu', eventTime: t, value: 5 + (k % 12) });
        // a model server's token counter at ~4.9 M, counting 600 tokens a minute: charted as 10 tokens/s
        events.push({ message: events.length, seriesId: TOKENS, eventTime: t, value: 4.9e6 + (5 * k + m) * 600 });
      }
    }
    assert.equal(
      (await store.applyBatch({ topic: cfg.topics.metrics, partition: 0 }, -1n, '0', aggregateBatch(events, new Map(), 600_000), 0)).status,
      'applied',
    );

    // cost windows: shop (team payments) costs 1.5 USD an hour for the last 40 hours; batch has no billing rows
    const costHours = Array.from({ length: COST_HOURS }, (_, i) => atMs - (COST_HOURS - i) * HOUR);
    const incs = costHours.flatMap((start) =>
      costIncrements(
        focusRow({
          start,
          unit: 'vCPU-Hours',
          quantity: 4,
          cost: COST_PER_HOUR,
          pool: 'pool-a',
          tags: { 'k8s.cluster.name': 'c1', 'k8s.namespace.name': 'shop', team: 'payments' },
        }),
      ),
    );
    const costs = new CostStore(redis, cfg.redis.keyPrefix, [{ topic: cfg.topics.billing, partitions: 1 }]);
    assert.equal((await costs.applyBatch({ topic: cfg.topics.billing, partition: 0 }, -1n, '0', incs)).status, 'applied');

    // outcomes: one saved (cost 10 → 7 over 24 h), one regressed of unknown cost
    await recordOutcome(redis, cfg.redis.keyPrefix, outcome({ recommendationId: 'rec-hpa', verdict: 'saved' }, atMs));
    await recordOutcome(
      redis,
      cfg.redis.keyPrefix,
      outcome(
        {
          recommendationId: 'rec-res',
          verdict: 'regressed',
          type: 'RESOURCES',
          container: 'app',
          fields: [{ field: 'requests.cpu', before: '500m', after: '400m' }],
          before: { ...outcome({ recommendationId: '', verdict: 'saved' }, atMs).before, cost: null },
          costUnknown: 'cost unknown: no billing rows for pool gpu-x',
          explanation: 'under-provisioned 3.1% of intervals against a 1% SLO risk',
        },
        atMs,
      ),
    );
    // one decided an hour after the report's event time (its decision 6 hours before atMs + 7 hours): not known as of
    // then, so not counted where the report is as of atMs (a note says so)
    await recordOutcome(redis, cfg.redis.keyPrefix, outcome({ recommendationId: 'rec-later', verdict: 'saved' }, atMs + 7 * HOUR));
    // recommendations published: an older HPA proposal superseded by rec-hpa, and a raise
    const recs = [
      recommendation('rec-old', 'HPA', -50, atMs - 40 * HOUR),
      recommendation('rec-hpa', 'HPA', -20, atMs - 31 * HOUR),
      recommendation('rec-res', 'RESOURCES', 5, atMs - 31 * HOUR),
      // made after atMs: it would supersede rec-hpa's 20 where the report is not as of atMs
      recommendation('rec-next', 'HPA', -35, atMs + HOUR),
    ];

    const policyFile = path.join(dir, 'shop.yaml');
    writeFileSync(
      policyFile,
      `apiVersion: foresight.dev/v1\nkind: Policy\nmetadata:\n  name: shop\nscope:\n  namespace: shop\nspec:\n  budget:\n    monthly: ${BUDGET}\n    currency: USD\n`,
    );
    const forecaster = await Forecaster.load();
    const data = await gatherReport({
      redis,
      prefix: cfg.redis.keyPrefix,
      forecaster,
      policyFiles: parsePolicyFile(policyFile, readFileSync(policyFile, 'utf8')).map((policy) => ({ file: policyFile, policy })),
      recommendations: { recommendations: recs, undecodable: 0 },
      atMs,
      asOf: true,
      maxSeries: 24,
    });

    // hand-computed: month to date = the cost hours in this month; run rate = the last 24 hours' 1.5/h
    const month = monthOf(atMs);
    const mtd = COST_PER_HOUR * costHours.filter((h) => monthOf(h) === month).length;
    const d = new Date(atMs);
    const hoursLeft = (Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - atMs) / HOUR;
    const projected = mtd + COST_PER_HOUR * hoursLeft;
    const shop = data.costs.find((c) => c.scope === 'ns:c1/shop')!;
    assert.ok(Math.abs(shop.monthToDate! - mtd) < 1e-9, `${shop.monthToDate} vs ${mtd}`);
    assert.ok(Math.abs(shop.hourlyRunRate! - COST_PER_HOUR) < 1e-9);
    assert.ok(Math.abs(shop.projected! - projected) < 1e-9);
    assert.equal(shop.budget, BUDGET);
    assert.equal(shop.overBudget, projected > BUDGET);
    // the summary's cost: the namespaces' rows (team:payments repeats shop's rows and is not added), saying which are unknown
    assert.ok(Math.abs(data.costTotal.monthToDate! - mtd) < 1e-9, `${data.costTotal.monthToDate} vs ${mtd}`);
    assert.deepEqual(data.costTotal.scopes, ['ns:c1/shop']);
    assert.match(data.costTotal.leftOut.join('\n'), /of unknown cost, not in the sum: ns:c1\/batch, ns:c1\/ml\n.*team scopes are not added/);
    // the counter as its rate: (3000 tokens a step) / 300 s = 10 per second, one step fewer than its steps
    const tokens = data.workloads.find((w) => w.workload === 'c1/ml/Deployment/llm')!.series[0];
    assert.equal(tokens.unit, 'per second (rate of the counter)');
    assert.equal(tokens.panel!.demand.length, steps - 1);
    assert.ok(
      tokens.panel!.demand.every((v) => Math.abs(v - 10) < 1e-6),
      String(tokens.panel!.demand.slice(0, 5)),
    );
    // an empty key prefix lists the prefixes that hold series (this test's among them), with how to point at them
    const empty = await gatherReport({
      redis,
      prefix: `${cfg.redis.keyPrefix}-none`,
      forecaster,
      policyFiles: [],
      recommendations: { unavailable: 'not read' },
      atMs,
      maxSeries: 0,
      topics: [cfg.topics.recommendations],
    });
    assert.match(empty.notes[0], /^the windows under key prefix \S+-none hold no series and no cost: the windows hold series under \d+ other key prefix/);
    assert.ok(
      (await seriesPrefixes(redis)).some((p) => p.prefix === cfg.redis.keyPrefix && p.topics.includes(cfg.topics.metrics)),
      "this test's prefix is listed",
    );
    const hint = await otherPrefixesHint(redis, 'no-such-prefix', [cfg.topics.recommendations], 10_000);
    assert.ok(
      hint.includes(
        `FORESIGHT_REDIS_KEY_PREFIX=${cfg.redis.keyPrefix} FORESIGHT_TOPIC_RECOMMENDATIONS=${cfg.topics.recommendations} (metrics from ${cfg.topics.metrics})`,
      ),
      hint,
    );
    const batch = data.costs.find((c) => c.scope === 'ns:c1/batch')!;
    assert.equal(batch.monthToDate, null);
    assert.match(batch.note!, /^cost unknown: no billing rows for ns:c1\/batch/);
    assert.ok(Math.abs(data.costs.find((c) => c.scope === 'team:payments')!.monthToDate! - mtd) < 1e-9);
    assert.equal(data.currency, 'USD');
    assert.deepEqual(data.verdicts, { saved: 1, neutral: 0, regressed: 1, 'insufficient-data': 0 });
    assert.equal(data.savings.proposedMonthly, 20);
    assert.equal(data.savings.proposedCount, 1);
    assert.equal(data.savings.appliedMonthly, 15);
    assert.ok(
      data.savings.notes.includes(`1 recommendation made and 1 outcome decided after ${new Date(atMs).toISOString().slice(0, 16)} UTC (--at) are not counted`),
      data.savings.notes.join('\n'),
    );
    const realised = (3 * MONTH_HOURS) / 24;
    assert.ok(Math.abs(data.savings.realisedMonthly! - realised) < 1e-9);
    const web = data.workloads.find((w) => w.workload === 'c1/shop/Deployment/web')!.series[0].panel!;
    assert.equal(web.demand.length, steps);
    assert.ok(web.accuracy.rows > 0 && web.accuracy.coverage !== null);
    assert.deepEqual(
      web.anomalies.map((a) => a.timeMs),
      [(first + 300) * STEP],
      'the 8× step is the one anomaly',
    );

    const html = path.join(dir, 'report.html');
    writeFileSync(html, reportHtml(data));
    assert.doesNotMatch(readFileSync(html, 'utf8'), /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'self-contained: no script, nothing fetched');
    const text = renderedText(chromium, html);
    for (const figure of [
      `${mtd.toFixed(2)} USD`,
      `${projected.toFixed(2)} USD`,
      `${BUDGET.toFixed(2)} USD`,
      projected > BUDGET ? 'over budget' : 'within budget',
      'cost unknown: no billing rows for ns:c1/batch',
      '20.00 USD',
      '15.00 USD',
      `${realised.toFixed(2)} USD`,
      'regressed',
      'cost unknown: no billing rows for pool gpu-x',
      `Workload c1/shop/Deployment/web`,
      `${mtd.toFixed(2)} USD cost month to date (${data.month}): ns:c1/shop`,
      `as of event time ${new Date(atMs).toISOString().slice(0, 16)} UTC, generated at wall time`,
      'vllm · vllm:generation_tokens_total per second (rate of the counter)',
      new Date((first + 300) * STEP).toISOString().slice(0, 16),
    ])
      assert.ok(text.includes(figure), `the rendered page shows ${figure}`);
    const png = path.join(dir, 'report.png');
    screenshot(chromium, html, png, 1000, 1600);
    const ink = inkStats(png);
    assert.ok(ink.inked > 0.2 && ink.colours > 20, `the screenshot is not blank: ${JSON.stringify(ink)}`);
    if (process.env.UPDATE_DOCS) copyFileSync(png, path.join(PROJECT_ROOT, 'docs', 'report.png'));

    // the command: the same figures as JSON; Kafka not there (a port nothing listens on): the page is still written, the savings proposed unknown
    const json = path.join(dir, 'report.json');
    const noKafka = await freePort();
    const out = runCli(['report', '--html', path.join(dir, 'cli.html'), '--json', json, '--namespace', 'shop', '--policy', policyFile, '--at', String(atMs)], {
      ...env,
      FORESIGHT_KAFKA_BROKERS: `127.0.0.1:${noKafka}`,
    });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /1 workloads \(1 series\), 2 outcomes \(verdicts: 1 saved, 0 neutral, 1 regressed, 0 insufficient-data\)/);
    const cli = JSON.parse(readFileSync(json, 'utf8')) as typeof data;
    assert.deepEqual(cli.costs, [shop]);
    assert.equal(cli.savings.proposedMonthly, null);
    assert.equal(
      cli.savings.notes[0],
      `savings proposed unknown: ${env.FORESIGHT_TOPIC_RECOMMENDATIONS} not read: cannot reach Kafka at 127.0.0.1:${noKafka} (connection refused)`,
    );
  });

  it('counts cuts of one pool that commitments cover together: two of 3 cores off 4 on demand save 116.80 a month, not 2 × 87.60', async () => {
    // pool-c, the last 30 hours: 10 core-hours a savings plan covers (0.25 USD) and 4 on demand (0.16 USD) each hour
    const incs = Array.from({ length: 30 }, (_, i) => atMs - (30 - i) * HOUR).flatMap((start) => {
      const tags = { 'k8s.cluster.name': 'c1', 'k8s.namespace.name': 'pay' };
      return [
        focusRow({ start, unit: 'vCPU-Hours', quantity: 10, cost: 0.25, pool: 'pool-c', commitment: 'sp-1', tags }),
        focusRow({ start, unit: 'vCPU-Hours', quantity: 4, cost: 0.16, pool: 'pool-c', tags }),
      ].flatMap((row) => costIncrements(row));
    });
    const costs = new CostStore(redis, cfg.redis.keyPrefix, [{ topic: cfg.topics.billing, partitions: 1 }]);
    assert.equal((await costs.applyBatch({ topic: cfg.topics.billing, partition: 0 }, 0n, '1', incs)).status, 'applied');
    // two workloads' cuts of 3 cores each, priced alone at the margin as the processor publishes them (−3 × 0.04 × 730)
    const cut = (id: string, name: string): Recommendation => ({
      ...recommendation(id, 'RESOURCES', -87.6, atMs - HOUR),
      namespace: 'pay',
      name,
      nodePool: 'pool-c',
      rules: ['percentile:0.9', 'commitment:cpu-core-hour:marginal=0.04:covered=71%'],
      resourceDelta: { cpuCores: -3, memoryGib: 0, gpus: 0 },
    });
    const data = await gatherReport({
      redis,
      prefix: cfg.redis.keyPrefix,
      forecaster: await Forecaster.load(),
      policyFiles: [],
      // and one of the month before: not counted, and said so (a report just past a month's end would say 0 with no word)
      // (a's of that month is superseded by this month's: not in the note)
      recommendations: {
        recommendations: [
          cut('rec-a', 'a'),
          cut('rec-b', 'b'),
          { ...cut('rec-c', 'c'), createdAt: atMs - 40 * 24 * HOUR },
          { ...cut('rec-a0', 'a'), createdAt: atMs - 40 * 24 * HOUR },
        ],
        undecodable: 0,
      },
      atMs,
      maxSeries: 0,
    });
    assert.equal(data.savings.proposedCount, 2);
    assert.ok(
      data.savings.notes.includes(
        `1 saving last proposed before ${data.month} (87.60 USD a month) is not counted: savings proposed counts the report's month (--at picks another)`,
      ),
      data.savings.notes.join('\n'),
    );
    // the 4 on-demand cores' 4 × 0.04 × 730 = 116.80: the second cut sheds only the 1 core the first left
    assert.ok(Math.abs(data.savings.proposedMonthly! - 116.8) < 1e-6, String(data.savings.proposedMonthly));
    assert.ok(
      data.savings.notes.includes(
        'the 2 proposals in pool pool-c each count its on-demand usage past its commitments: counted together at its prices now they save 116.80 USD a month, not the 175.20 USD saved their figures add up to',
      ),
      data.savings.notes.join('\n'),
    );
  });

  it('draws one trace for backtest --html with the summary the command prints', () => {
    const html = path.join(dir, 'backtest.html');
    // the sample's first 4 days (the whole of it takes the command seconds longer)
    const trace = path.join(dir, 'trace.csv');
    const sample = readFileSync(path.join(PROJECT_ROOT, 'data', 'samples', 'alibaba2018_cluster_avg_5min.csv'), 'utf8').split('\n');
    writeFileSync(trace, sample.slice(0, 1 + 4 * 288).join('\n'));
    const out = runCli(
      ['backtest', '--input', trace, '--value-column', 'cpu_util_percent', '--out', path.join(dir, 'bt.csv'), '--html', html, '--score-from', '0.8'],
      env,
    );
    assert.equal(out.status, 0, out.stderr);
    const summary = JSON.parse(out.stdout.split('\n').find((l) => l.startsWith('{'))!) as Record<string, number>;
    const text = renderedText(chromium, html);
    const pct = (x: number, d = 1): string => `${(100 * x).toFixed(d)}%`;
    for (const figure of [
      `${pct(summary.under_provisioned_share, 2)} under-provisioned steps`,
      `${pct(summary.saving_vs_scaled_vpa)} below the VPA-style baseline ×${summary.vpa_scale}`,
      `${pct(summary.attainable_saving_share)} of the attainable saving`,
      `${Math.round(summary.static_peak_capacity_hours).toLocaleString('en-US')}`,
      `${Math.round(summary.oracle_capacity_hours).toLocaleString('en-US')}`,
      `${summary.rows} steps`,
    ])
      assert.ok(text.includes(figure), `the rendered page shows ${figure}`);
    const png = path.join(dir, 'backtest.png');
    screenshot(chromium, html, png);
    const ink = inkStats(png);
    assert.ok(ink.inked > 0.2 && ink.colours > 20, `the screenshot is not blank: ${JSON.stringify(ink)}`);
    if (process.env.UPDATE_DOCS) copyFileSync(png, path.join(PROJECT_ROOT, 'docs', 'backtest.png'));
  });
});
