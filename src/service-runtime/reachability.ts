/**
 * Whether Kafka, the schema registry and Redis answer at all, asked before any client is
 * made: a plain TCP connection to each configured address, a few seconds at most. Without it a
 * command run against a stack that is not there sits through kafkajs's and ioredis's own
 * retries (about 94 s) and ends in a bare stack trace. A one-shot command (report, replay,
 * export-history, bench) stops at once with one line naming what did not answer, where, and
 * how to point it at the stack (requireReachable); a long-running service says what it waits
 * for, then how long it has waited, until everything answers (waitForStack). Once started,
 * the clients' own reconnection handles a stack that goes away and comes back.
 *
 * Only reachability is decided here: a port that accepts connections but speaks something
 * else, or refuses the credentials, is reported by the client itself (auth-failure.ts).
 */
import { connect } from 'node:net';
import { loadConfig, type ServiceConfig } from '../config/config.js';
import type { Logger } from '../telemetry/log.js';
import { runningStacks } from '../local-stack/stack-config.js';
import { stackEnv } from '../local-stack/stack-env.js';
import { ForesightError, type ErrorCode } from '../util/errors.js';
import { sleep } from '../util/retry.js';

export type StackService = 'kafka' | 'registry' | 'redis';

export interface Endpoint {
  service: StackService;
  /** as a user names it: Kafka, the schema registry, Redis */
  label: string;
  /** the address as configured, without credentials */
  address: string;
  /** the variable that sets it */
  variable: string;
  /** the host:port pairs; the service is reachable when one of them accepts a connection (Kafka's bootstrap list, a cluster's seed nodes) */
  targets: { host: string; port: number }[];
  /** over TLS: the hint names the secured local stack (`stack up --secure`) */
  tls: boolean;
}

export interface Unreachable {
  endpoint: Endpoint;
  /** why, in words: connection refused, host not found, no answer within 3 s, … */
  reason: string;
}

const CODES: Record<StackService, ErrorCode> = { kafka: 'KAFKA_UNAVAILABLE', registry: 'REGISTRY_UNAVAILABLE', redis: 'REDIS_UNAVAILABLE' };
const PROBE_TIMEOUT_MS = 3_000;

/** "[::1]:9092" or "kafka:9092" as host and port. */
function hostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(text.slice(i + 1)) };
}

/** The host and port of a URL, the scheme's default port when it names none. */
function urlTarget(url: URL, defaultPort: number): { host: string; port: number } {
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : defaultPort };
}

/** The configured addresses of the services asked for, in the order given. */
export function endpointsOf(cfg: ServiceConfig, services: readonly StackService[]): Endpoint[] {
  return services.map((service): Endpoint => {
    if (service === 'kafka') {
      return {
        service,
        label: 'Kafka',
        address: cfg.kafka.brokers.join(','),
        variable: 'FORESIGHT_KAFKA_BROKERS',
        targets: cfg.kafka.brokers.map(hostPort),
        tls: cfg.kafka.security?.tls !== undefined,
      };
    }
    if (service === 'registry') {
      const url = new URL(cfg.registry.url);
      const target = urlTarget(url, url.protocol === 'https:' ? 443 : 80);
      return {
        service,
        label: 'the schema registry',
        address: `${url.origin}${url.pathname}`,
        variable: 'FORESIGHT_SCHEMA_REGISTRY_URL',
        targets: [target],
        tls: url.protocol === 'https:',
      };
    }
    const url = new URL(cfg.redis.url);
    if (cfg.redis.clusterNodes) {
      const nodes = cfg.redis.clusterNodes;
      return {
        service,
        label: 'the Redis Cluster',
        address: nodes.map((n) => `${n.host}:${n.port}`).join(','),
        variable: 'FORESIGHT_REDIS_CLUSTER_NODES',
        targets: nodes,
        tls: url.protocol === 'rediss:',
      };
    }
    const target = urlTarget(url, 6379);
    return {
      service,
      label: 'Redis',
      address: `${url.protocol}//${url.host}`,
      variable: 'FORESIGHT_REDIS_URL',
      targets: [target],
      tls: url.protocol === 'rediss:',
    };
  });
}

/** Why a TCP connection to host:port fails, or undefined when it is accepted (and closed at once). */
export function probe(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(describeSocketError(err)));
  });
}

/** A socket error as a user reads it; the code itself when it is none of the usual ones. */
export function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      return err.code ?? err.message;
  }
}

/** The endpoints none of whose targets accepts a connection, each with the first target's reason. All are probed at once. */
export async function unreachable(endpoints: Endpoint[], timeoutMs = PROBE_TIMEOUT_MS): Promise<Unreachable[]> {
  const results = await Promise.all(
    endpoints.map(async (endpoint) => {
      const reasons = await Promise.all(endpoint.targets.map((t) => probe(t.host, t.port, timeoutMs)));
      return reasons.some((r) => r === undefined) ? undefined : { endpoint, reason: reasons[0]! };
    }),
  );
  return results.filter((r): r is Unreachable => r !== undefined);
}

function joinWords(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** "Kafka at 127.0.0.1:9092 (connection refused) and Redis at redis://127.0.0.1:6379 (connection refused)". */
export function describeUnreachable(down: Unreachable[]): string {
  return joinWords(down.map((d) => `${d.endpoint.label} at ${d.endpoint.address} (${d.reason})`));
}

/** A local stack of this checkout that runs: the flag that selects it and the client variables `stack env` prints for it. */
export interface RunningStack {
  flag: string;
  env: Record<string, string>;
}

/** This checkout's local stacks that run now, as `stack env` describes them. */
export function runningLocalStacks(env: NodeJS.ProcessEnv = process.env): RunningStack[] {
  return runningStacks(env).map(({ flag, cfg }) => ({ flag, env: stackEnv(cfg) }));
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);
const portsOf = (e: Endpoint): string =>
  e.targets
    .map((t) => t.port)
    .sort((a, b) => a - b)
    .join(',');

/** A running local stack's address of the service, as an endpoint (undefined when its variables do not load). */
function endpointOfStack(r: RunningStack, service: StackService): Endpoint | undefined {
  try {
    return endpointsOf(loadConfig(r.env), [service])[0];
  } catch {
    return undefined;
  }
}

/**
 * What to do about it. Only for addresses on this machine is the local stack the answer: when
 * one of this checkout's local stacks runs on other ports than the unreachable ones (a stack
 * moved to other ports, and a shell without its variables), take its variables; otherwise start
 * the local stack, or point the variables at the running one. For an address elsewhere, check
 * the address and the way to it.
 */
export function stackHint(down: Unreachable[], running: RunningStack[] = []): string {
  const variables = joinWords([...new Set(down.map((d) => d.endpoint.variable))]);
  if (!down.every((d) => d.endpoint.targets.every((t) => isLoopback(t.host)))) {
    const many = down.length > 1;
    return `check that ${variables} ${many ? 'name the right addresses' : 'names the right address'} and that this machine can reach ${many ? 'them' : 'it'} (network, VPN, firewall, TLS settings)`;
  }
  for (const r of running) {
    const moved = down
      .map((d) => endpointOfStack(r, d.endpoint.service))
      .filter((e, i): e is Endpoint => e !== undefined && portsOf(e) !== portsOf(down[i].endpoint));
    if (moved.length > 0) {
      return `this checkout's stack runs at ${moved.map((e) => e.address).join(', ')}: take its addresses with eval "$(npx foresight stack env${r.flag})" in this shell, then run the command again`;
    }
  }
  const secure = down.some((d) => d.endpoint.tls) ? ' --secure' : '';
  return `is the stack up? Start it with "npx foresight stack up${secure}" or point ${variables} at it (see "npx foresight stack env${secure}")`;
}

/** The one error for services that do not answer: what, where, why, and what to do (not retriable: waiting is the services' choice). */
export function unreachableError(down: Unreachable[], running: RunningStack[] = []): ForesightError {
  return new ForesightError(CODES[down[0].endpoint.service], `cannot reach ${describeUnreachable(down)} — ${stackHint(down, running)}`);
}

/**
 * Stops with one error naming every service asked for that does not answer (`running`: this
 * checkout's local stacks that run, read from their folders when not given).
 */
export async function requireReachable(
  cfg: ServiceConfig,
  services: readonly StackService[],
  timeoutMs = PROBE_TIMEOUT_MS,
  running?: RunningStack[],
): Promise<void> {
  const down = await unreachable(endpointsOf(cfg, services), timeoutMs);
  if (down.length > 0) throw unreachableError(down, running ?? runningLocalStacks());
}

export interface WaitOptions {
  /** between two probes (default 1 s) */
  pollMs?: number;
  /** between two "still waiting" lines (default 15 s) */
  progressEveryMs?: number;
  timeoutMs?: number;
  /** told what is still awaited after each probe that finds something down (the readiness endpoint's reason) */
  onWaiting?: (what: string) => void;
  /** this checkout's local stacks that run (for the hint; read from their folders when not given) */
  running?: RunningStack[];
}

/**
 * Returns once every service asked for accepts a connection. While one does not, logs one
 * line saying what it waits for and why, then a progress line every `progressEveryMs`, and
 * one when everything answers. Returns at once, silently, when everything already answers.
 */
export async function waitForStack(cfg: ServiceConfig, services: readonly StackService[], log: Logger, opts: WaitOptions = {}): Promise<void> {
  const { pollMs = 1_000, progressEveryMs = 15_000, timeoutMs = PROBE_TIMEOUT_MS } = opts;
  const endpoints = endpointsOf(cfg, services);
  const started = Date.now();
  let down = await unreachable(endpoints, timeoutMs);
  if (down.length === 0) return;
  opts.onWaiting?.(describeUnreachable(down));
  log.warn(`waiting for ${describeUnreachable(down)} — ${stackHint(down, opts.running ?? runningLocalStacks())}; retrying every ${pollMs / 1000} s`);
  let lastProgress = Date.now();
  while (down.length > 0) {
    await sleep(pollMs);
    down = await unreachable(
      down.map((d) => d.endpoint),
      timeoutMs,
    ); // only what is still down: a probe of a TLS listener that answers is an aborted handshake in its log
    if (down.length > 0) opts.onWaiting?.(describeUnreachable(down));
    if (down.length > 0 && Date.now() - lastProgress >= progressEveryMs) {
      lastProgress = Date.now();
      log.warn(`still waiting for ${describeUnreachable(down)} after ${Math.round((Date.now() - started) / 1000)} s`);
    }
  }
  const all = joinWords(endpoints.map((e) => `${e.label} at ${e.address}`));
  log.info(`${all} answer${endpoints.length === 1 ? 's' : ''} after ${Math.round((Date.now() - started) / 1000)} s; starting`);
}
