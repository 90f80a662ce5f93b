/**
 * `stack up --redis-cluster`: a real Redis Cluster of three masters on this machine, in place
 * of the single Redis. Each master is Debian's redis-server in cluster mode (its own folder,
 * its nodes.conf and append-only file there, so the cluster and its data survive a restart);
 * once all three answer, `redis-cli --cluster create` hands each a third of the 16384 slots.
 * No replicas: locally a failover has nowhere to go, and ioredis's Cluster client follows
 * MOVED/ASK (and a failover's new master) by itself wherever the cluster runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ForesightError } from '../util/errors.js';
import { sleep } from '../util/retry.js';
import { ensureRedisServer } from './artifacts.js';
import { LOADING_PROBE_MS, redisAnswers, redisState } from './probes.js';
import type { RedisClusterNodeName, ServiceSpec } from './service-spec.js';
import { clusterNodePorts, REDIS_DURABILITY_ARGS, type StackConfig } from './stack-config.js';

export const CLUSTER_SLOTS = 16384;
/** Redis Cluster's bus: each node's port + 10000 */
const BUS_OFFSET = 10_000;

function nodeName(i: number): RedisClusterNodeName {
  return `redis-cluster-${i + 1}` as RedisClusterNodeName;
}

/** The three masters as services of the stack (started, probed and stopped like the others). */
export function redisClusterSpecs(cfg: StackConfig): ServiceSpec[] {
  return clusterNodePorts(cfg).map((port, i): ServiceSpec => {
    const name = nodeName(i);
    const dataDir = path.join(cfg.dataDir, name);
    return {
      name,
      address: `redis://127.0.0.1:${port}`,
      logFile: path.join(cfg.logDir, `${name}.log`),
      pidFile: path.join(cfg.runDir, `${name}.pid`),
      readyTimeoutMs: 15_000,
      ports: [
        { port, flag: '--redis-cluster-port' },
        { port: port + BUS_OFFSET, flag: '--redis-cluster-port (its cluster bus: port + 10000)' },
      ],
      probe: () => redisAnswers('127.0.0.1', port),
      loading: async () => (await redisState('127.0.0.1', port, LOADING_PROBE_MS)) === 'loading',
      prepare(progress) {
        const bin = ensureRedisServer(progress);
        mkdirSync(dataDir, { recursive: true });
        const args = [
          '--bind',
          '127.0.0.1',
          '--port',
          String(port),
          '--dir',
          dataDir,
          '--daemonize',
          'no',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '5000',
          ...REDIS_DURABILITY_ARGS,
        ];
        // redis-server shows "127.0.0.1:<port> [cluster]" as its command line
        return { cmd: bin, args, marker: `:${port}` };
      },
    };
  });
}

/** True when an earlier `up --redis-cluster` left pid files, so that `status` and `down` cover the nodes. */
export function redisClusterStarted(cfg: StackConfig): boolean {
  return redisClusterSpecs(cfg).some((s) => existsSync(s.pidFile));
}

function redisCli(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  throw new ForesightError(
    'STACK_ARTIFACTS_MISSING',
    'redis-cli is not installed: run `sudo apt-get install -y redis-tools` (Debian installs it with redis-server)',
  );
}

/** CLUSTER INFO of one node as fields (cluster_state, cluster_slots_assigned, cluster_known_nodes, ...). */
export function clusterInfo(port: number): Record<string, string> {
  const res = spawnSync(redisCli(), ['-h', '127.0.0.1', '-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8', timeout: 5_000 });
  if (res.status !== 0) return {};
  return Object.fromEntries(
    res.stdout
      .split(/\r?\n/)
      .map((l) => l.split(':'))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [k.trim(), v.trim()]),
  );
}

/**
 * Joins the three running masters into one cluster, once: a fresh set of nodes (each knows
 * only itself, no slot assigned) is created with `redis-cli --cluster create`; a cluster
 * formed by an earlier `up` is left as it is. Then waits until every node says
 * cluster_state:ok. Anything in between (nodes of some other cluster) is an error that says
 * which folder to remove.
 */
export async function formRedisCluster(cfg: StackConfig, progress: (msg: string) => void): Promise<void> {
  const ports = clusterNodePorts(cfg);
  const infos = ports.map(clusterInfo);
  const formed = infos.every((i) => i.cluster_known_nodes === String(ports.length) && i.cluster_slots_assigned === String(CLUSTER_SLOTS));
  const fresh = infos.every((i) => i.cluster_known_nodes === '1' && i.cluster_slots_assigned === '0');
  if (!formed && !fresh) {
    throw new ForesightError(
      'STACK_START_FAILED',
      `redis cluster: the nodes on ports ${ports.join(', ')} are neither a fresh set nor one formed cluster (known nodes ${infos.map((i) => i.cluster_known_nodes ?? '?').join('/')}, slots assigned ${infos.map((i) => i.cluster_slots_assigned ?? '?').join('/')}); stop the stack and remove ${path.join(cfg.dataDir, 'redis-cluster-*')} to start over`,
    );
  }
  if (fresh) {
    progress(`redis cluster: creating it (${ports.length} masters, no replicas)...`);
    const res = spawnSync(redisCli(), ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (res.status !== 0) {
      throw new ForesightError('STACK_START_FAILED', `redis cluster: \`redis-cli --cluster create\` failed (exit ${res.status}):\n${res.stdout}${res.stderr}`);
    }
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = ports.map((p) => clusterInfo(p).cluster_state ?? 'no answer');
    if (states.every((s) => s === 'ok')) break;
    if (Date.now() > deadline) {
      throw new ForesightError('STACK_START_FAILED', `redis cluster: not ok within 30 s (cluster_state per node: ${states.join(', ')})`);
    }
    await sleep(200);
  }
  progress(`redis cluster: ok, ${CLUSTER_SLOTS} slots over ${ports.map((p) => `127.0.0.1:${p}`).join(', ')}`);
}
