/**
 * Every input format through the real processor: OTLP (protobuf and JSON, as the Collector's
 * Kafka exporter writes them) and Prometheus-adapter JSON give the same windows as the
 * equivalent Avro events; FOCUS rows in Avro and JSON give the same cost windows and unit
 * prices.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { BillingRecord } from '../../../src/codec/generated-types.js';
import { encodeOtlpProto } from '../../../src/codec/otlp.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { testConfig, testEnv, uniqueId } from '../../helpers/env.js';
import { testKafka } from '../../helpers/kafka.js';
import { normaliseTopic, runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, sample, testCodec } from '../../helpers/produce.js';
import { snapshotWindows, totalApplied } from '../../helpers/windows.js';
import { otlpRequest } from '../../helpers/otlp.js';
import { lastHourInOneMonth } from '../../helpers/clock.js';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

describe('input formats', () => {
  it('OTLP proto, OTLP JSON and Prometheus JSON give the same windows as Avro; FOCUS JSON the same costs as Avro', async () => {
    const id = uniqueId('fmt');
    const t = { otlpProto: `${id}.otlp-proto`, otlpJson: `${id}.otlp-json`, prom: `${id}.prom`, focus: `${id}.focus` };
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
    const cfg0 = testConfig(env);
    env.FORESIGHT_INPUTS = `${cfg0.topics.metrics}=avro-metric,${t.otlpProto}=otlp-proto,${t.otlpJson}=otlp-json,${t.prom}=prometheus-json,${cfg0.topics.billing}=avro-billing,${t.focus}=focus-json`;
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics, cfg.ingest.inputs.keys());

    const start = Date.now() - 3_600_000;
    const points = Array.from({ length: 120 }, (_, i) => ({ value: ((i * 13) % 29) / 4, timeMs: start + i * 15_000 }));
    await produceSamples(
      kafka,
      cfg,
      codec,
      points.map((p) => ({ ...sample('web', p.value, p.timeMs), attributes: {} })),
    );
    const producer = kafka.producer();
    await producer.connect();
    // OTLP: 10 points per request, as the Collector batches them
    const requests = Array.from({ length: 12 }, (_, i) => otlpRequest(points.slice(i * 10, i * 10 + 10)));
    await producer.send({ topic: t.otlpProto, messages: requests.map((r) => ({ value: encodeOtlpProto(r) })) });
    await producer.send({ topic: t.otlpJson, messages: requests.map((r) => ({ value: Buffer.from(JSON.stringify(r)) })) });
    await producer.send({
      topic: t.prom,
      messages: points.map((p) => ({
        value: Buffer.from(
          JSON.stringify({
            timestamp: new Date(p.timeMs).toISOString(),
            value: String(p.value),
            name: 'cpu_usage',
            labels: { __name__: 'cpu_usage', cluster: 'test', namespace: 'shop', deployment: 'web', container: 'app', unit: '{cpu}' },
          }),
        ),
      })),
    });

    // three past hours, all in one UTC month (the last ends at most an hour ago)
    const hourStart = lastHourInOneMonth(Date.now() - 3_600_000, 2 * 3_600_000) - 2 * 3_600_000;
    // month to date when all three hours have begun (the third still in their month)
    const asOf = hourStart + 3 * 3_600_000 - 1;
    const month = new Date(hourStart);
    const row = (i: number): BillingRecord => ({
      BilledCost: 0.5,
      BillingAccountId: 'acct',
      BillingAccountName: null,
      BillingCurrency: 'USD',
      BillingPeriodStart: Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1),
      BillingPeriodEnd: Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1),
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: null,
      ChargePeriodStart: hourStart + i * 3_600_000,
      ChargePeriodEnd: hourStart + (i + 1) * 3_600_000,
      ContractedCost: 0.5,
      EffectiveCost: 0.5,
      InvoiceIssuerName: 'Cloud',
      ListCost: 0.75,
      PricingQuantity: 4,
      PricingUnit: 'vCPU-Hours',
      ProviderName: 'Cloud',
      PublisherName: 'Cloud',
      ServiceCategory: 'Compute',
      ServiceName: 'VMs',
      ResourceId: `node-${i}`,
      ResourceName: null,
      ResourceType: 'Virtual Machine',
      ConsumedQuantity: 4,
      ConsumedUnit: 'vCPU-Hours',
      CommitmentDiscountId: null,
      CommitmentDiscountStatus: null,
      PricingCategory: null,
      Tags: { 'k8s.namespace.name': 'shop', 'k8s.deployment.name': 'web', team: 'payments', 'node-pool': 'general' },
    });
    const rows = [0, 1, 2].map(row);
    await producer.send({ topic: cfg.topics.billing, messages: rows.map((r) => ({ value: codec.encode('BillingRecord', r) })) });
    await producer.send({
      topic: t.focus,
      messages: rows.map((r) => ({
        value: Buffer.from(
          JSON.stringify({
            ...r,
            ChargePeriodStart: new Date(r.ChargePeriodStart).toISOString(),
            ChargePeriodEnd: new Date(r.ChargePeriodEnd).toISOString(),
            BillingPeriodStart: new Date(r.BillingPeriodStart).toISOString(),
            BillingPeriodEnd: new Date(r.BillingPeriodEnd).toISOString(),
            EffectiveCost: '0.5',
          }),
        ),
      })),
    });
    await producer.disconnect();

    const costsOf = (topic: string) => new CostStore(redis, cfg.redis.keyPrefix, [{ topic, partitions: 1 }]);
    await runProcessorUntil(
      env,
      async () =>
        (await totalApplied(redis, cfg.redis.keyPrefix)) >= 4 * points.length &&
        (await costsOf(t.focus).monthToDate('ns:default/shop', asOf)) > 1.49 &&
        (await costsOf(cfg.topics.billing).monthToDate('ns:default/shop', asOf)) > 1.49,
    );

    const snap = await snapshotWindows(redis, cfg.redis.keyPrefix);
    const byTopic = (topic: string) => normaliseTopic(Object.fromEntries(Object.entries(snap).filter(([k]) => k.startsWith(`:{${topic}:`))), topic);
    const avro = byTopic(cfg.topics.metrics);
    assert.ok(Object.keys(avro).length >= 2);
    assert.deepEqual(byTopic(t.otlpProto), avro, 'otlp-proto');
    assert.deepEqual(byTopic(t.otlpJson), avro, 'otlp-json');
    assert.deepEqual(byTopic(t.prom), avro, 'prometheus-json');

    for (const topic of [cfg.topics.billing, t.focus]) {
      const costs = costsOf(topic);
      assert.equal(await costs.monthToDate('ns:default/shop', asOf), 1.5, topic);
      assert.equal(await costs.monthToDate('workload:default/shop/Deployment/web', asOf), 1.5, topic);
      assert.equal(await costs.monthToDate('team:payments', asOf), 1.5, topic);
      assert.deepEqual(await costs.hourly('ns:default/shop', hourStart, hourStart + 3 * 3_600_000), [0.5, 0.5, 0.5], topic);
      assert.equal(await costs.unitPrice('general', 'cpu-core-hour', hourStart), 0.125, topic);
    }
  });
});
