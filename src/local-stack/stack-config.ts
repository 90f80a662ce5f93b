/**
 * Where and on which ports the local stack runs. Each value comes from a command-line flag,
 * else an environment variable, else — for a port, while the stack folder's services run — the
 * port `stack up` started them on (run/ports.json), else the default. So `stack status`, `stack
 * env`, `stack down` and the demo find a stack moved to other ports from a fresh shell too.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { envVar, port, readVar, type Env, type EnvVar } from '../config/env.js';
import { ForesightError } from '../util/errors.js';
import { PROJECT_ROOT } from '../util/paths.js';
import { isOurs, readPidFile } from './processes.js';

export const STACK_DIR = envVar(
  'FORESIGHT_STACK_DIR',
  z.string().min(1),
  path.join(PROJECT_ROOT, '.foresight', 'stack'),
  'a directory path',
  "Root of the local stack's data, logs and pid files.",
);
export const STACK_CLUSTER_DIR = envVar(
  'FORESIGHT_STACK_CLUSTER_DIR',
  z.string().min(1),
  path.join(PROJECT_ROOT, '.foresight', 'stack-cluster'),
  'a directory path',
  "Root of the stack with a Redis Cluster (`stack up --redis-cluster`): its nodes' data, logs and pid files; Kafka and the registry already answering on their ports are used, not started again.",
);
export const STACK_DATA_DIR = envVar(
  'FORESIGHT_STACK_DATA_DIR',
  z.string().min(1).optional(),
  undefined,
  'a directory path',
  'Data folder of the local stack (default: $FORESIGHT_STACK_DIR/data).',
);
export const STACK_LOG_DIR = envVar(
  'FORESIGHT_STACK_LOG_DIR',
  z.string().min(1).optional(),
  undefined,
  'a directory path',
  'Log folder of the local stack (default: $FORESIGHT_STACK_DIR/logs).',
);
export const STACK_KAFKA_PORT = envVar('FORESIGHT_STACK_KAFKA_PORT', port.min(1), '9092', 'a TCP port', 'Kafka broker port of the local stack.');
export const STACK_CONTROLLER_PORT = envVar('FORESIGHT_STACK_CONTROLLER_PORT', port.min(1), '9093', 'a TCP port', 'KRaft controller port of the local stack.');
export const STACK_REGISTRY_PORT = envVar(
  'FORESIGHT_STACK_REGISTRY_PORT',
  port.min(1),
  '8081',
  'a TCP port',
  'Schema Registry (Apicurio) port of the local stack.',
);
export const STACK_REDIS_PORT = envVar('FORESIGHT_STACK_REDIS_PORT', port.min(1), '6379', 'a TCP port', 'Redis port of the local stack.');
export const STACK_REDIS_CLUSTER_PORT = envVar(
  'FORESIGHT_STACK_REDIS_CLUSTER_PORT',
  port.min(1).max(55533),
  '7001',
  'a TCP port up to 55533',
  'First port of the local Redis Cluster (`stack up --redis-cluster`): its three masters listen on it and the next two, their cluster bus on each port + 10000.',
);

// The secured stack (`--secure`) runs beside the plain one: its own folder and ports, so both can be up at once.
export const STACK_SECURE_DIR = envVar(
  'FORESIGHT_STACK_SECURE_DIR',
  z.string().min(1),
  path.join(PROJECT_ROOT, '.foresight', 'stack-secure'),
  'a directory path',
  'Root of the secured local stack (`stack up --secure`): data, logs, pid files, its CA, keystores and generated passwords.',
);
export const STACK_SECURE_KAFKA_PORT = envVar(
  'FORESIGHT_STACK_SECURE_KAFKA_PORT',
  port.min(1),
  '19092',
  'a TCP port',
  "SASL_SSL listener of the secured stack's Kafka.",
);
export const STACK_SECURE_CONTROLLER_PORT = envVar(
  'FORESIGHT_STACK_SECURE_CONTROLLER_PORT',
  port.min(1),
  '19093',
  'a TCP port',
  'KRaft controller port of the secured stack (plaintext, loopback only).',
);
export const STACK_SECURE_REGISTRY_PORT = envVar(
  'FORESIGHT_STACK_SECURE_REGISTRY_PORT',
  port.min(1),
  '18081',
  'a TCP port',
  "HTTPS port of the secured stack's Schema Registry.",
);
export const STACK_SECURE_REDIS_PORT = envVar(
  'FORESIGHT_STACK_SECURE_REDIS_PORT',
  port.min(1),
  '16380',
  'a TCP port',
  "TLS port of the secured stack's Redis (it has no plaintext port).",
);

// `stack up --observability`: Prometheus and Alertmanager (Debian's) beside the stack
export const STACK_PROMETHEUS_PORT = envVar(
  'FORESIGHT_STACK_PROMETHEUS_PORT',
  port.min(1),
  '9090',
  'a TCP port',
  'Prometheus port of the local stack (with --observability).',
);
export const STACK_ALERTMANAGER_PORT = envVar(
  'FORESIGHT_STACK_ALERTMANAGER_PORT',
  port.min(1),
  '9094',
  'a TCP port',
  "Alertmanager port of the local stack (with --observability; not 9093, the KRaft controller's).",
);

export const STACK_VARIABLES = [
  STACK_DIR,
  STACK_CLUSTER_DIR,
  STACK_DATA_DIR,
  STACK_LOG_DIR,
  STACK_KAFKA_PORT,
  STACK_CONTROLLER_PORT,
  STACK_REGISTRY_PORT,
  STACK_REDIS_PORT,
  STACK_REDIS_CLUSTER_PORT,
  STACK_SECURE_DIR,
  STACK_SECURE_KAFKA_PORT,
  STACK_SECURE_CONTROLLER_PORT,
  STACK_SECURE_REGISTRY_PORT,
  STACK_SECURE_REDIS_PORT,
  STACK_PROMETHEUS_PORT,
  STACK_ALERTMANAGER_PORT,
] as const;

export interface StackConfig {
  dir: string;
  dataDir: string;
  logDir: string;
  runDir: string;
  kafkaPort: number;
  controllerPort: number;
  registryPort: number;
  redisPort: number;
  /** a Redis Cluster of three masters (redis-cluster.ts) instead of the single Redis */
  redisCluster: boolean;
  /** the cluster's first port; its masters listen on it and the next two */
  redisClusterPort: number;
  /** TLS everywhere, SASL/SCRAM for Kafka, ACL user for Redis, basic auth for the registry (secure-material.ts) */
  secure: boolean;
  /** also Prometheus (scraping the services, Foresight's rules loaded) and Alertmanager */
  observability: boolean;
  prometheusPort: number;
  alertmanagerPort: number;
}

export interface StackFlags {
  secure?: boolean;
  redisCluster?: boolean;
  redisClusterPort?: number;
  observability?: boolean;
  prometheusPort?: number;
  alertmanagerPort?: number;
  dir?: string;
  dataDir?: string;
  logDir?: string;
  kafkaPort?: number;
  controllerPort?: number;
  registryPort?: number;
  redisPort?: number;
}

export function loadStackConfig(flags: StackFlags = {}, env: Env = process.env): StackConfig {
  if (flags.secure && flags.redisCluster) {
    throw new ForesightError(
      'INPUT_INVALID',
      '--redis-cluster and --secure cannot be combined: the local Redis Cluster is plaintext (the secured stack has one TLS Redis)',
    );
  }
  if (flags.secure) return loadSecureStackConfig(flags, env);
  const dir = path.resolve(flags.dir ?? readVar(flags.redisCluster ? STACK_CLUSTER_DIR : STACK_DIR, env));
  const cfg: StackConfig = {
    dir,
    dataDir: path.resolve(flags.dataDir ?? readVar(STACK_DATA_DIR, env) ?? path.join(dir, 'data')),
    logDir: path.resolve(flags.logDir ?? readVar(STACK_LOG_DIR, env) ?? path.join(dir, 'logs')),
    runDir: path.join(dir, 'run'),
    kafkaPort: flags.kafkaPort ?? readVar(STACK_KAFKA_PORT, env),
    controllerPort: flags.controllerPort ?? readVar(STACK_CONTROLLER_PORT, env),
    registryPort: flags.registryPort ?? readVar(STACK_REGISTRY_PORT, env),
    redisPort: flags.redisPort ?? readVar(STACK_REDIS_PORT, env),
    redisCluster: flags.redisCluster ?? false,
    redisClusterPort: flags.redisClusterPort ?? readVar(STACK_REDIS_CLUSTER_PORT, env),
    secure: false,
    ...observabilityOf(flags, env),
  };
  return withRunningPorts(cfg, (k) => flags[k] !== undefined || isSet(PLAIN_PORT_VARS[k], env));
}

/** The secured stack: the same layout under its own folder, on its own ports (FORESIGHT_STACK_SECURE_*). */
function loadSecureStackConfig(flags: StackFlags, env: Env): StackConfig {
  const dir = path.resolve(flags.dir ?? readVar(STACK_SECURE_DIR, env));
  const vars = SECURE_PORT_VARS;
  const cfg: StackConfig = {
    dir,
    dataDir: path.resolve(flags.dataDir ?? path.join(dir, 'data')),
    logDir: path.resolve(flags.logDir ?? path.join(dir, 'logs')),
    runDir: path.join(dir, 'run'),
    kafkaPort: flags.kafkaPort ?? readVar(STACK_SECURE_KAFKA_PORT, env),
    controllerPort: flags.controllerPort ?? readVar(STACK_SECURE_CONTROLLER_PORT, env),
    registryPort: flags.registryPort ?? readVar(STACK_SECURE_REGISTRY_PORT, env),
    redisPort: flags.redisPort ?? readVar(STACK_SECURE_REDIS_PORT, env),
    redisCluster: false,
    redisClusterPort: readVar(STACK_REDIS_CLUSTER_PORT, env),
    secure: true,
    ...observabilityOf(flags, env),
  };
  return withRunningPorts(cfg, (k) => flags[k] !== undefined || isSet(vars[k], env));
}

type PortKey = 'kafkaPort' | 'controllerPort' | 'registryPort' | 'redisPort' | 'redisClusterPort' | 'prometheusPort' | 'alertmanagerPort';

const PLAIN_PORT_VARS: Record<PortKey, EnvVar<number>> = {
  kafkaPort: STACK_KAFKA_PORT,
  controllerPort: STACK_CONTROLLER_PORT,
  registryPort: STACK_REGISTRY_PORT,
  redisPort: STACK_REDIS_PORT,
  redisClusterPort: STACK_REDIS_CLUSTER_PORT,
  prometheusPort: STACK_PROMETHEUS_PORT,
  alertmanagerPort: STACK_ALERTMANAGER_PORT,
};

const PORTS_FILE = 'ports.json';

/** The secured stack's port variables (its own ports, FORESIGHT_STACK_SECURE_*). */
const SECURE_PORT_VARS: Record<PortKey, EnvVar<number>> = {
  ...PLAIN_PORT_VARS,
  kafkaPort: STACK_SECURE_KAFKA_PORT,
  controllerPort: STACK_SECURE_CONTROLLER_PORT,
  registryPort: STACK_SECURE_REGISTRY_PORT,
  redisPort: STACK_SECURE_REDIS_PORT,
};

function isSet(v: EnvVar<unknown>, env: Env): boolean {
  return (env[v.name] ?? '') !== '';
}

/** True while a service this stack folder started runs (its pid file names a live process of ours). */
function stackRuns(runDir: string): boolean {
  if (!existsSync(runDir)) return false;
  return readdirSync(runDir)
    .filter((f) => f.endsWith('.pid'))
    .some((f) => {
      const rec = readPidFile(path.join(runDir, f));
      return rec !== undefined && isOurs(rec);
    });
}

/** The ports no flag or variable sets: those the folder's running stack was started on, when it runs. */
function withRunningPorts(cfg: StackConfig, explicit: (k: PortKey) => boolean): StackConfig {
  const file = path.join(cfg.runDir, PORTS_FILE);
  if (!existsSync(file) || !stackRuns(cfg.runDir)) return cfg;
  let recorded: Partial<Record<PortKey, unknown>>;
  try {
    recorded = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<PortKey, unknown>>;
  } catch {
    return cfg; // unreadable: the defaults, as before the file existed
  }
  const out = { ...cfg };
  for (const k of Object.keys(PLAIN_PORT_VARS) as PortKey[]) {
    const v = recorded[k];
    if (!explicit(k) && typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536) out[k] = v;
  }
  return out;
}

/**
 * This checkout's local stacks that run now (plain, Redis Cluster, secured), each as `stack
 * env` would describe it, with the flag that selects it: how a client that cannot reach its
 * configured addresses learns that the stack runs elsewhere (reachability.ts).
 */
export function runningStacks(env: Env = process.env): { flag: string; cfg: StackConfig }[] {
  const out: { flag: string; cfg: StackConfig }[] = [];
  for (const [flag, flags] of [
    ['', {}],
    [' --redis-cluster', { redisCluster: true }],
    [' --secure', { secure: true }],
  ] as const) {
    let cfg: StackConfig;
    try {
      cfg = loadStackConfig(flags, env);
    } catch {
      continue; // an invalid stack variable: the client's own error says what is wrong
    }
    if (stackRuns(cfg.runDir)) out.push({ flag, cfg });
  }
  return out;
}

/**
 * Records the ports of a stack about to start (stack.ts stackUp), unless the folder's stack
 * already runs: its services keep the ports they were started on. The ports kept aside by the
 * last `stack down` stay until the start succeeds (portsStarted) or fails (abandonPorts).
 */
export function recordPorts(cfg: StackConfig): void {
  if (stackRuns(cfg.runDir)) return;
  mkdirSync(cfg.runDir, { recursive: true });
  const ports = Object.fromEntries((Object.keys(PLAIN_PORT_VARS) as PortKey[]).map((k) => [k, cfg[k]]));
  writeFileSync(path.join(cfg.runDir, PORTS_FILE), JSON.stringify(ports) + '\n');
}

/** A `stack up` succeeded: its ports are where the folder's stack runs, and the ones kept aside are history. */
export function portsStarted(cfg: StackConfig): void {
  rmSync(path.join(cfg.runDir, LAST_PORTS_FILE), { force: true });
}

/**
 * A `stack up` failed: when none of the folder's services runs, the ports it recorded never ran a stack and are
 * dropped, so that the next `stack up` says where the folder's stack last ran, not where it failed to start.
 */
export function abandonPorts(cfg: StackConfig): void {
  if (!stackRuns(cfg.runDir)) rmSync(path.join(cfg.runDir, PORTS_FILE), { force: true });
}

/**
 * Forgets the recorded ports (stack.ts stackDown): the next `stack up` starts where its flags and variables say. They are
 * kept aside (`last-ports.json`) so that a `stack up` elsewhere can say where the folder's stack last ran (lastPortsHint).
 */
export function forgetPorts(cfg: StackConfig): void {
  const file = path.join(cfg.runDir, PORTS_FILE);
  if (existsSync(file)) renameSync(file, path.join(cfg.runDir, LAST_PORTS_FILE));
}

const LAST_PORTS_FILE = 'last-ports.json';

/**
 * Where a stack about to start on `cfg`'s ports last ran from this folder, when that was elsewhere: a user who moved the
 * ports with variables in one shell and runs `stack up` from another would otherwise start on the defaults (where
 * another stack may answer) without a word. Read from the ports `stack down` kept aside, or from those of a stack that
 * no longer runs (a reboot). The line names the variables that start it there; undefined when the ports are the same
 * or none were kept.
 */
export function lastPortsHint(cfg: StackConfig): string | undefined {
  const recorded = path.join(cfg.runDir, PORTS_FILE);
  const file = existsSync(recorded) && !stackRuns(cfg.runDir) ? recorded : path.join(cfg.runDir, LAST_PORTS_FILE);
  let last: Partial<Record<PortKey, unknown>>;
  try {
    last = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<PortKey, unknown>>;
  } catch {
    return undefined; // none kept (or unreadable): nothing to say
  }
  const vars = cfg.secure ? SECURE_PORT_VARS : PLAIN_PORT_VARS;
  const keys = (['kafkaPort', 'controllerPort', 'registryPort', cfg.redisCluster ? 'redisClusterPort' : 'redisPort'] as PortKey[]).filter(
    (k) => typeof last[k] === 'number' && last[k] !== cfg[k],
  );
  if (keys.length === 0) return undefined;
  const named = (k: PortKey, v: unknown): string => `${k.replace(/Port$/, '').replace('redisCluster', 'Redis Cluster')} ${String(v)}`;
  return (
    `this folder's stack last ran on other ports (${keys.map((k) => named(k, last[k])).join(', ')}; now ${keys.map((k) => named(k, cfg[k])).join(', ')}); ` +
    `to run it there: stack down, then stack up with ${keys.map((k) => `${vars[k].name}=${String(last[k])}`).join(' ')}`
  );
}

function observabilityOf(flags: StackFlags, env: Env): Pick<StackConfig, 'observability' | 'prometheusPort' | 'alertmanagerPort'> {
  return {
    observability: flags.observability ?? false,
    prometheusPort: flags.prometheusPort ?? readVar(STACK_PROMETHEUS_PORT, env),
    alertmanagerPort: flags.alertmanagerPort ?? readVar(STACK_ALERTMANAGER_PORT, env),
  };
}

/** The ports of the local Redis Cluster's three masters. */
export function clusterNodePorts(cfg: Pick<StackConfig, 'redisClusterPort'>): number[] {
  return [0, 1, 2].map((i) => cfg.redisClusterPort + i);
}

/**
 * Every local redis-server: append-only file fsynced each second, no RDB snapshots, loopback only.
 * The file is rewritten when it has grown by 400% since its last rewrite, not Redis's default
 * 100%: the windows' writes grow it ~5 MB/s at 100,000 series, and at 100% a ~3.5 GB Redis
 * forked a rewrite every 30–90 s, each a core busy for ~10 s (README, Scale). The price: up to
 * 5× the rewritten file on disk, and longer to replay at a restart.
 */
export const REDIS_DURABILITY_ARGS = [
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--auto-aof-rewrite-percentage',
  '400',
  '--save',
  '',
  '--protected-mode',
  'yes',
];
