/**
 * The consumer examples in examples/ run against the real stack: each decodes with the
 * registry and prints what a subscriber would act on; the alert consumer de-duplicates a
 * redelivered alert by id.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { AnomalyAlert, Recommendation } from '../../src/codec/generated-types.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { PROJECT_ROOT } from '../../src/util/paths.js';
import { testConfig, testEnv } from '../helpers/env.js';
import { testKafka } from '../helpers/kafka.js';
import { testCodec } from '../helpers/produce.js';

const EXAMPLES = path.join(PROJECT_ROOT, 'dist', 'examples');

function runExample(file: string, args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [path.join(EXAMPLES, file), ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 90_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('examples', () => {
  it('recommendations-consumer.ts and alerts-consumer.ts decode what Foresight publishes', async () => {
    const env = testEnv();
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics);
    const now = Date.now();
    const rec: Recommendation = {
      id: `rec-${now}`,
      type: 'HPA',
      cluster: 'prod',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'checkout',
      container: null,
      changes: [{ field: 'minReplicas', current: '3', proposed: '5' }],
      currentSource: 'MANIFEST',
      forecast: { metric: 'cpu_utilization', horizonSeconds: 3600, q50: 40, q90: 50, q99: 60, quantileUsed: 0.99, peakTime: null },
      rules: ['slo-risk'],
      monthlyCostDelta: 123.4,
      currency: 'EUR',
      confidence: 0.8,
      modelVersion: 'm',
      critical: false,
      createdAt: now,
      traceparent: null,
      costUnknown: null,
      nodePool: 'general',
      budget: null,
      resourceDelta: null,
    };
    const unpriced: Recommendation = {
      ...rec,
      id: `rec-${now}-spot`,
      type: 'SPOT',
      changes: [{ field: 'nodeSelector.karpenter.sh/capacity-type', current: null, proposed: 'spot' }],
      monthlyCostDelta: 0,
      costUnknown: 'cost unknown: no billing rows for pool spot',
      critical: true,
    };
    const alert: AnomalyAlert = {
      id: `alert-${now}`,
      severity: 'CRITICAL',
      cluster: 'prod',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'checkout',
      container: null,
      metric: 'cpu_utilization',
      eventTime: now,
      value: 97.5,
      score: 0.999,
      threshold: 0.95,
      window: { start: now - 3_600_000, end: now, count: 60, mean: 40, min: 30, max: 97.5, p95: 55 },
      modelVersion: 'a',
      traceparent: null,
      budget: null,
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cfg.topics.recommendations,
      acks: -1,
      messages: [rec, unpriced].map((x) => ({ key: 'shop/Deployment/checkout', value: codec.encode('Recommendation', x) })),
    });
    await producer.send({
      topic: cfg.topics.alerts,
      acks: -1,
      messages: [0, 1].map(() => ({ key: 'shop/Deployment/checkout', value: codec.encode('AnomalyAlert', alert) })),
    });
    await producer.disconnect();

    const common = { KAFKA_BROKERS: cfg.kafka.brokers.join(','), SCHEMA_REGISTRY_URL: cfg.registryUrl };
    const r = runExample('recommendations-consumer.js', ['--max', '2'], {
      ...common,
      TOPIC: cfg.topics.recommendations,
      GROUP_ID: `${env.FORESIGHT_PROCESSOR_GROUP}-ex1`,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      `HPA shop/Deployment/checkout: minReplicas 3→5; +123.40 EUR/month [${rec.id}]`,
      `SPOT shop/Deployment/checkout: nodeSelector.karpenter.sh/capacity-type (unset)→spot; cost unknown: no billing rows for pool spot; needs review [${unpriced.id}]`, // never "+0.00"
    ]);

    const a = runExample('alerts-consumer.js', ['--max', '2', '--min-severity', 'WARNING'], {
      ...common,
      TOPIC: cfg.topics.alerts,
      GROUP_ID: `${env.FORESIGHT_PROCESSOR_GROUP}-ex2`,
    });
    assert.equal(a.status, 0, a.stderr);
    const lines = a.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'the redelivered alert is printed once');
    assert.match(lines[0], new RegExp(`^CRITICAL shop/Deployment/checkout cpu_utilization=97\\.5 at .* \\(score 0\\.999 ≥ 0\\.95\\) \\[${alert.id}\\]$`));

    const bad = runExample('alerts-consumer.js', ['--min-severity', 'LOUD'], common);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--min-severity: expected one of INFO, WARNING, CRITICAL/);
  });
});
