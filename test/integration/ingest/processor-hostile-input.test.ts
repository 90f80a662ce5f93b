/**
 * Hostile input never stops a partition (issue 12, items 1, 2, 8, 10), on the real stack:
 * - JSON nested 100,000 (Prometheus) and 20,000 (OTLP) levels deep is dead-lettered as
 *   `undecodable`, and the valid messages behind it on the same partition are applied;
 * - a 5 MB invalid value is dead-lettered truncated (prefix, length, SHA-256), so the broker
 *   takes the dead letter, and the messages behind it are applied;
 * - names Kubernetes would refuse and values whose sums overflow are dead-lettered with a
 *   reason naming the field, and reach no window;
 * - thousands of dead letters write a few log lines (one per reason per 10 s), while the
 *   dead-letter metric counts each.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { DeadLetter, MetricSample } from '../../../src/codec/generated-types.js';
import { seriesIdOf } from '../../../src/codec/metric-sample.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { waitFor } from '../../../src/util/retry.js';
import { startCli } from '../../helpers/cli.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { deeplyNestedOtlp, deeplyNestedPrometheus } from '../../helpers/hostile.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { otlpRequest } from '../../helpers/otlp.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { sample, testCodec } from '../../helpers/produce.js';
import { appliedPerSeries, snapshotWindows } from '../../helpers/windows.js';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

/** Messages in a topic (the sum of its partitions' high watermarks). */
async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Events applied from one input topic (counts and sums of its coarse buckets). */
async function appliedOf(prefix: string, topic: string): Promise<{ count: number; sum: number }> {
  const t = { count: 0, sum: 0 };
  for (const [key, fields] of Object.entries(await snapshotWindows(redis, prefix))) {
    if (!key.startsWith(`:{${topic}:`) || !/:h:\d+$/.test(key)) continue;
    for (const b of Object.values(fields)) {
      t.count += b.count;
      t.sum += b.sum;
    }
  }
  return t;
}

async function deadLetters(kafka: Kafka, cfg: ReturnType<typeof testConfig>): Promise<DeadLetter[]> {
  const codec = await testCodec(cfg);
  const letters = await Promise.all((await readTopic(kafka, cfg.topics.deadletter)).map((l) => codec.decode<DeadLetter>(l.message.value, 'DeadLetter')));
  return letters.sort((a, b) => a.sourceTopic.localeCompare(b.sourceTopic) || a.sourceOffset - b.sourceOffset);
}

describe('hostile input', () => {
  it('dead-letters JSON nested 100,000 / 20,000 deep as undecodable and applies the valid messages behind it', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_RECOMMEND: 'false' });
    const cfg0 = testConfig(env);
    const prom = `${cfg0.topics.metrics}.prom`;
    const otlp = `${cfg0.topics.metrics}.otlp`;
    env.FORESIGHT_INPUTS = `${prom}=prometheus-json,${otlp}=otlp-json`;
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    await ensureTopics(kafka, cfg.topics, [prom, otlp]);
    const now = Date.now() - 60_000;
    const promSample = (v: number, t: number) =>
      Buffer.from(
        JSON.stringify({
          timestamp: new Date(t).toISOString(),
          value: String(v),
          name: 'cpu_usage',
          labels: { cluster: 'test', namespace: 'shop', deployment: 'web', container: 'app' },
        }),
      );
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: prom,
      acks: -1,
      messages: [
        { value: promSample(1, now) },
        { value: deeplyNestedPrometheus(100_000, now) },
        { value: promSample(2, now + 1000) },
        { value: promSample(4, now + 2000) },
      ],
    });
    await producer.send({
      topic: otlp,
      acks: -1,
      messages: [
        { value: deeplyNestedOtlp(20_000, now) },
        {
          value: Buffer.from(
            JSON.stringify(
              otlpRequest([
                { value: 8, timeMs: now },
                { value: 16, timeMs: now + 1000 },
              ]),
            ),
          ),
        },
      ],
    });
    await producer.disconnect();

    const perTopic = async () => ({ prom: await appliedOf(cfg.redis.keyPrefix, prom), otlp: await appliedOf(cfg.redis.keyPrefix, otlp) });
    await runProcessorUntil(env, async () => {
      const t = await perTopic();
      return t.prom.count === 3 && t.otlp.count === 2;
    });
    const t = await perTopic();
    assert.deepEqual(t.prom, { count: 3, sum: 7 }, 'the valid Prometheus samples behind the nested one are applied');
    assert.deepEqual(t.otlp, { count: 2, sum: 24 }, 'the valid OTLP request behind the nested one is applied');
    const letters = await deadLetters(kafka, cfg);
    assert.deepEqual(
      letters.map((l) => [l.sourceTopic, l.sourceOffset, l.reason]),
      [
        [otlp, 0, 'undecodable'],
        [prom, 1, 'undecodable'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    for (const l of letters) assert.match(l.detail, /nested deeper than 64 levels/);
  });

  it('dead-letters a 5 MB invalid value truncated with its length and SHA-256, and applies the messages behind it', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_RECOMMEND: 'false' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    // the input topic takes 6 MB messages (as a topic fed by large OTLP batches might); the
    // dead-letter topic keeps the broker's default (1 MB)
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: cfg.topics.metrics, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(6 * 1024 * 1024) }] },
      ],
    });
    await admin.disconnect();
    await ensureTopics(kafka, cfg.topics);
    const now = Date.now() - 60_000;
    const big = Buffer.alloc(5_000_000, 0x41); // "AAAA…": not the Confluent wire format
    big.write('not avro: ', 0);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: cfg.topics.metrics, acks: -1, messages: [{ key: 'k', value: codec.encode('MetricSample', sample('web', 1, now)) }] });
    await producer.send({ topic: cfg.topics.metrics, acks: -1, messages: [{ key: 'big', value: big, headers: { origin: 'test' } }] });
    await producer.send({
      topic: cfg.topics.metrics,
      acks: -1,
      messages: [2, 4].map((v, i) => ({ key: 'k', value: codec.encode('MetricSample', sample('web', v, now + (i + 1) * 1000)) })),
    });
    await producer.disconnect();

    const id = seriesIdOf(sample('web', 0, 0));
    await runProcessorUntil(env, async () => (await appliedPerSeries(redis, cfg.redis.keyPrefix)).get(id)?.count === 3);
    assert.deepEqual((await appliedPerSeries(redis, cfg.redis.keyPrefix)).get(id), { count: 3, sum: 7 });
    const raw = await readTopic(kafka, cfg.topics.deadletter);
    assert.equal(raw.length, 1);
    assert.ok(
      raw[0].message.value!.length <= 262_144,
      `dead letter of ${raw[0].message.value!.length} bytes, above the default FORESIGHT_DEADLETTER_MAX_BYTES`,
    );
    assert.equal(String(raw[0].message.headers?.['foresight-truncated']), 'true');
    const [letter] = await deadLetters(kafka, cfg);
    assert.equal(letter.reason, 'undecodable');
    assert.equal(letter.sourceOffset, 1);
    assert.ok(letter.truncation, 'the dead letter says it is truncated');
    assert.equal(letter.truncation.valueLength, big.length);
    assert.equal(letter.truncation.valueSha256, createHash('sha256').update(big).digest('hex'));
    assert.ok(letter.value!.length > 100_000, 'a useful prefix is kept');
    assert.ok(big.subarray(0, letter.value!.length).equals(Buffer.from(letter.value!)), 'the kept bytes are a prefix of the original');
    assert.equal(Buffer.from(letter.key!).toString(), 'big');
    assert.equal(Buffer.from(letter.headers.origin).toString(), 'test');
  });

  it('dead-letters names Kubernetes would refuse and values whose sums overflow; none reaches a window', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_RECOMMEND: 'false' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics);
    const now = Date.now() - 60_000;
    const ok = (over: Partial<MetricSample>, t = now): MetricSample => ({ ...sample('web', 1, t), ...over });
    const bad: { s: MetricSample; reason: string; field: RegExp }[] = [
      { s: ok({ cluster: 'c/shop', namespace: 'x' }), reason: 'invalid-field', field: /^cluster "c\/shop"/ },
      { s: ok({ cluster: 'c', namespace: 'shop/x' }), reason: 'invalid-field', field: /^namespace "shop\/x"/ },
      { s: ok({ name: 'web/..' }), reason: 'invalid-field', field: /^name / },
      { s: ok({ name: 'a..b' }), reason: 'invalid-field', field: /^name / },
      { s: ok({ name: 'web\nx' }), reason: 'invalid-field', field: /^name / },
      { s: ok({ namespace: '*' }), reason: 'invalid-field', field: /^namespace / },
      { s: ok({ container: '{app}' }), reason: 'invalid-field', field: /^container / },
      { s: ok({ name: 'w'.repeat(10_000) }), reason: 'invalid-field', field: /^name .*longer than 253/ },
      { s: ok({ kind: 'Deploy/ment' }), reason: 'invalid-field', field: /^kind / },
      { s: ok({ value: 1e308 }), reason: 'out-of-range', field: /value of cpu_usage is 1e\+308/ },
      { s: ok({ value: 1e308 }, now + 1000), reason: 'out-of-range', field: /value of cpu_usage/ },
      { s: ok({ value: Infinity }), reason: 'not-finite', field: /value of cpu_usage is Infinity/ },
    ];
    const good = [ok({ value: 2 }), ok({ value: 3 }, now + 2000), ok({ cluster: 'c', namespace: 'shop-x', value: 5 })];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cfg.topics.metrics,
      acks: -1,
      messages: [...bad.map((b) => b.s), ...good].map((s) => ({ value: codec.encode('MetricSample', s) })),
    });
    await producer.disconnect();

    await runProcessorUntil(
      env,
      async () => [...(await appliedPerSeries(redis, cfg.redis.keyPrefix)).values()].reduce((n, v) => n + v.count, 0) === good.length,
    );
    const applied = await appliedPerSeries(redis, cfg.redis.keyPrefix);
    assert.deepEqual([...applied.keys()].sort(), [seriesIdOf(good[0]), seriesIdOf(good[2])].sort(), 'only the valid series have windows');
    assert.deepEqual(applied.get(seriesIdOf(good[0])), { count: 2, sum: 5 });
    const letters = await deadLetters(kafka, cfg);
    assert.equal(letters.length, bad.length);
    letters.forEach((l, i) => {
      assert.equal(l.reason, bad[i].reason, l.detail);
      assert.match(l.detail, bad[i].field);
    });
    // nothing of the refused names is in Redis
    const keys = await redis.keys(`${cfg.redis.keyPrefix}:*`);
    assert.ok(
      keys.every((k) => !/c\/shop\/|shop\/x|\.\.|\n|\*|\{app\}|www/.test(k.replace(/\{[^}]*:\d+\}/, ''))),
      keys.join('\n'),
    );
  });

  it('writes one log line per reason per interval for thousands of dead letters; the metric counts each', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_RECOMMEND: 'false' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics);
    const n = 3000;
    const now = Date.now() - 60_000;
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < n; i += 1000) {
      await producer.send({
        topic: cfg.topics.metrics,
        acks: -1,
        messages: Array.from({ length: 1000 }, (_, j) => ({ value: Buffer.from(`{"not":"avro","i":${i + j}}`) })),
      });
    }
    await producer.send({ topic: cfg.topics.metrics, acks: -1, messages: [{ value: codec.encode('MetricSample', sample('web', 1, now)) }] });
    await producer.disconnect();

    const proc = startCli(['processor'], env);
    let metrics = '';
    try {
      await proc.waitForOutput('joined consumer group');
      const port = Number(/"port":(\d+)/.exec(proc.output())?.[1]);
      assert.ok(
        await waitFor(
          async () => (await topicSize(kafka, cfg.topics.deadletter)) >= n && (await appliedPerSeries(redis, cfg.redis.keyPrefix)).size === 1,
          90_000,
          250,
        ),
        proc.output().slice(-2000),
      );
      assert.ok(
        await waitFor(
          async () => {
            metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            return /foresight_deadletters(_total)?\{[^}]*reason="undecodable"[^}]*\} 3000\b/.test(metrics);
          },
          10_000,
          250,
        ),
        `the metric counts every dead letter:\n${metrics
          .split('\n')
          .filter((l) => l.includes('deadletters'))
          .join('\n')}`,
      );
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
    const lines = proc
      .output()
      .split('\n')
      .filter((l) => l.includes('dead-lettered'));
    // one immediately, then one per 10 s interval while they keep coming, and the rest on stop
    assert.ok(lines.length >= 1 && lines.length <= 8, `expected a few log lines, got ${lines.length}`);
    const counted = lines.map((l) => JSON.parse(l) as { count: number; reason: string; detail: string });
    assert.equal(
      counted.reduce((a, l) => a + l.count, 0),
      n,
      'the lines add up to every dead letter',
    );
    for (const l of counted) {
      assert.equal(l.reason, 'undecodable');
      assert.match(l.detail, /Confluent magic byte/);
    }
  });
});
