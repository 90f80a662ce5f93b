/**
 * CPU seconds used so far by the three processes a benchmark exercises on this machine: this
 * Node process, Redis (its INFO cpu) and the local Kafka broker (/proc, found by its main
 * class; absent when the broker runs elsewhere). Differences of two snapshots say where a
 * phase's CPU went, and with the cores available, how fast the phase could be at best.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { infoOfEachNode, type Redis } from '../windows/redis-client.js';

export interface CpuSnapshot {
  node: number;
  /** Redis's, its forks included (an append-only file rewrite is a child process busy for seconds) */
  redis?: number;
  /** of that, its forks' */
  redisForks?: number;
  broker?: number;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

function brokerPid(): number | undefined {
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('kafka.Kafka')) return Number(d);
      } catch {
        // gone, or not ours to read
      }
    }
  } catch {
    // no /proc (not Linux)
  }
  return undefined;
}

/** CPU seconds (user + system) a process of this machine has used, from /proc; undefined when unknown. */
export function procCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

export class CpuMeter {
  private readonly broker = brokerPid();

  /** `nodePids`: the processes whose CPU is `node` (the processors' own; default this process) */
  constructor(
    private readonly redis: Redis,
    private readonly nodePids?: () => number[],
  ) {}

  private nodeSeconds(): number {
    if (!this.nodePids) {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    }
    return this.nodePids().reduce((sum, pid) => sum + (procCpuSeconds(pid) ?? NaN), 0);
  }

  async snapshot(): Promise<CpuSnapshot> {
    const node = this.nodeSeconds();
    let redis: number | undefined;
    let redisForks: number | undefined;
    try {
      // a cluster's CPU is its masters' together
      const infos = await infoOfEachNode(this.redis, 'cpu');
      const sum = (...keys: string[]): number | undefined => {
        const total = infos.reduce((acc, info) => acc + keys.reduce((a, k) => a + Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN), 0), 0);
        return Number.isFinite(total) ? total : undefined;
      };
      redisForks = sum('used_cpu_user_children', 'used_cpu_sys_children');
      const own = sum('used_cpu_user', 'used_cpu_sys');
      redis = own === undefined ? undefined : own + (redisForks ?? 0);
    } catch {
      redis = undefined;
    }
    return { node, redis, redisForks, broker: procCpuSeconds(this.broker) };
  }
}

/** CPU seconds per process between two snapshots (undefined where one side is unknown). */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot {
  const d = (x?: number, y?: number): number | undefined => (x === undefined || y === undefined ? undefined : +(y - x).toFixed(2));
  return { node: +(b.node - a.node).toFixed(2), redis: d(a.redis, b.redis), redisForks: d(a.redisForks, b.redisForks), broker: d(a.broker, b.broker) };
}

export function cpuTotal(s: CpuSnapshot): number {
  return s.node + (s.redis ?? 0) + (s.broker ?? 0);
}
