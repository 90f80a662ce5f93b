/**
 * A budget breach on the real stack: a team budget (a team-scoped policy, the team read from
 * the workload's label) that the month's projected cost exceeds publishes exactly one BUDGET
 * recommendation and one alert on alerts.v1, however many hours close in the period; the
 * processor's budget gauges show the team's figures, and the namespace budget without a billing
 * row as unknown spend (NaN), not 0.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { AnomalyAlert, MetricSample, Recommendation } from '../../../src/codec/generated-types.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { focusRow, produceBilling } from '../../helpers/billing.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { EXAMPLE_REPO, gitopsRemote } from '../../helpers/gitops.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { startCli } from '../../helpers/cli.js';
import { parseExposition, type ExposedSample } from '../../helpers/exposition.js';
import { scrapeMetrics } from '../../helpers/observability.js';
import { waitFor } from '../../../src/util/retry.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { totalApplied } from '../../helpers/windows.js';
import { lastHourInOneMonth } from '../../helpers/clock.js';

const STEP = 300_000;
const HOUR = 3_600_000;
const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

describe('budgets', () => {
  it('a team budget breach publishes one BUDGET recommendation and one alert per period', async () => {
    const base = readFileSync(path.join(EXAMPLE_REPO, 'apps/shop/base/checkout.yaml'), 'utf8').replace(
      '  labels:\n    app: checkout\n',
      '  labels:\n    app: checkout\n    team: storefront\n',
    );
    assert.match(base, /team: storefront/);
    const repo = gitopsRemote({
      'apps/shop/base/checkout.yaml': base,
      'policies/storefront.yaml':
        'apiVersion: foresight.dev/v1\nkind: Policy\nmetadata:\n  name: storefront\nscope:\n  team: storefront\nspec:\n  budget:\n    monthly: 100\n    currency: USD\n',
    });
    const checkout = path.join(repo.tmp, 'checkout');
    execFileSync('git', ['clone', '-q', repo.remote, checkout]);
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '2', FORESIGHT_POLICY_REPO: checkout });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    // six hour closes (end - 5 h .. end) in one budget period: a run in the first hours of a month
    // would otherwise close hours of two periods and rightly report the breach once in each
    const end = lastHourInOneMonth(Date.now(), 6 * HOUR);

    // the last 24 hours of the team's pool: 250 vCPU-hours (10 USD) and 1000 GiB-hours (5 USD) an hour
    const tags = { 'k8s.namespace.name': 'shop', 'k8s.deployment.name': 'checkout', team: 'storefront' };
    const rows = Array.from({ length: 24 }, (_, i) => end - (24 - i) * HOUR).flatMap((start) => [
      focusRow({ start, unit: 'vCPU-Hours', quantity: 250, cost: 10, pool: 'default', tags }),
      focusRow({ start, unit: 'GiB-Hours', quantity: 1000, cost: 5, pool: 'default', tags }),
    ]);
    await produceBilling(kafka, cfg, codec, rows);
    const costs = new CostStore(redis, cfg.redis.keyPrefix, [{ topic: cfg.topics.billing, partitions: 2 }]);
    const lastDay = async (): Promise<number> => (await costs.hourly('team:storefront', end - 24 * HOUR, end)).reduce((a, b) => a + b, 0);
    await runProcessorUntil(env, async () => (await lastDay()) > 359.99, 60_000);

    // six hours of one container series of the workload (not its replicas metric: a model server, or a
    // workload scraped per container, has none): six hour closes, each checks the workload's budgets
    const samples: MetricSample[] = Array.from({ length: 6 * 12 }, (_, i) => ({
      cluster: 'prod',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'checkout',
      container: 'checkout',
      metric: 'container_memory_working_set_bytes',
      unit: '%',
      value: 20 + 5 * Math.sin(i / 6),
      eventTime: end - 6 * HOUR + i * STEP + 1_000,
      attributes: {},
    }));
    await produceSamples(kafka, cfg, codec, samples);
    const budgetRecs = async (): Promise<Recommendation[]> =>
      (
        await Promise.all((await readTopic(kafka, cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')))
      ).filter((r) => r.type === 'BUDGET');
    const processor = startCli(['processor'], env);
    let metrics: ExposedSample[];
    try {
      assert.ok(
        await waitFor(async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length && (await budgetRecs()).length > 0, 120_000, 200),
        processor.output().slice(-3000),
      );
      metrics = parseExposition(await scrapeMetrics(processor));
    } finally {
      processor.child.kill('SIGTERM');
      await processor.exited;
    }

    const recs = await budgetRecs();
    assert.equal(recs.length, 1, JSON.stringify(recs));
    const r = recs[0];
    // about the team, not the workload whose hour close checked it (money.ts budgetReport)
    assert.deepEqual([r.cluster, r.namespace, r.kind, r.name, r.changes.length, r.critical], ['', '', 'Team', 'storefront', 0, true]);
    assert.equal(r.budget?.scope, 'team:storefront');
    assert.equal(r.budget?.monthly, 100);
    assert.ok(r.budget!.projected > 100, JSON.stringify(r.budget));
    assert.match(r.budget!.policy, /^storefront \(policies\/storefront\.yaml\)$/);
    assert.ok(r.rules.includes('budget-breach:team:storefront'));
    const alerts = (
      await Promise.all((await readTopic(kafka, cfg.topics.alerts)).map((m) => codec.decode<AnomalyAlert>(m.message.value, 'AnomalyAlert')))
    ).filter((a) => a.budget !== null);
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.deepEqual(JSON.parse(JSON.stringify(alerts[0].budget)), {
      scope: 'team:storefront',
      period: r.budget!.period,
      monthly: 100,
      monthToDate: r.budget!.monthToDate,
      projected: r.budget!.projected,
      currency: 'USD',
    });
    assert.equal(alerts[0].metric, 'budget');
    assert.deepEqual([alerts[0].namespace, alerts[0].kind, alerts[0].name], ['', 'Team', 'storefront']);
    // the namespace budget (20000, policies/shop.yaml) is not breached: no report for it
    assert.ok(!recs.some((x) => x.budget?.scope.startsWith('ns:')));

    // the budget gauges on /metrics (money/budget-gauges.ts): the figures of the last closed hour, the breach's at the latest
    const gauge = (name: string, scope: string): number | undefined => metrics.find((m) => m.name === name && m.labels.scope === scope)?.value;
    assert.equal(gauge('foresight_budget_monthly', 'team:storefront'), 100);
    assert.equal(gauge('foresight_budget_billed', 'team:storefront'), 1);
    assert.ok(
      gauge('foresight_budget_month_to_date', 'team:storefront')! >= r.budget!.monthToDate,
      JSON.stringify(metrics.filter((m) => m.name.startsWith('foresight_budget'))),
    );
    assert.ok(gauge('foresight_budget_projected', 'team:storefront')! > 100);
    // the rows carry no k8s.cluster.name (cluster "default"): ns:prod/shop has a budget but no billing row, its spend is unknown, not 0
    assert.equal(gauge('foresight_budget_monthly', 'ns:prod/shop'), 20000);
    assert.equal(gauge('foresight_budget_billed', 'ns:prod/shop'), 0);
    assert.ok(Number.isNaN(gauge('foresight_budget_month_to_date', 'ns:prod/shop')));
    assert.ok(Number.isNaN(gauge('foresight_budget_projected', 'ns:prod/shop')));
  });
});
