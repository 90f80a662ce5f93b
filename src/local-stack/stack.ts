/**
 * `foresight stack up | down | status`: the local stack without Docker.
 *
 * up:     for each service, reuse it when it already answers (ours from a pid file, or an
 *         external one on the same port), else prepare and start it; then wait until each
 *         really answers (and with --redis-cluster, join the masters into one cluster).
 *         Idempotent. A service that fails names itself and its log file.
 * down:   stops only the processes `up` started (pid file + command-line marker); in the
 *         default folder, also scripts/install.sh's background build of otelcol-foresight.
 * status: each service's state and address.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ForesightError, errorMessage } from '../util/errors.js';
import { sleep } from '../util/retry.js';
import { portInUse } from './probes.js';
import { formRedisCluster } from './redis-cluster.js';
import {
  isOurs,
  isRunning,
  listeningPids,
  processGroupOf,
  readPidFile,
  removePidFile,
  spawnDetached,
  stopProcess,
  tailFile,
  fileSize,
  writePidFile,
} from './processes.js';
import { secureVariant } from './secure-services.js';
import type { ServiceName, ServiceSpec } from './service-spec.js';
import { plainVariant, serviceSpecs, type StackVariant } from './services.js';
import { abandonPorts, forgetPorts, lastPortsHint, portsStarted, recordPorts, STACK_DIR, type StackConfig } from './stack-config.js';
import { stopOtelcolBuild } from './otelcol-build.js';
import { PROJECT_ROOT } from '../util/paths.js';

export type ServiceState = 'running' | 'external' | 'stopped' | 'not-answering';

export interface ServiceStatus {
  name: ServiceName;
  state: ServiceState;
  address: string;
  pid?: number;
  logFile: string;
}

type Progress = (msg: string) => void;

function variantOf(cfg: StackConfig): StackVariant {
  return cfg.secure ? secureVariant(cfg) : plainVariant(cfg);
}

export async function stackUp(cfg: StackConfig, progress: Progress = () => undefined): Promise<ServiceStatus[]> {
  for (const d of [cfg.dir, cfg.dataDir, cfg.logDir, cfg.runDir]) mkdirSync(d, { recursive: true });
  const moved = lastPortsHint(cfg);
  if (moved) progress(moved);
  const variant = variantOf(cfg);
  variant.prepare?.(progress);
  const specs = serviceSpecs(cfg, variant);
  // Prepare (artifacts, storage) one at a time, for readable progress; then start all and wait together.
  const started: { spec: ServiceSpec; pid: number; t0: number; fresh: boolean; logFrom?: number }[] = [];
  const statuses: ServiceStatus[] = [];
  for (const spec of specs) {
    const rec = readPidFile(spec.pidFile);
    if (rec && isOurs(rec)) {
      started.push({ spec, pid: rec.pid, t0: Date.now(), fresh: false, logFrom: fileSize(spec.logFile) });
      continue;
    }
    if (rec) removePidFile(spec.pidFile); // stale: the process is gone
    if (await spec.probe()) {
      progress(`${spec.name}: already answering at ${spec.address}; using it (not started from this stack folder, so stack down here leaves it alone)`);
      statuses.push({ name: spec.name, state: 'external', address: spec.address, logFile: spec.logFile });
      continue;
    }
    await checkPortsFree(spec);
    const { cmd, args, marker } = spec.prepare(progress);
    recordPorts(cfg); // before the folder's first service starts (a no-op once one runs)
    const logFrom = fileSize(spec.logFile); // the log is appended to: this start's lines come after
    const pid = spawnDetached(cmd, args, spec.logFile);
    writePidFile(spec.pidFile, { pid, marker, startedAt: new Date().toISOString() });
    progress(`${spec.name}: starting (pid ${pid}, log ${spec.logFile})`);
    started.push({ spec, pid, t0: Date.now(), fresh: true, logFrom });
  }
  const results = await Promise.allSettled(
    started.map(async ({ spec, pid, t0, fresh, logFrom }) => {
      await waitReady(spec, pid, progress, fresh, logFrom);
      progress(`${spec.name}: ready at ${spec.address} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return { name: spec.name, state: 'running' as const, address: spec.address, pid, logFile: spec.logFile };
    }),
  );
  const failures: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') statuses.push(r.value);
    else failures.push(errorMessage(r.reason));
  }
  if (failures.length > 0) {
    // another stack took ports while this one started (both found them free): what this call started is stopped, so
    // that no stack runs half of its services beside the other's half; the next `stack up` finds one whole stack
    const raced = results.some((r) => r.status === 'rejected' && r.reason instanceof PortTakenError);
    if (raced) {
      // every one it started and that still runs (one that timed out waiting for the other stack's Kafka included)
      const mine = started.filter((x) => x.fresh && readPidFile(x.spec.pidFile)?.pid === x.pid);
      for (const { spec } of mine) {
        const rec = readPidFile(spec.pidFile);
        if (rec) await stopProcess(rec, 20_000);
        removePidFile(spec.pidFile);
      }
      const stopped = mine.length > 0 ? ` Stopped what this one started (${mine.map((x) => x.spec.name).join(', ')}).` : '';
      abandonPorts(cfg);
      throw new ForesightError(
        'STACK_START_FAILED',
        `${failures.join('\n\n')}\n\nAnother stack took ports while this one started.${stopped} Run \`stack up\` again (where the other one is up, this one uses its services), or choose other ports.`,
      );
    }
    abandonPorts(cfg);
    throw new ForesightError('STACK_START_FAILED', startFailure(failures, statuses));
  }
  if (cfg.redisCluster) await formRedisCluster(cfg, progress);
  portsStarted(cfg);
  return order(statuses);
}

/**
 * What `stack up` says when a service did not start: each failure, then the services that did
 * start and stay up (a half-started stack), and what brings it back to one state.
 */
export function startFailure(failures: string[], statuses: ServiceStatus[]): string {
  const up = statuses.filter((st) => st.state === 'running').map((st) => st.name);
  if (up.length === 0) return failures.join('\n\n');
  const them = up.length > 1 ? 'them' : 'it';
  return `${failures.join('\n\n')}\n\n${up.join(' and ')} ${up.length > 1 ? 'are' : 'is'} running: \`stack up\` again starts the rest, \`stack down\` stops ${them}`;
}

/**
 * A port held by something that does not answer as this stack's service (another program, or
 * the secured stack of another checkout, whose credentials differ) would make the service
 * exit at start-up with a bind error deep in its log: say so up front.
 */
async function checkPortsFree(spec: ServiceSpec): Promise<void> {
  for (const { port, flag } of spec.ports) {
    if (await portInUse(port)) {
      throw new ForesightError(
        'STACK_START_FAILED',
        `${spec.name}: port ${port} is already in use by a process that is not this stack's ${spec.name} (another program, or a stack of another checkout: \`ss -ltnp\` shows it); stop it, or choose another port with ${flag}`,
      );
    }
  }
}

/** Loading a large data set is progress, not a hang: waited for this long at most (a 3.5 GB Redis takes ~1 minute here). */
const LOADING_LIMIT_MS = 30 * 60_000;

/** A service could not have its port: another stack or program took it while this one started. */
class PortTakenError extends ForesightError {}

/** What a service's log says when it could not bind its port (Kafka's and the registry's Java, Redis). */
const BIND_FAILED = /Address already in use|failed to bind/i;

/**
 * Waits for a service to answer. `logFrom`: where the lines written since this `stack up` began begin in its appended
 * log, so that an earlier run's bind error is not read as this one's.
 */
async function waitReady(spec: ServiceSpec, pid: number, progress: Progress, fresh: boolean, logFrom = 0): Promise<void> {
  const t0 = Date.now();
  let deadline = t0 + spec.readyTimeoutMs;
  let said = 0;
  let seenLoading = false;
  let quietTries = 0;
  for (;;) {
    if (await spec.probe()) {
      await ownsItsPorts(spec, pid, fresh);
      return;
    }
    const rec = readPidFile(spec.pidFile);
    if (!rec || rec.pid !== pid || !isRunning(pid)) {
      removePidFile(spec.pidFile);
      const tail = tailFile(spec.logFile, 15, logFrom);
      throw new (BIND_FAILED.test(tail) ? PortTakenError : ForesightError)(
        'STACK_START_FAILED',
        `${spec.name} exited during start-up (pid ${pid}); see its log ${spec.logFile}:\n${tail}`,
      );
    }
    if (Date.now() > deadline) {
      // loading, or seen loading and not answering yet (between two chunks of its file): on a few tries more
      const loading = Date.now() - t0 < LOADING_LIMIT_MS && spec.loading !== undefined && (await spec.loading());
      if (loading) quietTries = 0;
      if (loading || (seenLoading && ++quietTries <= 3)) {
        seenLoading = true;
        deadline = Date.now() + 10_000;
        if (Date.now() - said >= 10_000) {
          said = Date.now();
          progress(`${spec.name}: loading its data (${Math.round((Date.now() - t0) / 1000)} s so far; a large append-only file takes a while)`);
        }
      } else {
        throw new ForesightError(
          'STACK_START_FAILED',
          `${spec.name} did not answer at ${spec.address} within ${Math.round((Date.now() - t0) / 1000)} s (pid ${pid} still running${seenLoading ? '; it was loading its data, then stopped answering' : ''}); see its log ${spec.logFile}:\n${tailFile(spec.logFile, 15, logFrom)}`,
        );
      }
    }
    await sleep(300);
  }
}

/**
 * The service answers: from the process this stack started (or one of its process group)? Two stacks started at once
 * on the same ports both found them free; the later one's service then cannot bind, while the earlier one's answers
 * its probe. Stops the one started here and says who holds the port. Where /proc cannot tell, the answer is taken.
 */
async function ownsItsPorts(spec: ServiceSpec, pid: number, fresh: boolean): Promise<void> {
  for (const { port, flag } of spec.ports) {
    const owners = listeningPids(port);
    if (!owners || owners.size === 0 || [...owners].some((o) => o === pid || processGroupOf(o) === pid)) continue;
    const from = `port ${port} answers, but from pid ${[...owners].join(', ')}, not the ${spec.name}`;
    if (!fresh)
      // the folder's running service, listening elsewhere than the flags or variables now say: left as it is
      throw new ForesightError(
        'STACK_START_FAILED',
        `${spec.name}: ${from} this stack folder runs (pid ${pid}, left running): it listens on other ports than asked now; \`stack down\` first to move it`,
      );
    const rec = readPidFile(spec.pidFile);
    if (rec && rec.pid === pid) await stopProcess(rec, 5_000);
    removePidFile(spec.pidFile);
    throw new PortTakenError(
      'STACK_START_FAILED',
      `${spec.name}: ${from} this stack started (pid ${pid}, now stopped): another stack or program took the port while this one started; stop it, or choose another port with ${flag}`,
    );
  }
}

export async function stackDown(cfg: StackConfig, progress: Progress = () => undefined): Promise<void> {
  // Stop in reverse order: the registry and Kafka before Redis.
  for (const spec of serviceSpecs(cfg, variantOf(cfg)).reverse()) {
    const rec = readPidFile(spec.pidFile);
    if (!rec) {
      progress(`${spec.name}: not started from this stack folder; left alone`);
      continue;
    }
    const how = await stopProcess(rec);
    removePidFile(spec.pidFile);
    progress(`${spec.name}: ${how === 'not-running' ? 'was not running' : how} (pid ${rec.pid})`);
  }
  forgetPorts(cfg);
  // the project's own stack (its default folder: scripts/test.sh's, the quick start's) takes
  // install.sh's background build with it; a stack in another folder (a test's, a private one) does not
  if (path.resolve(cfg.dir) === path.resolve(STACK_DIR.defaultValue!)) {
    const how = await stopOtelcolBuild(PROJECT_ROOT);
    if (how !== 'none') progress(`otelcol-foresight: scripts/install.sh's background build ${how}`);
  }
}

export async function stackStatus(cfg: StackConfig): Promise<ServiceStatus[]> {
  return Promise.all(
    serviceSpecs(cfg, variantOf(cfg)).map(async (spec): Promise<ServiceStatus> => {
      const rec = readPidFile(spec.pidFile);
      const ours = rec !== undefined && isOurs(rec);
      const answers = await spec.probe();
      const state: ServiceState = ours ? (answers ? 'running' : 'not-answering') : answers ? 'external' : 'stopped';
      return { name: spec.name, state, address: spec.address, pid: ours ? rec.pid : undefined, logFile: spec.logFile };
    }),
  );
}

function order(s: ServiceStatus[]): ServiceStatus[] {
  const rank: Record<ServiceName, number> = {
    redis: 0,
    'redis-cluster-1': 0.1,
    'redis-cluster-2': 0.2,
    'redis-cluster-3': 0.3,
    kafka: 1,
    registry: 2,
    prometheus: 3,
    alertmanager: 4,
  };
  return [...s].sort((a, b) => rank[a.name] - rank[b.name]);
}

export function formatStatus(statuses: ServiceStatus[]): string {
  return statuses.map((s) => `${s.name.padEnd(15)} ${s.state.padEnd(14)} ${s.address.padEnd(46)} ${s.pid ? `pid ${s.pid}` : ''}`.trimEnd()).join('\n');
}
