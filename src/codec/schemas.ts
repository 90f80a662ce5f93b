/**
 * The Avro schemas in schemas/, and their registration under TopicNameStrategy subjects
 * (`<topic>-value`) with BACKWARD compatibility.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { retry } from '../util/retry.js';
import { COMPATIBILITY, SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { TopicsConfig } from '../config/config.js';
import { ForesightError } from '../util/errors.js';
import { SCHEMAS_DIR } from '../util/paths.js';

export const SCHEMA_NAMES = ['MetricSample', 'BillingRecord', 'Recommendation', 'AnomalyAlert', 'DeadLetter', 'ChangeOutcome'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

export function schemaPath(name: SchemaName): string {
  return path.join(SCHEMAS_DIR, `${name}.avsc`);
}

export function readSchemaJson(name: SchemaName): avro.Schema {
  return JSON.parse(readFileSync(schemaPath(name), 'utf8')) as avro.Schema;
}

const typeCache = new Map<SchemaName, avro.Type>();

/** The avsc Type of a schema (logical types left as their underlying long, as the registry client decodes them). */
export function avroType(name: SchemaName): avro.Type {
  let t = typeCache.get(name);
  if (!t) {
    t = avro.Type.forSchema(readSchemaJson(name));
    typeCache.set(name, t);
  }
  return t;
}

/** Which schema each topic carries (TopicNameStrategy: subject = `<topic>-value`). */
export function topicSchemas(topics: TopicsConfig): Record<string, SchemaName> {
  return {
    [topics.metrics]: 'MetricSample',
    [topics.billing]: 'BillingRecord',
    [topics.recommendations]: 'Recommendation',
    [topics.alerts]: 'AnomalyAlert',
    [topics.outcomes]: 'ChangeOutcome',
    [topics.deadletter]: 'DeadLetter',
  };
}

export type SchemaIds = Record<SchemaName, number>;

/** Registers every schema (idempotent: the same schema returns the same id). */
export async function registerSchemas(registry: SchemaRegistry, topics: TopicsConfig): Promise<SchemaIds> {
  const ids: Partial<SchemaIds> = {};
  for (const [topic, name] of Object.entries(topicSchemas(topics))) {
    const subject = `${topic}-value`;
    // Two services registering a new subject at once: both find no compatibility rule and
    // both set it (Apicurio answers the second with 409 "already exists"), or one reads the
    // subject between the other's registration and its rule (the registry-wide NONE shows).
    // Again, shortly: the rule is there then, and the client reads it instead of setting it.
    const racedWithAnother = (err: unknown): boolean =>
      ((err as { status?: number }).status === 409 && /already exists/i.test((err as Error).message)) ||
      /Compatibility does not match the configuration \(BACKWARD != NONE\)/.test((err as Error).message);
    const register = (): Promise<number> =>
      retry(
        async () =>
          (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(readSchemaJson(name)) }, { subject, compatibility: COMPATIBILITY.BACKWARD }))
            .id,
        { retries: 4, initialDelayMs: 100, maxDelayMs: 800, bail: (err) => !racedWithAnother(err) },
      );
    try {
      ids[name] = await register();
    } catch (err) {
      const status = (err as { status?: number }).status;
      // the registry client reports a connection error as "status 400: connect ECONNREFUSED …": unreachable, not refused
      const unreachable = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up/.test(String((err as Error).message));
      if (!unreachable && ((err as Error).name === 'ConfluentSchemaRegistryCompatibilityError' || (status !== undefined && status < 500))) {
        throw new ForesightError(
          'CONFIG_INVALID',
          `registering ${name} under subject ${subject} was refused: ${(err as Error).message}. Foresight needs BACKWARD compatibility on its subjects and a schema compatible with the registered ones.`,
          { cause: err },
        );
      }
      throw new ForesightError('REGISTRY_UNAVAILABLE', `registering ${name} under subject ${subject} failed: ${String((err as Error).message ?? err)}`, {
        retriable: true,
        cause: err,
      });
    }
  }
  return ids as SchemaIds;
}
