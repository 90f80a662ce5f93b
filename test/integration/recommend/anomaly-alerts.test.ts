/**
 * Anomaly alerts on the real stack: two NAB series replayed through the processor, ending now
 * (test/fixtures/nab-replay.json: 570 five-minute rows each). The one with a labelled jump
 * publishes exactly one alert on alerts.v1, inside the labelled window; the artificial one
 * without anomalies publishes none. The detector and threshold are the ones NAB was scored with.
 * Spend anomalies: the namespace's hourly cost (billing rows, ~1 USD an hour with one hour at 5)
 * gets exactly one alert, for that hour, with its cost.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { AnomalyAlert, BillingRecord, MetricSample } from '../../../src/codec/generated-types.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { retry } from '../../../src/util/retry.js';
import { ANOMALY_THRESHOLD, ANOMALY_VERSION } from '../../../src/scoring/anomaly-detector.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { committedOffsets, readTopic, testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { totalApplied } from '../../helpers/windows.js';

const STEP = 300_000;
const HOUR = 3_600_000;
const fixture = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'nab-replay.json'), 'utf8')) as {
  labelledWindow: [number, number];
  withAnomaly: number[];
  withoutAnomaly: number[];
};
const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

function sample(name: string, value: number, eventTime: number): MetricSample {
  return { cluster: 'test', namespace: 'nab', kind: 'Deployment', name, container: null, metric: 'cpu_usage', unit: '{cpu}', value, eventTime, attributes: {} };
}

function billing(hourStart: number, cost: number): BillingRecord {
  return {
    BilledCost: cost,
    BillingAccountId: 'a',
    BillingAccountName: null,
    BillingCurrency: 'USD',
    BillingPeriodStart: 0,
    BillingPeriodEnd: 1,
    ChargeCategory: 'Usage',
    ChargeClass: null,
    ChargeDescription: null,
    ChargePeriodStart: hourStart,
    ChargePeriodEnd: hourStart + HOUR,
    ContractedCost: cost,
    EffectiveCost: cost,
    InvoiceIssuerName: 'c',
    ListCost: cost,
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
    Tags: { 'k8s.cluster.name': 'test', 'k8s.namespace.name': 'nab' },
  };
}

describe('anomaly alerts', () => {
  it('publishes one alert inside the labelled window of a replayed NAB series, none on a series without anomalies', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_REPLAY_HISTORY: 'true' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    // row i at start + i steps; the last row ends now (the five-minute windows hold 48 h of wall time)
    const n = fixture.withAnomaly.length;
    const start = Math.floor(Date.now() / STEP) * STEP - n * STEP;
    const at = (i: number): number => start + i * STEP;
    const samples = [...fixture.withAnomaly.map((v, i) => sample('jump', v, at(i))), ...fixture.withoutAnomaly.map((v, i) => sample('steady', v, at(i)))].sort(
      (a, b) => a.eventTime - b.eventTime,
    );
    // hourly cost of the namespace from 30 hours before the metrics to their end, 1 USD ± 5%, 5 USD in one hour
    const firstHour = Math.floor(start / HOUR) - 30;
    const spikeHour = Math.floor(start / HOUR) + 30;
    const hours = Array.from({ length: Math.floor((start + n * STEP) / HOUR) - firstHour }, (_, i) => firstHour + i);
    const costOf = (h: number): number => (h === spikeHour ? 5 : 1 + 0.05 * Math.sin(h * 12.9898));
    await ensureTopics(kafka, cfg.topics);
    const producer = kafka.producer();
    await producer.connect();
    // a broker that has just created a topic may not serve its partition at once
    await retry(
      () =>
        producer.send({
          topic: cfg.topics.billing,
          acks: -1,
          messages: hours.map((h) => ({ value: codec.encode('BillingRecord', billing(h * HOUR, costOf(h))) })),
        }),
      { retries: 10, initialDelayMs: 300 },
    );
    await producer.disconnect();
    // billing first, so the costs are known when the metrics' hours close
    await runProcessorUntil(env, async () => (await redis.keys(`${cfg.redis.keyPrefix}:{${cfg.topics.billing}:*}:cost:*`)).length > 0);
    await produceSamples(kafka, cfg, codec, samples);
    const alertsOf = async (): Promise<AnomalyAlert[]> =>
      (await Promise.all((await readTopic(kafka, cfg.topics.alerts, 3_000)).map((m) => codec.decode<AnomalyAlert>(m.message.value, 'AnomalyAlert')))).filter(
        (a) => a.budget === null,
      );
    // done when the metrics' offset is committed: the loop publishes a batch's alerts before its offset is resolved
    await runProcessorUntil(
      env,
      async () =>
        (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length &&
        ((await committedOffsets(kafka, cfg.processorGroup, cfg.topics.metrics)).get(0) ?? -1n) >= BigInt(samples.length),
      120_000,
    );
    const all = await alertsOf();
    const alerts = all.filter((a) => a.kind === 'Deployment');
    const shown = JSON.stringify(alerts.map((a) => [a.name, new Date(a.eventTime).toISOString(), a.score]));
    assert.equal(alerts.filter((a) => a.name === 'steady').length, 0, `no alert on the series without anomalies: ${shown}`);
    const jump = alerts.filter((a) => a.name === 'jump');
    assert.equal(jump.length, 1, `exactly one alert on the labelled series: ${shown}`);
    const [first, last] = fixture.labelledWindow;
    assert.ok(jump[0].eventTime >= at(first) && jump[0].eventTime <= at(last), `the alert is inside the labelled window: ${shown}`);
    assert.ok(jump[0].score >= ANOMALY_THRESHOLD && jump[0].threshold === ANOMALY_THRESHOLD && jump[0].modelVersion === ANOMALY_VERSION);

    const spend = all.filter((a) => a.kind === 'Namespace');
    const spent = JSON.stringify(spend.map((a) => [a.name, new Date(a.eventTime).toISOString(), a.value, a.score]));
    assert.equal(spend.length, 1, `exactly one spend alert: ${spent}`);
    assert.equal(spend[0].name, 'nab');
    assert.equal(spend[0].metric, 'hourly_cost_USD');
    assert.equal(spend[0].eventTime, spikeHour * HOUR, `the alert is for the hour that cost 5: ${spent}`);
    assert.ok(Math.abs(spend[0].value - 5) < 1e-9 && spend[0].window.max === spend[0].value && spend[0].window.count === 24, spent);
  });
});
