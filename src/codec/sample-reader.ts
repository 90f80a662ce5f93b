/**
 * The ingest hot path's reader of Avro MetricSamples written with our own schema: it reads
 * what the windows need (series id, value, event time) straight from the record's buffer,
 * without the intermediate sample object, its seven strings or the series id's concatenation.
 *
 * The identity fields (cluster, namespace, kind, name, container, metric) come first in the
 * schema, so their encoded bytes are one span of the body; that span, as a latin1 string, keys
 * a cache of identities that passed identityProblem once, with their series id. The unit and
 * the attributes are skipped (ingest uses neither), their structure still checked.
 *
 * It answers only the common case, and `undefined` for anything else — a writer schema other
 * than ours, an identity not in the cache, a union branch or length it does not expect, a
 * truncated body or trailing bytes — and the caller then takes the general path (avsc,
 * checkSample), which accepts or rejects the message with its reason. So a message is
 * accepted here only if the general path would accept its identity, and the value and event
 * time are checked by the same function (checkReading) on both paths.
 */
import { identityProblem, seriesIdOf } from './metric-sample.js';
import { avroType } from './schemas.js';
import { MAGIC_BYTE } from './avro-codec.js';

interface Identity {
  seriesId: string;
  metric: string;
}

/** The field order this reader assumes; checked against schemas/MetricSample.avsc when it is built. */
const LAYOUT = ['cluster', 'namespace', 'kind', 'name', 'container', 'metric', 'unit', 'value', 'eventTime', 'attributes'];

/** A zigzag varint of at most 7 bytes (below 2^49, beyond any length or epoch millisecond), or NaN. */
function readLong(buf: Buffer, at: { pos: number }): number {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    const p = at.pos++;
    if (p >= buf.length) return NaN;
    const b = buf[p];
    n += (b & 0x7f) * mul;
    if (b < 0x80) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    mul *= 128;
  }
  return NaN;
}

/** Skips an Avro string; false when it does not fit. */
function skipString(buf: Buffer, at: { pos: number }): boolean {
  const len = readLong(buf, at);
  if (!(len >= 0)) return false;
  at.pos += len;
  return at.pos <= buf.length;
}

export class SampleReader {
  // the last sample read (fields, not a new object per message)
  seriesId = '';
  metric = '';
  value = NaN;
  eventTime = NaN;
  private readonly identities = new Map<string, Identity>();
  private readonly at = { pos: 0 };

  /**
   * `schemaId`: the id our MetricSample schema is registered under (a message of another id
   * goes the general way); `maxIdentities`: the cache is emptied when it grows past this.
   */
  constructor(
    private readonly schemaId: number,
    private readonly maxIdentities = 500_000,
  ) {
    const fields = (avroType('MetricSample') as unknown as { fields: { name: string }[] }).fields.map((f) => f.name);
    if (fields.join() !== LAYOUT.join())
      throw new Error(`sample-reader.ts assumes the MetricSample fields ${LAYOUT.join(', ')}; the schema has ${fields.join(', ')}`);
  }

  /** Reads the sample into seriesId, metric, value and eventTime; false: take the general path. */
  read(buf: Buffer | null): boolean {
    if (!buf || buf.length < 6 || buf[0] !== MAGIC_BYTE || buf.readInt32BE(1) !== this.schemaId) return false;
    const at = this.at;
    at.pos = 5;
    // cluster, namespace, kind, name: strings; container: union index 0 (null) or 1 (string, zigzag 2); metric
    for (let i = 0; i < 4; i++) if (!skipString(buf, at)) return false;
    const branch = buf[at.pos++];
    if (branch === 2) {
      if (!skipString(buf, at)) return false;
    } else if (branch !== 0) return false;
    if (!skipString(buf, at)) return false;
    const key = buf.toString('latin1', 5, at.pos);
    const id = this.identities.get(key);
    if (id === undefined) return false; // the general path checks it, then remember() caches it
    if (!skipString(buf, at)) return false; // unit
    if (at.pos + 8 > buf.length) return false;
    const value = buf.readDoubleLE(at.pos);
    at.pos += 8;
    const eventTime = readLong(buf, at);
    if (Number.isNaN(eventTime)) return false;
    // attributes: blocks of (count, [byte size when count < 0], count × (key, value)), ending with count 0
    for (;;) {
      let count = readLong(buf, at);
      if (Number.isNaN(count)) return false;
      if (count === 0) break;
      if (count < 0) {
        count = -count;
        if (!(readLong(buf, at) >= 0)) return false;
      }
      for (let i = 0; i < 2 * count; i++) if (!skipString(buf, at)) return false;
    }
    if (at.pos !== buf.length) return false; // trailing bytes: the general path says so
    this.seriesId = id.seriesId;
    this.metric = id.metric;
    this.value = value;
    this.eventTime = eventTime;
    return true;
  }

  /**
   * After the general path accepted a sample (its identity passed identityProblem): the next
   * messages with the same identity bytes take the short path.
   */
  remember(buf: Buffer, sample: { cluster: string; namespace: string; kind: string; name: string; container: string | null; metric: string }): void {
    if (buf.length < 6 || buf[0] !== MAGIC_BYTE || buf.readInt32BE(1) !== this.schemaId || identityProblem(sample)) return;
    const at = this.at;
    at.pos = 5;
    for (let i = 0; i < 4; i++) if (!skipString(buf, at)) return;
    const branch = buf[at.pos++];
    if (branch === 2 ? !skipString(buf, at) : branch !== 0) return;
    if (!skipString(buf, at)) return;
    if (this.identities.size >= this.maxIdentities) this.identities.clear();
    this.identities.set(buf.toString('latin1', 5, at.pos), { seriesId: seriesIdOf(sample), metric: sample.metric });
  }
}
