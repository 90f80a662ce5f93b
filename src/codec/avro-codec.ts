/**
 * Avro in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body) through a
 * Confluent-compatible Schema Registry. Encoding uses our own schemas and the ids they were
 * registered under; decoding fetches a writer schema once per id and caches its reader, so
 * the registry is asked once per id, not once per message.
 *
 * Decoding failures are classified: a bad frame or body is `undecodable`, an id the registry
 * does not know is `schema-unknown` (both dead-lettered); a registry that cannot be reached is
 * a retriable error (the batch is retried, never dead-lettered).
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { ForesightError, RejectedMessage } from '../util/errors.js';
import { retry } from '../util/retry.js';
import { registryAgent, registryGet, type RegistryEndpoint } from './registry-http.js';
import { avroType, type SchemaIds, type SchemaName } from './schemas.js';

export const MAGIC_BYTE = 0;

/** The Confluent client; an endpoint with security adds its CA (https) and basic auth. */
export function createRegistry(endpoint: string | RegistryEndpoint): SchemaRegistry {
  const { url, security } = typeof endpoint === 'string' ? { url: endpoint, security: undefined } : endpoint;
  const agent = registryAgent(security);
  const auth = security?.auth ? { username: security.auth.username, password: security.auth.password.reveal() } : undefined;
  return new SchemaRegistry({ host: url, retry: { retries: 2 }, ...(agent ? { agent } : {}), ...(auth ? { auth } : {}) } as never);
}

export class AvroCodec {
  /** `${writerSchemaId}:${readerName}` → how to read it (or why it cannot be read). */
  private readonly readers = new Map<string, Reader>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly ids: SchemaIds,
    private readonly registryUrl?: string | RegistryEndpoint,
  ) {}

  /** The id our schema `name` is registered under. */
  idOf(name: SchemaName): number {
    return this.ids[name];
  }

  /** encode's working buffer (grown as needed): the header and body are written once, then copied out once. */
  private scratch = Buffer.allocUnsafe(16_384);

  /** Confluent wire format with our own schema and its registered id: no registry call. */
  encode(name: SchemaName, value: unknown): Buffer {
    const type = avroType(name);
    let end = type.encode(value, this.scratch, 5);
    if (end < 0) {
      // avsc returns minus the bytes missing: the whole record again into a buffer that holds it
      this.scratch = Buffer.allocUnsafe(2 * (this.scratch.length - end));
      end = type.encode(value, this.scratch, 5);
    }
    this.scratch[0] = MAGIC_BYTE;
    this.scratch.writeInt32BE(this.ids[name], 1);
    return Buffer.from(this.scratch.subarray(0, end));
  }

  /** An Avro body already encoded with our schema `name`, in the wire format. */
  frame(name: SchemaName, body: Buffer): Buffer {
    const out = Buffer.allocUnsafe(5 + body.length);
    out[0] = MAGIC_BYTE;
    out.writeInt32BE(this.ids[name], 1);
    body.copy(out, 5);
    return out;
  }

  /**
   * Decodes a wire-format message into our schema `expected`. The writer schema is fetched
   * from the registry once per id; a writer schema other than ours is read through an Avro
   * resolver (schema evolution), and one that cannot be resolved (another record type) is
   * rejected, not guessed at. After the first message of a schema id, decoding is local.
   */
  async decode<T>(buf: Buffer | null, expected: SchemaName): Promise<T> {
    const cached = this.decodeCached<T>(buf, expected);
    if (cached !== undefined) return cached;
    const schemaId = buf!.readInt32BE(1);
    const reader = await this.readerFor(schemaId, expected);
    this.readers.set(`${schemaId}:${expected}`, reader);
    return readBody<T>(reader, buf!, schemaId);
  }

  /**
   * As decode, but synchronous: the value when the reader for the message's schema id is
   * cached (every message after the first of its id), `undefined` when decode must fetch the
   * writer schema first. The hot path of ingest: no promise per message.
   */
  decodeCached<T>(buf: Buffer | null, expected: SchemaName): T | undefined {
    if (!buf || buf.length < 5)
      throw new RejectedMessage('undecodable', `message is ${buf ? buf.length : 0} bytes; a Confluent wire-format message has at least 5`);
    if (buf[0] !== MAGIC_BYTE) throw new RejectedMessage('undecodable', `first byte is ${buf[0]}, not the Confluent magic byte 0`);
    const schemaId = buf.readInt32BE(1);
    const reader = this.readers.get(`${schemaId}:${expected}`);
    return reader === undefined ? undefined : readBody<T>(reader, buf, schemaId);
  }

  private async readerFor(schemaId: number, expected: SchemaName): Promise<Reader> {
    const type = avroType(expected);
    if (this.ids[expected] === schemaId) return { type };
    let writerJson: string;
    try {
      writerJson = await retry(() => this.fetchSchema(schemaId), { retries: 3, bail: (err) => !isRegistryUnreachable(err) });
    } catch (err) {
      if (isRegistryUnreachable(err)) {
        throw new ForesightError('REGISTRY_UNAVAILABLE', `schema registry unreachable while decoding schema id ${schemaId}`, { retriable: true, cause: err });
      }
      if (httpStatus(err) === 404) return new RejectedMessage('schema-unknown', `schema id ${schemaId} is not in the registry`, err);
      // refused (401, 403, ...): the registry's or our configuration's problem, not the message's
      throw new ForesightError('REGISTRY_UNAVAILABLE', `schema registry refused schema id ${schemaId}: ${(err as Error)?.message ?? String(err)}`, {
        retriable: true,
        cause: err,
      });
    }
    try {
      const writer = avro.Type.forSchema(JSON.parse(writerJson) as avro.Schema);
      return { type, resolver: type.createResolver(writer) };
    } catch (err) {
      return new RejectedMessage(
        'invalid-field',
        `schema id ${schemaId} is not a ${expected} (no Avro resolution: ${(err as Error).message.slice(0, 200)})`,
        err,
      );
    }
  }

  private async fetchSchema(id: number): Promise<string> {
    if (this.registryUrl) {
      const res = await registryGet(this.registryUrl, `/schemas/ids/${id}`);
      let body: { schema?: string } = {};
      try {
        body = JSON.parse(res.body) as { schema?: string };
      } catch {
        // not JSON (a proxy's error page): the status decides
      }
      if (res.status < 200 || res.status >= 300) throw Object.assign(new Error(`GET /schemas/ids/${id}: HTTP ${res.status}`), { status: res.status });
      if (typeof body.schema !== 'string') throw new Error(`GET /schemas/ids/${id}: no schema in the response`);
      return body.schema;
    }
    const t = await this.registry.getSchema(id);
    return JSON.stringify((t as unknown as { schema(): unknown }).schema());
  }
}
type Reader = { type: avro.Type; resolver?: avro.Resolver } | RejectedMessage;

function readBody<T>(reader: Reader, buf: Buffer, schemaId: number): T {
  if (reader instanceof RejectedMessage) throw reader;
  try {
    return reader.type.fromBuffer(buf.subarray(5), reader.resolver) as T;
  } catch (err) {
    throw new RejectedMessage('undecodable', `Avro body does not decode with schema id ${schemaId}: ${(err as Error).message}`, err);
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
