/**
 * `stack up --observability`: Debian's Prometheus and Alertmanager beside the stack.
 *
 * Prometheus scrapes the services' /metrics on this machine (jobs foresight-processor,
 * foresight-committer and foresight-alert-bridge on ports 9464, 9465 and 9466: start each
 * service with that FORESIGHT_HTTP_PORT), loads Foresight's alert rules
 * (deploy/prometheus/foresight-rules.yml) and sends what fires to the Alertmanager started
 * here, which the alert bridge can post to as well.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ForesightError } from '../util/errors.js';
import { PROJECT_ROOT } from '../util/paths.js';
import type { ServiceSpec } from './service-spec.js';
import type { StackConfig } from './stack-config.js';

export const RULES_FILE = path.join(PROJECT_ROOT, 'deploy', 'prometheus', 'foresight-rules.yml');

/** Where the services' /metrics are expected (their FORESIGHT_HTTP_PORT). */
export const SCRAPE_TARGETS = [
  { job: 'foresight-processor', port: 9464 },
  { job: 'foresight-committer', port: 9465 },
  { job: 'foresight-alert-bridge', port: 9466 },
] as const;

function findBinary(names: string[], debianPackage: string): string {
  for (const name of names) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (found.status === 0) return found.stdout.trim();
  }
  throw new ForesightError(
    'STACK_ARTIFACTS_MISSING',
    `${names[0]} is not installed: run \`sudo apt-get install -y ${debianPackage}\` (scripts/install.sh does)`,
  );
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

export function prometheusYaml(cfg: StackConfig): string {
  const jobs = SCRAPE_TARGETS.map((t) => `  - job_name: ${t.job}\n    static_configs: [{ targets: ["127.0.0.1:${t.port}"] }]`).join('\n');
  return `# Written by \`foresight stack up --observability\`; edits are overwritten.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - ${RULES_FILE}
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["127.0.0.1:${cfg.alertmanagerPort}"] }]
scrape_configs:
${jobs}
`;
}

const ALERTMANAGER_YAML = `# Written by \`foresight stack up --observability\`; edits are overwritten.
route:
  receiver: default
  group_by: [alertname, namespace, workload]
  group_wait: 5s
receivers:
  - name: default
`;

export function prometheusSpec(cfg: StackConfig): ServiceSpec {
  const confDir = path.join(cfg.dir, 'conf');
  const address = `http://127.0.0.1:${cfg.prometheusPort}`;
  return {
    name: 'prometheus',
    address,
    logFile: path.join(cfg.logDir, 'prometheus.log'),
    pidFile: path.join(cfg.runDir, 'prometheus.pid'),
    readyTimeoutMs: 30_000,
    ports: [{ port: cfg.prometheusPort, flag: '--prometheus-port' }],
    probe: () => ready(`${address}/-/ready`),
    prepare() {
      const bin = findBinary(['prometheus'], 'prometheus');
      mkdirSync(confDir, { recursive: true });
      const configFile = path.join(confDir, 'prometheus.yml');
      writeFileSync(configFile, prometheusYaml(cfg));
      const storage = path.join(cfg.dataDir, 'prometheus');
      mkdirSync(storage, { recursive: true });
      return {
        cmd: bin,
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${storage}`,
          `--web.listen-address=127.0.0.1:${cfg.prometheusPort}`,
          '--storage.tsdb.retention.time=2d',
        ],
        marker: configFile,
      };
    },
  };
}

export function alertmanagerSpec(cfg: StackConfig): ServiceSpec {
  const confDir = path.join(cfg.dir, 'conf');
  const address = `http://127.0.0.1:${cfg.alertmanagerPort}`;
  return {
    name: 'alertmanager',
    address,
    logFile: path.join(cfg.logDir, 'alertmanager.log'),
    pidFile: path.join(cfg.runDir, 'alertmanager.pid'),
    readyTimeoutMs: 30_000,
    ports: [{ port: cfg.alertmanagerPort, flag: '--alertmanager-port' }],
    probe: () => ready(`${address}/-/ready`),
    prepare() {
      const bin = findBinary(['prometheus-alertmanager', 'alertmanager'], 'prometheus-alertmanager');
      mkdirSync(confDir, { recursive: true });
      const configFile = path.join(confDir, 'alertmanager.yml');
      writeFileSync(configFile, ALERTMANAGER_YAML);
      const storage = path.join(cfg.dataDir, 'alertmanager');
      mkdirSync(storage, { recursive: true });
      return {
        cmd: bin,
        // no HA gossip: one local instance
        args: [
          `--config.file=${configFile}`,
          `--storage.path=${storage}`,
          `--web.listen-address=127.0.0.1:${cfg.alertmanagerPort}`,
          '--cluster.listen-address=',
        ],
        marker: configFile,
      };
    },
  };
}
