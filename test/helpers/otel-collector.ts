/**
 * A real OpenTelemetry Collector for one test: otelcol-foresight (built from
 * examples/otel-collector/otelcol-foresight by scripts/install.sh, in the background) run with
 * the example configuration as it is, on free ports, exporting to the test's Kafka topic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/util/paths.js';
import { waitFor } from '../../src/util/retry.js';
import { freePort } from './net.js';

export const COLLECTOR_BIN = path.join(PROJECT_ROOT, '.tools', 'bin', 'otelcol-foresight');
export const COLLECTOR_CONFIG = path.join(PROJECT_ROOT, 'examples', 'otel-collector', 'config.yaml');
/** scripts/install.sh: present while its background build runs; the build's output */
const BUILDING = path.join(PROJECT_ROOT, '.tools', 'otelcol-foresight.building');
const BUILD_LOG = path.join(PROJECT_ROOT, '.tools', 'otelcol-foresight.build.log');

export interface TestCollector {
  /** base URL of the OTLP/HTTP receiver (POST /v1/metrics) */
  otlpHttp: string;
  /** the Collector's own metrics (Prometheus text) */
  metricsUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/** Waits for scripts/install.sh's background build (a cold build takes minutes), then says what is missing, if anything. */
export async function collectorBinary(): Promise<string> {
  const building = (): boolean => {
    if (!existsSync(BUILDING)) return false;
    try {
      process.kill(Number(readFileSync(BUILDING, 'utf8')), 0); // the build's process is alive
      return true;
    } catch {
      return false;
    }
  };
  if (building()) await waitFor(async () => !building(), 15 * 60_000, 1000);
  if (!existsSync(COLLECTOR_BIN)) {
    const log = existsSync(BUILD_LOG) ? `\nbuild log (${BUILD_LOG}):\n${readFileSync(BUILD_LOG, 'utf8').slice(-2000)}` : '';
    throw new Error(`${COLLECTOR_BIN} is missing: scripts/install.sh builds it (Go and the Go module proxy needed)${log}`);
  }
  return COLLECTOR_BIN;
}

export async function startCollector(kafka: { brokers: string; topic: string }): Promise<TestCollector> {
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    KAFKA_BROKERS: kafka.brokers,
    KAFKA_TOPIC: kafka.topic,
    OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
    OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
    OTELCOL_METRICS_HOST: '127.0.0.1',
    OTELCOL_METRICS_PORT: String(metrics),
    OTELCOL_BATCH_TIMEOUT: '200ms',
  };
  const child: ChildProcess = spawn(await collectorBinary(), ['--config', COLLECTOR_CONFIG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const ready = await waitFor(
    async () => {
      if (child.exitCode !== null) return true;
      return out.includes('Everything is ready');
    },
    30_000,
    100,
  );
  if (!ready || child.exitCode !== null) {
    await stop();
    throw new Error(`the Collector did not start:\n${out.slice(-3000)}`);
  }
  return { otlpHttp: `http://127.0.0.1:${http}`, metricsUrl: `http://127.0.0.1:${metrics}/metrics`, output: () => out, stop };
}
