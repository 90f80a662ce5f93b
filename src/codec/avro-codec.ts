/**
 * Avro in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body) through a
 * Confluent-compatible Schema Registry. The registry client caches writer schemas by id, so
 * a schema is fetched once per id, not once per message.
 *
 * Decoding failures are classified: a bad frame or body is `undecodable`, an id the registry
 * does not know is `schema-unknown` (both dead-lettered); a registry that cannot be reached is
 * a retriable error (the batch is retried, never dead-lettered).
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import { ForesightError, RejectedMessage } from '../util/errors.js';
import { retry } from '../util/retry.js';
import { avroType, type SchemaIds, type SchemaName } from './schemas.js';

export const MAGIC_BYTE = 0;

export function createRegistry(url: string): SchemaRegistry {
  return new SchemaRegistry({ host: url, retry: { retries: 2 } } as never);
}

export class AvroCodec {
  constructor(
    private readonly registry: SchemaRegistry,
    private readonly ids: SchemaIds,
  ) {}

  async encode(name: SchemaName, value: unknown): Promise<Buffer> {
    return this.registry.encode(this.ids[name], value);
  }

  /**
   * Decodes a wire-format message and checks it against our own schema `expected` (a message
   * written with another record type is rejected, not guessed at).
   */
  async decode<T>(buf: Buffer | null, expected: SchemaName): Promise<T> {
    if (!buf || buf.length < 5) throw new RejectedMessage('undecodable', `message is ${buf ? buf.length : 0} bytes; a Confluent wire-format message has at least 5`);
    if (buf[0] !== MAGIC_BYTE) throw new RejectedMessage('undecodable', `first byte is ${buf[0]}, not the Confluent magic byte 0`);
    const schemaId = buf.readInt32BE(1);
    let value: unknown;
    try {
      value = await retry(() => this.registry.decode(buf), { retries: 3, bail: (err) => !isRegistryUnreachable(err) });
    } catch (err) {
      if (isRegistryUnreachable(err)) {
        throw new ForesightError('REGISTRY_UNAVAILABLE', `schema registry unreachable while decoding schema id ${schemaId}`, { retriable: true, cause: err });
      }
      if (httpStatus(err) === 404) throw new RejectedMessage('schema-unknown', `schema id ${schemaId} is not in the registry`, err);
      throw new RejectedMessage('undecodable', `Avro body does not decode with schema id ${schemaId}: ${(err as Error).message}`, err);
    }
    const type: avro.Type = avroType(expected);
    const paths: string[] = [];
    if (!type.isValid(value, { errorHook: (p) => paths.push(p.join('.') || '(root)') })) {
      throw new RejectedMessage('invalid-field', `schema id ${schemaId} is not a ${expected}: invalid or missing field(s) ${paths.slice(0, 5).join(', ')}`);
    }
    return value as T;
  }
}

function httpStatus(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

function isRegistryUnreachable(err: unknown): boolean {
  const status = httpStatus(err);
  if (status !== undefined) return status >= 500;
  const code = (err as { code?: unknown; cause?: { code?: unknown } })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code;
  const msg = String((err as Error)?.message ?? '');
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || /ECONNREFUSED|ECONNRESET|socket hang up|ETIMEDOUT/.test(msg);
}
