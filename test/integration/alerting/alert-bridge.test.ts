/**
 * The alert bridge on the real stack with a real Alertmanager: an anomaly alert on alerts.v1
 * arrives in Alertmanager once (also when it is delivered twice and when the bridge restarts
 * and consumes the topic again), with its labels and annotations; what cannot be decoded is
 * dead-lettered and does not hold back the alerts behind it. The bridge's span links to the
 * producer's span named in the alert's traceparent header.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AnomalyAlert, DeadLetter } from '../../../src/codec/generated-types.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { startAlertmanager, type TestAlertmanager } from '../../helpers/alertmanager.js';
import { startCli } from '../../helpers/cli.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { startOtlpReceiver } from '../../helpers/otlp-receiver.js';
import { testCodec } from '../../helpers/produce.js';

function anomaly(id: string, eventTime: number): AnomalyAlert {
  return {
    id,
    severity: 'WARNING',
    cluster: 'prod-eu',
    namespace: 'shop',
    kind: 'Deployment',
    name: 'checkout',
    container: null,
    metric: 'cpu_utilization',
    eventTime,
    value: 97.5,
    score: 0.993,
    threshold: 0.95,
    window: { start: eventTime - 3_600_000, end: eventTime, count: 60, mean: 41.2, min: 30, max: 97.5, p95: 55 },
    modelVersion: 'anomaly-test',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    budget: null,
  };
}

describe('alert bridge → Alertmanager', () => {
  let am: TestAlertmanager;
  before(async () => {
    am = await startAlertmanager();
  });
  after(async () => {
    await am?.stop();
  });

  it('posts each alert once, with labels and annotations; dead-letters what it cannot decode', async () => {
    const env = testEnv({ FORESIGHT_ALERTMANAGER_URL: am.url, FORESIGHT_ALERT_BRIDGE_GROUP: `bridge-${Date.now()}` });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics);
    const producer = kafka.producer();
    await producer.connect();
    const now = Date.now();
    const a = anomaly(`anom-${now}`, now - 60_000);
    const b = anomaly(`anom-${now}-b`, now - 30_000);
    const key = 'shop/Deployment/checkout';
    // the same alert twice (a redelivery), a message that is not an alert, then another alert
    // carrying the processor span's trace context in its header, as the processor sends it
    const producerSpan = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    await producer.send({
      topic: cfg.topics.alerts,
      acks: -1,
      messages: [
        { key, value: codec.encode('AnomalyAlert', a) },
        { key, value: codec.encode('AnomalyAlert', a) },
        { key, value: Buffer.from('{"not":"avro"}') },
        { key, value: codec.encode('AnomalyAlert', b), headers: { traceparent: `00-${producerSpan.traceId}-${producerSpan.spanId}-01` } },
      ],
    });
    await producer.disconnect();

    const ours = async (): Promise<Awaited<ReturnType<TestAlertmanager['alerts']>>> =>
      (await am.alerts()).filter((x) => x.labels.alert_id?.startsWith(`anom-${now}`));
    const otlp = await startOtlpReceiver();
    const bridge = startCli(['alert-bridge'], { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });
    try {
      await bridge.waitForOutput('alerts posted to Alertmanager', 60_000);
      for (let i = 0; i < 50 && (await ours()).length < 2; i++) await new Promise((r) => setTimeout(r, 200));
    } finally {
      bridge.child.kill('SIGTERM');
      assert.equal(await bridge.exited, 0, bridge.output().slice(-2000));
      await otlp.close();
    }
    // the bridge's batch span links to the span that published the alert (one trace from event to Alertmanager)
    const bridgeSpans = otlp.spans.filter((x) => x.service === 'foresight-alert-bridge' && x.name === `process ${cfg.topics.alerts}`);
    assert.ok(
      bridgeSpans.some((x) => x.links.some((l) => l.traceId === producerSpan.traceId && l.spanId === producerSpan.spanId)),
      JSON.stringify(otlp.spans),
    );
    let got = await ours();
    assert.deepEqual(got.map((x) => x.labels.alert_id).sort(), [a.id, b.id].sort(), 'each alert once');
    const first = got.find((x) => x.labels.alert_id === a.id)!;
    assert.deepEqual(
      {
        alertname: first.labels.alertname,
        kind: first.labels.kind,
        severity: first.labels.severity,
        namespace: first.labels.namespace,
        workload: first.labels.workload,
        cluster: first.labels.cluster,
        metric: first.labels.metric,
      },
      {
        alertname: 'ForesightAnomaly',
        kind: 'anomaly',
        severity: 'warning',
        namespace: 'shop',
        workload: 'Deployment/checkout',
        cluster: 'prod-eu',
        metric: 'cpu_utilization',
      },
    );
    assert.match(first.annotations.explanation, /scored the point at .* 0\.993, above the policy threshold 0\.95/);
    assert.equal(first.annotations.traceparent, a.traceparent);
    assert.equal(new Date(first.startsAt).getTime(), a.eventTime);

    const dead = await Promise.all((await readTopic(kafka, cfg.topics.deadletter)).map((d) => codec.decode<DeadLetter>(d.message.value, 'DeadLetter')));
    assert.deepEqual(
      dead.map((d) => [d.reason, d.service]),
      [['undecodable', 'alert-bridge']],
    );

    // a restarted bridge in a new group consumes the whole topic again: still one alert per id
    const again = startCli(['alert-bridge'], { ...env, FORESIGHT_ALERT_BRIDGE_GROUP: `${env.FORESIGHT_ALERT_BRIDGE_GROUP}-2` });
    try {
      await again.waitForOutput('alerts posted to Alertmanager', 60_000);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
    got = await ours();
    assert.deepEqual(got.map((x) => x.labels.alert_id).sort(), [a.id, b.id].sort(), 'redelivery adds no alert');
  });
});
