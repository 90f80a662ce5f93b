/**
 * Kafka, the registry and a producer, ready to use: schemas registered (idempotent) and
 * topics created when missing, each retried while the services come up. Shared by the
 * services and by the commands that only produce (replay, demo).
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka, Producer } from 'kafkajs';
import { AvroCodec, createRegistry } from '../codec/avro-codec.js';
import { registerSchemas, type SchemaIds } from '../codec/schemas.js';
import type { ServiceConfig } from '../config/config.js';
import { createKafka } from '../kafka/client.js';
import { keyedPartitioner } from '../kafka/partitioner.js';
import { ensureTopics } from '../kafka/topics.js';
import type { Logger } from '../telemetry/log.js';
import { errorMessage } from '../util/errors.js';
import { retry } from '../util/retry.js';
import { failFastOnAuth } from './auth-failure.js';

export interface Clients {
  kafka: Kafka;
  registry: SchemaRegistry;
  codec: AvroCodec;
  producer: Producer;
  schemaIds: SchemaIds;
}

export async function connectClients(cfg: ServiceConfig, log: Logger, clientSuffix: string): Promise<Clients> {
  const kafka = createKafka(cfg.kafka, log, clientSuffix);
  const registry = createRegistry(cfg.registry);
  const onRetry = (what: string) => (err: unknown, attempt: number) => log.warn({ err: errorMessage(err), attempt }, `${what} failed; retrying`);
  const schemaIds = await retry(() => failFastOnAuth(cfg, () => registerSchemas(registry, cfg.topics)), {
    retries: 8,
    initialDelayMs: 500,
    onRetry: onRetry('registering schemas'),
  });
  const created = await retry(() => failFastOnAuth(cfg, () => ensureTopics(kafka, cfg.topics, cfg.ingest.inputs.keys())), {
    retries: 8,
    initialDelayMs: 500,
    onRetry: onRetry('creating topics'),
  });
  if (created.length > 0) log.info({ topics: created }, 'created missing topics');
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: keyedPartitioner });
  await retry(() => failFastOnAuth(cfg, () => producer.connect()), { retries: 8, initialDelayMs: 500, onRetry: onRetry('connecting the producer') });
  return { kafka, registry, codec: new AvroCodec(registry, schemaIds, cfg.registry), producer, schemaIds };
}
