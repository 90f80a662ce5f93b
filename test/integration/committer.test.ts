/**
 * The committer consumes recommendations.v1 in its consumer group: valid recommendations are
 * taken (logged, with their trace context), undecodable or invalid ones are dead-lettered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeadLetter, Recommendation } from '../../src/codec/generated-types.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { waitFor } from '../../src/util/retry.js';
import { startCli } from '../helpers/cli.js';
import { testConfig, testEnv } from '../helpers/env.js';
import { readTopic, testKafka } from '../helpers/kafka.js';
import { testCodec } from '../helpers/produce.js';

function recommendation(name: string): Recommendation {
  return {
    id: `rec-${name}`, type: 'HPA', cluster: 'prod', namespace: 'shop', kind: 'Deployment', name, container: null,
    changes: [{ field: 'minReplicas', current: '2', proposed: '4' }], currentSource: 'MANIFEST',
    forecast: { metric: 'cpu_usage', horizonSeconds: 3600, q50: 1, q90: 2, q99: 3, quantileUsed: 0.99, peakTime: null },
    rules: ['slo-risk'], monthlyCostDelta: 12.5, currency: 'USD', confidence: 0.8, modelVersion: 'test', critical: false,
    createdAt: Date.now(), traceparent: null,
  };
}

describe('committer', () => {
  it('takes valid recommendations and dead-letters the rest', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cfg.topics.recommendations,
      messages: [
        { key: 'shop/checkout', value: codec.encode('Recommendation', recommendation('checkout')) },
        { key: 'x', value: Buffer.from('garbage') },
        { key: 'shop/evil', value: codec.encode('Recommendation', recommendation('../../etc')) },
        { key: 'shop/cart', value: codec.encode('Recommendation', recommendation('cart')) },
      ],
    });
    await producer.disconnect();

    const proc = startCli(['committer'], env);
    try {
      await proc.waitForOutput('"id":"rec-cart"');
      assert.match(proc.output(), /"id":"rec-checkout"/);
      assert.ok(await waitFor(async () => (await readTopic(kafka, cfg.topics.deadletter)).length === 2, 30_000));
      const letters = await Promise.all((await readTopic(kafka, cfg.topics.deadletter)).map((l) => codec.decode<DeadLetter>(l.message.value, 'DeadLetter')));
      letters.sort((a, b) => a.sourceOffset - b.sourceOffset);
      assert.deepEqual(letters.map((l) => [l.sourceOffset, l.reason, l.service]), [[1, 'undecodable', 'committer'], [2, 'invalid-field', 'committer']]);
      assert.match(letters[1].detail, /not a valid Kubernetes name/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });
});
