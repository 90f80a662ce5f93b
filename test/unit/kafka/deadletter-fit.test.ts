import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { DeadLetter } from '../../../src/codec/generated-types.js';
import avro from 'avsc';
import { avroType, readSchemaJson } from '../../../src/codec/schemas.js';
import { DETAIL_MAX_CHARS, fitDeadLetter, RECORD_OVERHEAD_BYTES } from '../../../src/kafka/deadletter-fit.js';
import { deadLetter } from '../../helpers/dead-letter.js';

const letter = deadLetter;
/** avsc decodes records as class instances: compared as plain data */
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('dead letters that fit the broker', () => {
  it('keeps a small message whole, without truncation', () => {
    const { record, body } = fitDeadLetter(letter(), 262_144);
    assert.equal(record.truncation, null);
    assert.deepEqual(plain(avroType('DeadLetter').fromBuffer(body)), plain(letter()));
  });

  it('cuts a large value to a prefix and records its length and SHA-256', () => {
    const value = Buffer.alloc(5_000_000, 7);
    value.write('prefix', 0);
    const max = 262_144;
    const { record, body } = fitDeadLetter(letter({ value }), max);
    assert.ok(body.length <= max - RECORD_OVERHEAD_BYTES, `${body.length}`);
    assert.ok(body.length > max - RECORD_OVERHEAD_BYTES - 1024, 'the budget is used');
    assert.deepEqual(record.truncation, { keyLength: 1, keySha256: sha(Buffer.from('k')), valueLength: 5_000_000, valueSha256: sha(value), headersDropped: 0 });
    assert.ok(value.subarray(0, record.value!.length).equals(record.value!));
    assert.equal(record.key!.toString(), 'k');
    assert.equal(record.headers.origin.toString(), 'a');
    assert.deepEqual(plain(avroType('DeadLetter').fromBuffer(body)), plain(record));
  });

  it('cuts a large key and leaves out large headers, counting them', () => {
    const key = Buffer.alloc(1_000_000, 1);
    const { record, body } = fitDeadLetter(letter({ key, value: null, headers: { big: Buffer.alloc(500_000), small: Buffer.from('s') } }), 65_536);
    assert.ok(body.length <= 65_536 - RECORD_OVERHEAD_BYTES);
    assert.equal(record.truncation?.keyLength, 1_000_000);
    assert.equal(record.truncation?.valueLength, null);
    assert.equal(record.truncation?.headersDropped, 1);
    assert.deepEqual(Object.keys(record.headers), ['small']);
    assert.ok(record.key!.length > 30_000);
  });

  it('bounds the detail', () => {
    const { record } = fitDeadLetter(letter({ detail: 'x'.repeat(100_000) }), 262_144);
    assert.ok(record.detail.length < DETAIL_MAX_CHARS + 50);
    assert.match(record.detail, /… \(100000 characters\)$/);
  });

  it('dead letters written before the truncation field read as not truncated (backward compatible)', () => {
    const schema = readSchemaJson('DeadLetter') as unknown as { fields: { name: string }[] };
    const v1 = avro.Type.forSchema({ ...schema, fields: schema.fields.filter((f) => f.name !== 'truncation') } as avro.Schema);
    const { truncation, ...old } = letter();
    void truncation;
    const read = avroType('DeadLetter').fromBuffer(v1.toBuffer(old), avroType('DeadLetter').createResolver(v1)) as DeadLetter;
    assert.equal(read.truncation, null);
    assert.equal(read.value!.toString(), '{"x":1');
  });
});
