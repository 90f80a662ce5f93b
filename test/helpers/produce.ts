/** Producing test events the way real producers do: Avro, keyed by series id. */
import type { Kafka } from 'kafkajs';
import { AvroCodec, createRegistry } from '../../src/codec/avro-codec.js';
import type { MetricSample } from '../../src/codec/generated-types.js';
import { seriesIdOf } from '../../src/codec/metric-sample.js';
import { registerSchemas } from '../../src/codec/schemas.js';
import type { ServiceConfig } from '../../src/config/config.js';
import { ensureTopics } from '../../src/kafka/topics.js';

export async function testCodec(cfg: ServiceConfig): Promise<AvroCodec> {
  const registry = createRegistry(cfg.registry);
  return new AvroCodec(registry, await registerSchemas(registry, cfg.topics), cfg.registry);
}

export function sample(name: string, value: number, eventTime: number, metric = 'cpu_usage'): MetricSample {
  return { cluster: 'test', namespace: 'shop', kind: 'Deployment', name, container: 'app', metric, unit: '{cpu}', value, eventTime, attributes: {} };
}

/** Produces the samples in batches; returns the expected per-series count and sum. */
export async function produceSamples(
  kafka: Kafka,
  cfg: ServiceConfig,
  codec: AvroCodec,
  samples: MetricSample[],
): Promise<Map<string, { count: number; sum: number }>> {
  await ensureTopics(kafka, cfg.topics);
  const producer = kafka.producer();
  await producer.connect();
  const expected = new Map<string, { count: number; sum: number }>();
  for (let i = 0; i < samples.length; i += 1000) {
    const chunk = samples.slice(i, i + 1000);
    const messages = chunk.map((s) => ({ key: seriesIdOf(s), value: codec.encode('MetricSample', s) }));
    await producer.send({ topic: cfg.topics.metrics, acks: -1, messages });
  }
  await producer.disconnect();
  for (const s of samples) {
    const id = seriesIdOf(s);
    const e = expected.get(id) ?? { count: 0, sum: 0 };
    e.count++;
    e.sum += s.value;
    expected.set(id, e);
  }
  return expected;
}
