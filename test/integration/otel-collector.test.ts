/**
 * The OpenTelemetry Collector recipe (examples/otel-collector/config.yaml) with a real Collector
 * (otelcol-foresight: the otlp receiver, the batch processor and the contrib kafka exporter):
 * OTLP/HTTP in → Kafka (`otlp_proto`, one record per resource, keyed by its attributes' hash) →
 * the processor reading the topic as `otlp-proto` → windows in Redis under each workload's
 * identity. The records on the wire are checked against src/codec/otlp.ts first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { Redis } from 'ioredis';
import type { MetricSample } from '../../src/codec/generated-types.js';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/codec/otlp.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { waitFor } from '../../src/util/retry.js';
import { testConfig, testEnv } from '../helpers/env.js';
import { readTopic, testKafka } from '../helpers/kafka.js';
import { collectorBinary, startCollector } from '../helpers/otel-collector.js';
import { PROJECT_ROOT } from '../../src/util/paths.js';
import { runProcessorUntil } from '../helpers/processor.js';
import { appliedPerSeries, totalApplied } from '../helpers/windows.js';

const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

const attr = (key: string, value: string): unknown => ({ key, value: { stringValue: value } });
const nanos = (ms: number): string => String(BigInt(ms) * 1_000_000n);

describe('OpenTelemetry Collector recipe', () => {
  it('OTLP/HTTP → Collector → Kafka (otlp_proto) → processor → windows of the right workloads', async () => {
    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '2' });
    const topic = `${testConfig(env).topics.metrics}.otlp`;
    env.FORESIGHT_INPUTS = `${topic}=otlp-proto`;
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    await ensureTopics(kafka, cfg.topics, cfg.ingest.inputs.keys());

    // two resources in one request, as an SDK or an upstream Collector sends them: a Deployment's
    // container with a gauge, and a StatefulSet's pod (no workload attribute) with a histogram
    const t0 = Date.now() - 10 * 60_000;
    const cpu = Array.from({ length: 10 }, (_, i) => ({ timeMs: t0 + i * 15_000, value: 0.25 + i / 8 }));
    const latency = Array.from({ length: 3 }, (_, i) => ({ timeMs: t0 + i * 60_000, count: 4, sum: 2 + i, max: 1.5 + i }));
    const request = {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              attr('k8s.cluster.name', 'otel'),
              attr('k8s.namespace.name', 'shop'),
              attr('k8s.deployment.name', 'web'),
              attr('k8s.container.name', 'app'),
            ],
          },
          scopeMetrics: [
            { metrics: [{ name: 'cpu_usage', unit: '{cpu}', gauge: { dataPoints: cpu.map((p) => ({ timeUnixNano: nanos(p.timeMs), asDouble: p.value })) } }] },
          ],
        },
        {
          resource: { attributes: [attr('k8s.cluster.name', 'otel'), attr('k8s.namespace.name', 'ml'), attr('k8s.pod.name', 'vllm-0')] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'request_latency',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 1, // delta
                    dataPoints: latency.map((p) => ({
                      startTimeUnixNano: nanos(p.timeMs - 60_000),
                      timeUnixNano: nanos(p.timeMs),
                      count: p.count,
                      sum: p.sum,
                      max: p.max,
                      bucketCounts: [p.count],
                      explicitBounds: [],
                    })),
                  },
                },
              ],
            },
          ],
        },
      ],
    };

    // a comma-separated broker list as users write it; its first seed answers nothing, the Collector moves on
    const collector = await startCollector({ brokers: ['127.0.0.1:1', ...cfg.kafka.brokers].join(','), topic });
    let records: Awaited<ReturnType<typeof readTopic>>;
    try {
      const res = await fetch(`${collector.otlpHttp}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array(encodeOtlpProto(request)),
      });
      assert.equal(res.status, 200, await res.text());
      const admin = kafka.admin();
      await admin.connect();
      try {
        const count = async (): Promise<number> => (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high), 0);
        assert.ok(await waitFor(async () => (await count()) >= 2, 30_000, 200), `the Collector wrote nothing to ${topic}:\n${collector.output().slice(-3000)}`);
      } finally {
        await admin.disconnect();
      }
      records = await readTopic(kafka, topic);
    } finally {
      await collector.stop();
    }

    // on the wire: one record per resource, keyed by a 16-byte hash of its attributes, no headers,
    // each value an ExportMetricsServiceRequest of that resource alone (src/codec/otlp.ts decodes it)
    assert.equal(records.length, 2, 'one record per resource');
    for (const r of records) {
      assert.equal(r.message.key?.length, 16, 'key: the hash of the resource attributes');
      assert.deepEqual(Object.keys(r.message.headers ?? {}), [], 'no headers');
    }
    const decoded = records.map((r) => decodeOtlpProto(r.message.value));
    assert.deepEqual(decoded.map((s) => s.length).sort(), [10, 6]);
    const samples: MetricSample[] = decoded.flat();
    const web = samples.filter((s) => s.metric === 'cpu_usage');
    assert.deepEqual(
      web.map((s) => [s.cluster, s.namespace, s.kind, s.name, s.container, s.unit, s.value, s.eventTime]),
      cpu.map((p) => ['otel', 'shop', 'Deployment', 'web', 'app', '{cpu}', p.value, p.timeMs]),
    );
    const vllm = samples.filter((s) => s.metric.startsWith('request_latency'));
    assert.deepEqual(
      vllm.map((s) => [s.namespace, s.kind, s.name, s.container, s.metric, s.value, s.eventTime]),
      latency.flatMap((p) => [
        ['ml', 'StatefulSet', 'vllm', null, 'request_latency', p.sum / p.count, p.timeMs],
        ['ml', 'StatefulSet', 'vllm', null, 'request_latency.max', p.max, p.timeMs],
      ]),
    );

    // the processor reads the Collector's topic as otlp-proto: windows per workload series
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length, 60_000);
    const applied = await appliedPerSeries(redis, cfg.redis.keyPrefix);
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    assert.deepEqual(Object.fromEntries([...applied.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.count])), {
      'otel/ml/StatefulSet/vllm/-/request_latency': 3,
      'otel/ml/StatefulSet/vllm/-/request_latency.max': 3,
      'otel/shop/Deployment/web/app/cpu_usage': 10,
    });
    assert.ok(Math.abs(applied.get('otel/shop/Deployment/web/app/cpu_usage')!.sum - sum(cpu.map((p) => p.value))) < 1e-9);
  });

  it("docker-compose's Collector: its traces configuration merged with the recipe is valid and runs both pipelines", async () => {
    const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { command: string[]; volumes: string[]; environment: Record<string, string> }>;
    };
    const svc = compose.services['otel-collector'];
    const hostPath = new Map(svc.volumes.map((v) => [v.split(':')[1], path.join(PROJECT_ROOT, v.split(':')[0])]));
    const args = svc.command.flatMap((c) => ['--config', hostPath.get(c.replace('--config=', ''))!]);
    assert.equal(args.length, 4, 'the traces configuration and the recipe');
    const env = { ...process.env, ...svc.environment };
    const bin = await collectorBinary();
    execFileSync(bin, ['validate', ...args], { env, stdio: 'pipe' });
    const merged = parse(execFileSync(bin, ['print-config', ...args], { env, encoding: 'utf8' }).replace(/^.*?(?=^\w)/ms, '')) as {
      service: { pipelines: Record<string, { exporters: string[] }> };
      exporters: { kafka: { brokers: string[]; metrics: { topic: string } } };
    };
    assert.deepEqual(merged.service.pipelines.traces.exporters, ['debug']);
    assert.deepEqual(merged.service.pipelines.metrics.exporters, ['kafka']);
    assert.deepEqual(merged.exporters.kafka.brokers, ['kafka:9092']);
    assert.equal(merged.exporters.kafka.metrics.topic, 'metrics-otlp.v1');
  });
});
