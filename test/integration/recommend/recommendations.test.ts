/**
 * The recommendation loop on the real stack: a replayed trace with a daily peak yields an HPA
 * recommendation that raises minReplicas before the peak (in event time); a namespace over
 * its budget gets a capped, critical recommendation; replaying the same input into a fresh
 * run gives the same recommendation ids, with no duplicates on the topic.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BillingRecord, MetricSample, Recommendation } from '../../../src/codec/generated-types.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { retry } from '../../../src/util/retry.js';
import { scanKeys } from '../../../src/windows/redis-client.js';
import { testConfig, testEnv, testRedis } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { totalApplied } from '../../helpers/windows.js';
import { tempDir } from '../../helpers/temp-dir.js';

const POLICIES = `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: defaults }
spec:
  sloRisk: 0.01
  replicas: { min: 1, max: 20, perReplicaCapacity: 1, targetUtilization: 1, metric: cpu_usage }
  change: { maxStepPercent: 1000, cooldownMinutes: 120, hysteresisPercent: 10 }
  critical: { changePercentAbove: 1000, monthlyCostIncreaseAbove: 1000000, budgetBreach: true }
---
apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: tight }
scope: { namespace: tight }
spec:
  budget: { monthly: 1, currency: USD }
---
apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: adaptive }
scope: { namespace: adaptive }
spec:
  sloAdaptation: 0.05
`;

const STEP = 300_000;
const DAY = 86_400_000;
const redis = testRedis();
after(() => redis.disconnect());

function workloadSample(namespace: string, value: number, t: number): MetricSample {
  return {
    cluster: 'test',
    namespace,
    kind: 'Deployment',
    name: 'web',
    container: null,
    metric: 'cpu_usage',
    unit: '{cpu}',
    value,
    eventTime: t,
    attributes: {},
  };
}

/** How many cost hashes the processor wrote for the billing topic (over every master of a cluster). */
async function costKeys(prefix: string, topic: string): Promise<number> {
  let n = 0;
  for await (const { keys } of scanKeys(redis, `${prefix}:{${topic}:*}:cost:*`)) n += keys.length;
  return n;
}

describe('recommendations', () => {
  const repo = tempDir('gitops-');
  // 1.9 days of 5-minute demand ending now: 2 cores, and 10 cores for one hour every day, the
  // last peak starting 30 minutes ago (the windows keep minute buckets for 48 h of wall time,
  // so the history the forecaster reads must be recent)
  const end = Math.floor(Date.now() / STEP) * STEP;
  const start = end - 1.9 * DAY;
  const peakStart = (end - 30 * 60_000) % DAY;
  const inPeak = (t: number): boolean => (((t - peakStart) % DAY) + DAY) % DAY < 3_600_000;
  const demand = (t: number): number => (inPeak(t) ? 10 : 2) + ((t / STEP) % 3) * 0.1;
  const times = Array.from({ length: Math.round((end - start) / STEP) }, (_, i) => start + i * STEP);
  const peaks = [end - 30 * 60_000];

  before(() => {
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    mkdirSync(path.join(repo, 'policies'));
    writeFileSync(path.join(repo, 'policies', 'policies.yaml'), POLICIES);
    execFileSync('git', ['-C', repo, 'add', '.']);
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'policies']);
  });

  async function run(): Promise<Recommendation[]> {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_POLICY_REPO: repo, FORESIGHT_REPLAY_HISTORY: 'true' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    const samples = [...times.map((t) => workloadSample('shop', demand(t), t)), ...times.map((t) => workloadSample('tight', demand(t), t))];
    // the tight namespace already spent 5 USD this month (> its budget of 1) before the trace starts,
    // and again in the hour a new month starts if the trace crosses one (month to date counts the
    // hours before the time asked)
    const d = new Date(end);
    const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const spentAt = [start - 2 * 3_600_000, ...(monthStart > start ? [monthStart] : [])];
    const billingAt = (t: number): BillingRecord => ({
      BilledCost: 5,
      BillingAccountId: 'a',
      BillingAccountName: null,
      BillingCurrency: 'USD',
      BillingPeriodStart: 0,
      BillingPeriodEnd: 1,
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: null,
      ChargePeriodStart: t,
      ChargePeriodEnd: t + 3_600_000,
      ContractedCost: 5,
      EffectiveCost: 5,
      InvoiceIssuerName: 'c',
      ListCost: 5,
      PricingQuantity: null,
      PricingUnit: null,
      ProviderName: 'c',
      PublisherName: 'c',
      ServiceCategory: 'Compute',
      ServiceName: 'vm',
      ResourceId: 'n1',
      ResourceName: null,
      ResourceType: null,
      ConsumedQuantity: null,
      ConsumedUnit: null,
      CommitmentDiscountId: null,
      CommitmentDiscountStatus: null,
      PricingCategory: null,
      Tags: { 'k8s.cluster.name': 'test', 'k8s.namespace.name': 'tight' },
    });
    await ensureTopics(kafka, cfg.topics);
    const producer = kafka.producer();
    await producer.connect();
    const spent = spentAt.map((t) => ({ value: codec.encode('BillingRecord', billingAt(t)) }));
    // a broker that has just started may not serve a new topic's partition at once
    await retry(() => producer.send({ topic: cfg.topics.billing, messages: spent }), { retries: 10, initialDelayMs: 300 });
    await producer.disconnect();
    // billing first, so the budget is known when the metrics are scored
    await runProcessorUntil(env, async () => (await costKeys(cfg.redis.keyPrefix, cfg.topics.billing)) > 0);
    await produceSamples(kafka, cfg, codec, samples);
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length, 120_000);
    const messages = await readTopic(kafka, cfg.topics.recommendations);
    const positions = new Set(messages.map((m) => `${m.partition}:${m.message.offset}`));
    assert.equal(positions.size, messages.length, 'the reader saw no message twice');
    const recs = await Promise.all(messages.map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')));
    return recs;
  }

  let first: Recommendation[];
  it('raises minReplicas before the daily peak arrives (event time)', async () => {
    first = await run();
    const shop = first.filter((r) => r.namespace === 'shop' && r.type === 'HPA');
    assert.ok(shop.length > 0, 'recommendations were published');
    assert.ok(peaks.length >= 1);
    const minOf = (r: Recommendation): number => Number(r.changes.find((c) => c.field === 'minReplicas')!.proposed);
    const baseline = Math.ceil(2.2); // replicas the off-peak demand needs
    for (const peak of peaks) {
      // the recommendation in force when the peak starts, and the raise that put it there
      const inForce = shop
        .filter((r) => r.createdAt < peak)
        .sort((a, b) => a.createdAt - b.createdAt)
        .at(-1);
      const trace = JSON.stringify(shop.map((r) => [new Date(r.createdAt).toISOString(), r.changes[0].proposed]));
      assert.ok(inForce, `nothing before the peak: ${trace}`);
      assert.ok(
        minOf(inForce) > baseline,
        `minReplicas in force at the peak (${new Date(peak).toISOString()}) is ${minOf(inForce)}, not above the off-peak ${baseline}: ${trace}`,
      );
      assert.equal(inForce.type, 'HPA');
      assert.ok(inForce.rules.some((x) => x.startsWith('policy:defaults')));
      assert.ok(inForce.forecast.q99 > 2.2 * 1.5, 'the forecast saw the peak coming');
    }
    const seen = new Map<string, Recommendation>();
    const twice = first.filter((r) => seen.has(r.id) || !seen.set(r.id, r));
    const show = (r: Recommendation): string =>
      JSON.stringify({ id: r.id, type: r.type, ns: r.namespace, at: new Date(r.createdAt).toISOString(), changes: r.changes, forecast: r.forecast });
    assert.deepEqual(
      twice.map((r) => r.id),
      [],
      `no duplicate ids on the topic:\n${twice.map((r) => `${show(seen.get(r.id)!)}\n${show(r)}`).join('\n')}`,
    );
    // the samples carry no trace context: each recommendation carries its processor batch span's
    assert.ok(
      first.every((r) => r.traceparent !== null && /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(r.traceparent)),
      JSON.stringify(first.map((r) => r.traceparent)),
    );
  });

  it("withholds the raises of a namespace already over its budget (cap), while the same demand raises the others'", () => {
    // tight spent 5 USD of its 1 this month; its workload is not in a GitOps repository, so a raise's
    // own cost is unknown, but any raise adds to a scope already heading over: withheld, not published
    const raises = (ns: string): Recommendation[] =>
      first.filter((r) => {
        const min = r.changes.find((c) => c.field === 'minReplicas');
        return r.namespace === ns && r.type === 'HPA' && min !== undefined && Number(min.proposed) > Number(min.current);
      });
    assert.ok(raises('shop').length > 0, 'shop (no budget, the same demand) is raised');
    assert.deepEqual(
      raises('tight').map((r) => [new Date(r.createdAt).toISOString(), r.changes, r.rules]),
      [],
      'no raise of tight is published',
    );
    // (the HPA rule's earlier cap published the withheld raise as a critical change of nothing, every step)
    const empty = first.filter((r) => r.type === 'HPA' && r.changes.every((c) => c.proposed === c.current));
    assert.deepEqual(
      empty.map((r) => [r.namespace, r.changes, r.rules]),
      [],
      'no recommendation that changes nothing',
    );
  });

  it('does not flap on a noisy flat series', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_POLICY_REPO: repo });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    // 2 cores ± 15% noise (deterministic), no pattern
    const noise = (i: number): number => 2 * (1 + 0.15 * Math.sin(i * 12.9898) * Math.cos(i * 78.233));
    const samples = times.map((t, i) => ({ ...workloadSample('flat', noise(i), t) }));
    await produceSamples(kafka, cfg, await testCodec(cfg), samples);
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length, 120_000);
    const codec = await testCodec(cfg);
    const messages = await readTopic(kafka, cfg.topics.recommendations);
    const positions = new Set(messages.map((m) => `${m.partition}:${m.message.offset}`));
    assert.equal(positions.size, messages.length, 'the reader saw no message twice');
    const recs = await Promise.all(messages.map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')));
    const lastDay = recs.filter((r) => r.type === 'HPA' && r.createdAt >= end - DAY); // (a steady series may also get one SPOT recommendation)
    assert.ok(recs.length >= 1, 'the first recommendation sizes the workload');
    const shown = JSON.stringify(lastDay.map((r) => [new Date(r.createdAt).toISOString(), r.changes[0].current, r.changes[0].proposed]));
    // Flapping is a change reversed within the stabilization window (the policy's cooldown,
    // 120 min here): none. The forecast's q99 on ±15% noise may still move the workload by a
    // replica a few times a day (how often depends on where "now" falls in the noise).
    const hpaAll = recs.filter((r) => r.type === 'HPA').sort((a, b) => a.createdAt - b.createdAt);
    const dir = (r: Recommendation): number => Math.sign(Number(r.changes[0].proposed) - Number(r.changes[0].current));
    for (let i = 1; i < hpaAll.length; i++) {
      if (dir(hpaAll[i]) !== dir(hpaAll[i - 1]))
        assert.ok(hpaAll[i].createdAt - hpaAll[i - 1].createdAt >= 120 * 60_000, `reversed within the cooldown: ${shown}`);
    }
    assert.ok(lastDay.length <= 3, `${lastDay.length} recommendations in the last day of a flat series: ${shown}`);
  });

  it('gives the same recommendation ids when the same input is replayed into a fresh run', async () => {
    const second = await run();
    assert.ok(first.length > 0);
    assert.deepEqual(second.map((r) => r.id).sort(), first.map((r) => r.id).sort());
  });

  it('calibrates the SLO risk online when the policy asks for it, and holds less than the fixed q99', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_POLICY_REPO: repo });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    // the same steady noisy demand (4 cores ± 10%) under the fixed mapping and under the adaptive one
    const noise = (i: number): number => 4 * (1 + 0.1 * Math.sin(i * 12.9898) * Math.cos(i * 78.233));
    const samples = ['fixed', 'adaptive'].flatMap((ns) => times.map((t, i) => workloadSample(ns, noise(i), t)));
    await produceSamples(kafka, cfg, codec, samples);
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length, 120_000);
    const messages = await readTopic(kafka, cfg.topics.recommendations);
    const positions = new Set(messages.map((m) => `${m.partition}:${m.message.offset}`));
    assert.equal(positions.size, messages.length, 'the reader saw no message twice');
    const recs = await Promise.all(messages.map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')));
    const lastMin = (ns: string): number => {
      const hpa = recs.filter((r) => r.namespace === ns && r.type === 'HPA').sort((a, b) => a.createdAt - b.createdAt);
      assert.ok(hpa.length > 0, ns);
      return Number(hpa.at(-1)!.changes.find((c) => c.field === 'minReplicas')!.proposed);
    };
    const adaptive = recs.filter((r) => r.namespace === 'adaptive' && r.type === 'HPA');
    assert.ok(
      adaptive.every((r) => /^slo-risk:0\.01:adaptive:(forecast|q90|recent-peak)$/.test(r.rules[0])),
      JSON.stringify(adaptive.map((r) => r.rules)),
    );
    const state = await redis.hget(`${cfg.redis.keyPrefix}:rec:{test/adaptive/Deployment/web}`, 'logScale');
    assert.ok(state !== null && Number.isFinite(Number(state)), 'the multiplier lives in the workload state');
    const bases = await redis.hget(`${cfg.redis.keyPrefix}:rec:{test/adaptive/Deployment/web}`, 'bases');
    assert.equal(JSON.parse(bases ?? '{}').logScale?.length, 2, 'the other candidate bases live in the workload state');
    assert.ok(lastMin('adaptive') <= lastMin('fixed'), `adaptive ${lastMin('adaptive')} vs fixed ${lastMin('fixed')}`);
    assert.ok(lastMin('adaptive') >= 4, 'still covers the median demand');
  });
});
