/**
 * Undecodable and invalid messages on metrics.v1 land in deadletter.v1 with their reason and
 * original bytes, and good messages after them are still processed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { avroType } from '../../../src/codec/schemas.js';
import type { DeadLetter } from '../../../src/codec/generated-types.js';
import { seriesIdOf } from '../../../src/codec/metric-sample.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { appliedOffsetKey } from '../../../src/windows/redis-keys.js';
import { sleep, waitFor } from '../../../src/util/retry.js';
import { startCli } from '../../helpers/cli.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { sample, testCodec } from '../../helpers/produce.js';
import { appliedPerSeries } from '../../helpers/windows.js';

describe('processor dead letters', () => {
  const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const redis = new Redis(cfg.redis.url);
  after(() => redis.disconnect());

  it('dead-letters malformed messages with reason and original bytes and keeps processing', async () => {
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics);
    const now = Date.now();
    const good = (v: number) => codec.encode('MetricSample', sample('web', v, now));
    const unknownId = Buffer.concat([Buffer.from([0, 0x00, 0x0f, 0x42, 0x3f]), Buffer.from('xyz')]); // schema id 999999
    const bad: { value: Buffer; reason: string }[] = [
      { value: Buffer.from('{"not":"avro"}'), reason: 'undecodable' },
      { value: Buffer.from([0, 0, 0]), reason: 'undecodable' },
      { value: unknownId, reason: 'schema-unknown' },
      { value: codec.encode('MetricSample', sample('web', -3, now)), reason: 'negative-value' },
      {
        value: codec.encode('DeadLetter', {
          reason: 'x',
          detail: 'x',
          service: 'x',
          sourceTopic: 'x',
          sourcePartition: 0,
          sourceOffset: 0,
          sourceTimestamp: null,
          key: null,
          value: null,
          headers: {},
          rejectedAt: now,
        }),
        reason: 'invalid-field',
      },
    ];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cfg.topics.metrics,
      messages: [
        { key: 'a', value: await good(1) },
        ...bad.map((b, i) => ({ key: `bad-${i}`, value: b.value, headers: { origin: `test-${i}` } })),
        { key: 'a', value: await good(2) },
        { key: 'a', value: await good(4) },
      ],
    });
    await producer.disconnect();

    const proc = startCli(['processor'], env);
    try {
      const id = seriesIdOf(sample('web', 0, 0));
      assert.ok(
        await waitFor(async () => (await appliedPerSeries(redis, cfg.redis.keyPrefix)).get(id)?.count === 3, 60_000),
        `good events not applied:\n${proc.output().slice(-2000)}`,
      );
      await sleep(500);
      assert.deepEqual((await appliedPerSeries(redis, cfg.redis.keyPrefix)).get(id), { count: 3, sum: 7 });

      const letters = await readTopic(kafka, cfg.topics.deadletter);
      const decoded = await Promise.all(letters.map((l) => codec.decode<DeadLetter>(l.message.value, 'DeadLetter')));
      decoded.sort((a, b) => a.sourceOffset - b.sourceOffset);
      assert.equal(decoded.length, bad.length);
      decoded.forEach((d, i) => {
        assert.equal(d.reason, bad[i].reason, `offset ${d.sourceOffset}: ${d.detail}`);
        assert.equal(d.sourceTopic, cfg.topics.metrics);
        assert.equal(d.sourcePartition, 0);
        assert.equal(d.sourceOffset, i + 1);
        assert.ok(Buffer.from(d.value!).equals(bad[i].value), 'original bytes kept');
        assert.equal(Buffer.from(d.key!).toString(), `bad-${i}`);
        assert.equal(Buffer.from(d.headers.origin).toString(), `test-${i}`);
        assert.equal(d.service, 'processor');
        assert.ok(d.detail.length > 10);
      });
      assert.ok(avroType('DeadLetter').isValid(decoded[0]));
      // W3C trace context is written to the dead letters' headers (the processor's batch span)
      for (const l of letters) assert.match(String(l.message.headers?.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    } finally {
      proc.child.kill('SIGTERM');
      assert.equal(await proc.exited, 0);
    }
  });

  it("says so, naming the remedy, when Redis records offsets beyond the partition's end (a recreated topic)", async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics);
    // state of an earlier incarnation of the topic: offset 999 applied
    await redis.set(appliedOffsetKey(cfg.redis.keyPrefix, { topic: cfg.topics.metrics, partition: 0 }), '999');
    const producer = kafka.producer();
    await producer.connect();
    const s = sample('web', 1, Date.now() - 60_000);
    await producer.send({ topic: cfg.topics.metrics, messages: [{ key: seriesIdOf(s), value: codec.encode('MetricSample', s) }] });
    await producer.disconnect();
    const proc = startCli(['processor'], env);
    try {
      await proc.waitForOutput('Redis records offsets beyond this partition', 30_000);
      assert.match(proc.output(), /"appliedOffset":"999","highWatermark":"1"[^\n]*FORESIGHT_REDIS_KEY_PREFIX/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });
});
