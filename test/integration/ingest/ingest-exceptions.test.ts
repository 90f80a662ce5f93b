/**
 * Whatever one message raises while it is decoded or checked is that message's problem: the
 * ingest pipeline (on a real Redis) dead-letters it as `undecodable` and applies the rest of
 * the batch; only a retriable infrastructure error (the registry down) fails the batch.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { KafkaMessage } from 'kafkajs';
import type { MessageDecoder } from '../../../src/codec/decoders.js';
import { loadConfig } from '../../../src/config/config.js';
import type { Rejection } from '../../../src/kafka/deadletter.js';
import { IngestPipeline } from '../../../src/ingest/ingest.js';
import { ForesightError } from '../../../src/util/errors.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { WindowStore } from '../../../src/windows/window-store.js';
import { uniqueId } from '../../helpers/env.js';
import { sample } from '../../helpers/produce.js';
import { totalApplied } from '../../helpers/windows.js';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

const message = (offset: number, text: string): KafkaMessage =>
  ({ offset: String(offset), key: null, value: Buffer.from(text), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

/** A decoder that misbehaves on cue, as a buggy parser would on hostile bytes. */
const decode: MessageDecoder = (v) => {
  const text = v!.toString();
  if (text === 'overflow') throw new RangeError('Maximum call stack size exceeded');
  if (text === 'type') return { kind: 'metric', samples: [null as never] }; // a TypeError in the checks
  if (text === 'registry-down') throw new ForesightError('REGISTRY_UNAVAILABLE', 'registry unreachable', { retriable: true });
  return { kind: 'metric', samples: [sample('web', Number(text), Date.now() - 60_000)] };
};

function pipeline(prefix: string, letters: Rejection[]): IngestPipeline {
  return new IngestPipeline({
    cfg: loadConfig({}).ingest,
    windows: new WindowStore(redis, prefix),
    costs: new CostStore(redis, prefix, []),
    deadLetter: async (r) => void letters.push(...r),
    withRetry: (fn) => fn(),
  });
}

describe('ingest: exceptions of one message', () => {
  it('dead-letters a message whose decoding or checking throws anything, as undecodable, and applies the rest', async () => {
    const prefix = uniqueId('ingest');
    const letters: Rejection[] = [];
    const ref = { topic: `${prefix}.metrics`, partition: 0 };
    const out = await pipeline(prefix, letters).handle(ref, [message(0, '1'), message(1, 'overflow'), message(2, 'type'), message(3, '2')], decode, false);
    assert.equal(out.applied, 2);
    assert.deepEqual(
      letters.map((l) => [l.message.offset, l.reason]),
      [
        ['1', 'undecodable'],
        ['2', 'undecodable'],
      ],
    );
    assert.match(letters[0].detail, /RangeError: Maximum call stack size exceeded/);
    assert.match(letters[1].detail, /TypeError/);
    assert.equal(await totalApplied(redis, prefix), 2);
  });

  it('fails the batch (to be retried) when the registry is down, dead-lettering nothing', async () => {
    const prefix = uniqueId('ingest');
    const letters: Rejection[] = [];
    const ref = { topic: `${prefix}.metrics`, partition: 0 };
    await assert.rejects(pipeline(prefix, letters).handle(ref, [message(0, '1'), message(1, 'registry-down')], decode, false), /registry unreachable/);
    assert.deepEqual(letters, []);
    assert.equal(await totalApplied(redis, prefix), 0);
  });
});
