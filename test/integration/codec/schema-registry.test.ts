/**
 * Against the real Schema Registry and Kafka: the schemas register under TopicNameStrategy
 * subjects with BACKWARD compatibility, and an event round-trips through Kafka in the
 * Confluent wire format.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import { createRegistry, AvroCodec } from '../../../src/codec/avro-codec.js';
import type { MetricSample } from '../../../src/codec/generated-types.js';
import { readSchemaJson, registerSchemas, type SchemaIds } from '../../../src/codec/schemas.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';

describe('schema registry and the Confluent wire format', () => {
  const cfg = testConfig(testEnv());
  const registry = createRegistry(cfg.registryUrl);
  let ids: SchemaIds;

  before(async () => {
    ids = await registerSchemas(registry, cfg.topics);
  });

  it('registers every schema under <topic>-value with BACKWARD compatibility, idempotently', async () => {
    const again = await registerSchemas(registry, cfg.topics);
    assert.deepEqual(again, ids);
    for (const topic of [cfg.topics.metrics, cfg.topics.billing, cfg.topics.recommendations, cfg.topics.alerts, cfg.topics.deadletter]) {
      const res = await fetch(`${cfg.registryUrl}/config/${topic}-value`);
      assert.equal(res.status, 200, topic);
      assert.equal(((await res.json()) as { compatibilityLevel: string }).compatibilityLevel, 'BACKWARD');
    }
  });

  it('rejects a BACKWARD-incompatible change (a new field without a default)', async () => {
    const schema = readSchemaJson('MetricSample') as unknown as { fields: unknown[] };
    const broken = { ...schema, fields: [...schema.fields, { name: 'mandatoryNew', type: 'string', doc: 'no default' }] };
    await assert.rejects(
      registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(broken) },
        { subject: `${cfg.topics.metrics}-value`, compatibility: COMPATIBILITY.BACKWARD },
      ),
      (err: { status?: number }) => err.status === 409,
    );
  });

  it('round-trips a MetricSample through Kafka in the Confluent wire format', async () => {
    const kafka = testKafka(cfg);
    await ensureTopics(kafka, cfg.topics);
    const codec = new AvroCodec(registry, ids);
    const sample: MetricSample = {
      cluster: 'prod',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'checkout',
      container: 'app',
      metric: 'cpu_usage',
      unit: '{cpu}',
      value: 1.25,
      eventTime: 1_790_000_000_123,
      attributes: { pool: 'general' },
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: cfg.topics.metrics, messages: [{ key: 'k', value: codec.encode('MetricSample', sample) }] });
    await producer.disconnect();

    const [read] = await readTopic(kafka, cfg.topics.metrics);
    const bytes = read.message.value!;
    assert.equal(bytes[0], 0, 'magic byte');
    assert.equal(bytes.readInt32BE(1), ids.MetricSample, 'schema id');
    assert.deepEqual({ ...(await codec.decode<MetricSample>(bytes, 'MetricSample')) }, sample);
    // and the reference client (@kafkajs/confluent-schema-registry) reads it through the registry
    assert.deepEqual({ ...((await registry.decode(bytes)) as object) }, sample);
    // The body is plain Avro of the schema: avsc decodes it without the registry.
    const { avroType } = await import('../../../src/codec/schemas.js');
    assert.deepEqual({ ...(avroType('MetricSample').fromBuffer(bytes.subarray(5)) as object) }, sample);
  });
});
