/**
 * docker-compose.yml cannot run on a machine without Docker; this keeps it honest: it parses,
 * has the services the README promises, and every FORESIGHT_ and OTEL_EXPORTER_ variable it sets on our
 * services is one the configuration declares, with a value the configuration accepts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ALL_VARIABLES, loadAlertBridgeConfig, loadCommitterConfig, loadConfig } from '../../../src/config/index.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';

interface Compose {
  services: Record<string, { environment?: Record<string, string>; command?: string[]; build?: unknown; volumes?: string[] }>;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as Compose;
  const known = new Set<string>(ALL_VARIABLES.map((v) => v.name));

  it('has the stack and both services', () => {
    for (const s of ['kafka', 'registry', 'redis', 'otel-collector', 'prometheus', 'alertmanager', 'grafana', 'processor', 'committer', 'alert-bridge'])
      assert.ok(compose.services[s], s);
    assert.deepEqual(compose.services.processor.command, ['processor']);
    assert.deepEqual(compose.services.committer.command, ['committer']);
    assert.deepEqual(compose.services['alert-bridge'].command, ['alert-bridge']);
  });

  for (const service of ['processor', 'committer', 'alert-bridge']) {
    it(`${service}: every variable is declared and valid`, () => {
      const env = compose.services[service].environment ?? {};
      const ours = Object.keys(env).filter((k) => k.startsWith('FORESIGHT_') || k.startsWith('OTEL_EXPORTER_'));
      assert.ok(ours.length >= 4);
      for (const k of ours) assert.ok(known.has(k), `${service} sets ${k}, which the configuration does not declare`);
      const cfg = loadConfig(env);
      assert.equal(cfg.telemetry.httpHost, '0.0.0.0');
      if (service === 'committer') assert.equal(loadCommitterConfig(env).local?.remote, '/gitops/gitops.git');
      if (service === 'alert-bridge') assert.equal(loadAlertBridgeConfig(env).alertmanagerUrl, 'http://alertmanager:9093');
    });
  }

  it("the Collector's metrics recipe writes to a topic the processor reads as otlp-proto, on the processor's Kafka", () => {
    const collector = compose.services['otel-collector'];
    assert.ok(collector.volumes?.some((v) => v.startsWith('./examples/otel-collector/config.yaml:')));
    const processor = loadConfig(compose.services.processor.environment ?? {});
    assert.equal(processor.ingest.inputs.get(collector.environment!.KAFKA_TOPIC), 'otlp-proto');
    assert.deepEqual(processor.kafka.brokers, collector.environment!.KAFKA_BROKERS.split(','));
    assert.equal(processor.ingest.inputs.get(processor.topics.metrics), 'avro-metric', 'replays and the demo still write Avro to metrics.v1');
  });

  it('mounts files that exist, and named volumes that are declared', () => {
    const named = new Set(Object.keys((compose as Compose & { volumes?: Record<string, unknown> }).volumes ?? {}));
    for (const s of Object.values(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('.') || source.startsWith('/')) assert.ok(existsSync(path.join(PROJECT_ROOT, source)), v);
        else assert.ok(named.has(source), `${v}: volume ${source} is not declared`);
      }
    }
    assert.ok(existsSync(path.join(PROJECT_ROOT, 'Dockerfile')));
  });
});
