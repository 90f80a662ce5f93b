import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { AvroCodec } from '../../../src/codec/avro-codec.js';
import type { DeadLetter } from '../../../src/codec/generated-types.js';
import { avroType, SCHEMA_NAMES, type SchemaIds } from '../../../src/codec/schemas.js';
import { deadLetter } from '../../helpers/dead-letter.js';

const ids = Object.fromEntries(SCHEMA_NAMES.map((n, i) => [n, 1000 + i])) as SchemaIds;
const letter = (bytes: number, fill: number): DeadLetter => deadLetter({ value: Buffer.alloc(bytes, fill) });

test('encode: the Confluent frame (magic byte, schema id, Avro body), records of any size, each its own buffer', () => {
  const codec = new AvroCodec({} as SchemaRegistry, ids); // encoding never asks the registry
  const expected = (v: DeadLetter): Buffer => {
    const head = Buffer.alloc(5);
    head.writeInt32BE(ids.DeadLetter, 1);
    return Buffer.concat([head, avroType('DeadLetter').toBuffer(v)]);
  };
  const out: [Buffer, DeadLetter][] = [];
  // small, larger than the working buffer, small again (a buffer handed out is not written over)
  for (const [bytes, fill] of [
    [10, 1],
    [100_000, 2],
    [20, 3],
    [300_000, 4],
    [5, 5],
  ]) {
    const v = letter(bytes, fill);
    out.push([codec.encode('DeadLetter', v), v]);
  }
  for (const [buf, v] of out) assert.ok(buf.equals(expected(v)), `record of ${v.value!.length} bytes`);
  // and a value that does not match the schema still fails as avsc says
  assert.throws(() => codec.encode('DeadLetter', { ...letter(1, 0), sourcePartition: 'two' }));
});
