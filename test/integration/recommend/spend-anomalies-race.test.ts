/**
 * Spend anomalies (recommend/spend-anomalies.ts) are checked by the demand series of every
 * workload of a namespace or team: different series, so different partitions, and in a consumer
 * group different processors. Two processors that check the same scope at the same hour close
 * publish its alert once between them, not twice, and one of them does publish it; a claim whose
 * alert could not be sent is given back, so the retry publishes it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { parseSeriesId } from '../../../src/codec/series-id.js';
import { SpendAnomalies } from '../../../src/recommend/spend-anomalies.js';
import type { CostStore } from '../../../src/windows/cost-store.js';
import { spendAnomalyKey } from '../../../src/windows/redis-keys.js';
import { testConfig, testEnv, testRedis } from '../../helpers/env.js';
import { testKafka } from '../../helpers/kafka.js';
import { testCodec } from '../../helpers/produce.js';

const HOUR = 3_600_000;
const env = testEnv();
const cfg = testConfig(env);
const redis = testRedis(env);
const kafka = testKafka(cfg);
let producer: Producer;

before(async () => {
  await ensureTopics(kafka, cfg.topics);
  producer = kafka.producer();
  await producer.connect();
});
after(async () => {
  await producer?.disconnect();
  redis.disconnect();
});

/** The billing windows' reader, its hourly figures only (all usage): a flat cost of 1 per hour for two days, then an hour that cost 5 (the newest hour scores far above the threshold). */
const costs = {
  hourlyParts: async (_scope: string, fromMs: number, toMs: number): Promise<{ all: number[]; usage: number[] }> => {
    const n = Math.ceil(toMs / HOUR) - Math.floor(fromMs / HOUR);
    const all = Array.from({ length: n }, (_, i) => (i === n - 1 ? 5 : i >= n - 49 ? 1 : 0));
    return { all, usage: all };
  },
} as unknown as CostStore;

describe('spend anomalies from two processors', () => {
  it('alert a scope once between them at an hour close', async () => {
    const codec = await testCodec(cfg);
    const atMs = Date.UTC(2026, 10, 20, 12);
    const processor = () => new SpendAnomalies({ costs, redis, prefix: cfg.redis.keyPrefix, producer, codec, alertsTopic: cfg.topics.alerts });
    const [a, b] = [processor(), processor()];
    const policy = structuredClone(DEFAULT_POLICY);
    // two workloads of one namespace, on two processors
    const web = parseSeriesId('c1/shop/Deployment/web/-/cpu_usage')!;
    const api = parseSeriesId('c1/shop/Deployment/api/-/cpu_usage')!;
    const sent = (await Promise.all([a.check(web, undefined, policy, atMs, undefined), b.check(api, undefined, policy, atMs, undefined)])).flat();
    assert.equal(sent.length, 1, `one alert between the two processors: ${JSON.stringify(sent.map((x) => [x.name, x.eventTime]))}`);
    assert.equal(sent[0].name, 'shop');
    assert.equal(sent[0].value, 5);
    // the hour is marked scored (the hour before the close)
    const key = spendAnomalyKey(cfg.redis.keyPrefix, 'ns:c1/shop');
    assert.equal(Number(await redis.hget(key, 'scored')), atMs / HOUR - 1);
    await redis.del(key);
  });

  it('a claim whose alert could not be sent is given back: the retry publishes it', async () => {
    const codec = await testCodec(cfg);
    const atMs = Date.UTC(2026, 10, 21, 12);
    let failures = 1;
    // the real producer, whose first send fails as a broker outage would
    const flaky = {
      send: async (r: Parameters<Producer['send']>[0]) => {
        if (failures-- > 0) throw new Error('broker unavailable');
        return producer.send(r);
      },
    } as unknown as Producer;
    const spend = new SpendAnomalies({ costs, redis, prefix: cfg.redis.keyPrefix, producer: flaky, codec, alertsTopic: cfg.topics.alerts });
    const policy = structuredClone(DEFAULT_POLICY);
    const web = parseSeriesId('c1/retail/Deployment/web/-/cpu_usage')!;
    const key = spendAnomalyKey(cfg.redis.keyPrefix, 'ns:c1/retail');
    try {
      await assert.rejects(spend.check(web, undefined, policy, atMs, undefined), /broker unavailable/);
      assert.deepEqual(await redis.hgetall(key), {}, 'the claim was given back');
      // the batch is retried: the hour is claimed again and its alert published
      const sent = await spend.check(web, undefined, policy, atMs, undefined);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].value, 5);
      assert.equal(Number(await redis.hget(key, 'scored')), atMs / HOUR - 1);
      // and not again
      assert.deepEqual(await spend.check(web, undefined, policy, atMs, undefined), []);
    } finally {
      await redis.del(key);
    }
  });
});
