/**
 * Processes started by `stack up`: spawned detached with their output in a log file, and
 * remembered in a pid file together with a marker from their command line, so that `down`
 * stops only what `up` started (a reused pid of some other program is never signalled).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processStartOf, statFields } from '../util/proc.js';
import { sleep } from '../util/retry.js';

// the /proc readers live in util (private-dir.ts uses them too); re-exported for the stack's callers
export { processStartOf, statFields };

export interface PidRecord {
  pid: number;
  /** A string that appears in /proc/<pid>/cmdline of the process we started. */
  marker: string;
  startedAt: string;
}

export function spawnDetached(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function writePidFile(file: string, rec: PidRecord): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(rec) + '\n');
}

export function readPidFile(file: string): PidRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
    return Number.isInteger(rec.pid) && typeof rec.marker === 'string' ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** True when the pid is alive and is still the process we started (its command line has the marker). */
export function isOurs(rec: PidRecord): boolean {
  return cmdlineOf(rec.pid)?.includes(rec.marker) ?? false;
}

/**
 * Whether a process this invocation started is still running, marker or not: redis-server
 * rewrites its command line to its marker ("127.0.0.1:<port>") only a moment after it starts,
 * and under load a check in between took it for exited.
 */
export function isRunning(pid: number): boolean {
  return cmdlineOf(pid) !== undefined;
}

/** A live process's command line (arguments NUL-separated); undefined when there is none or it is a zombie awaiting its parent. */
export function cmdlineOf(pid: number): string | undefined {
  try {
    process.kill(pid, 0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.length === 0 ? undefined : cmdline;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(rec: PidRecord, graceMs = 20_000): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isOurs(rec)) return 'not-running';
  signal(rec.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(rec)) return 'stopped';
    await sleep(100);
  }
  signal(rec.pid, 'SIGKILL');
  while (isOurs(rec)) await sleep(50);
  return 'killed';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    // The process leads its own group (detached): signal the group so helpers die with it.
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}

/** A file's size in bytes; 0 where there is none. */
export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last lines of a log file, for error messages; `fromByte`: only what was written from there on (an appended log's latest run). */
export function tailFile(file: string, lines = 15, fromByte = 0): string {
  if (!existsSync(file)) return '(no log written)';
  const all = readFileSync(file);
  // a log truncated or made anew since `fromByte` was read: all of it is this start's
  const text = all.subarray(all.length >= fromByte ? fromByte : 0).toString('utf8');
  if (text.trim() === '') return '(nothing written to the log by this start)';
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n')
    .trimEnd();
}

/**
 * The processes listening on a TCP port of this machine (Linux /proc: the LISTEN sockets of /proc/net/tcp and tcp6,
 * matched to the processes whose file descriptors hold them); undefined where that cannot be read. Only processes
 * this user may inspect are found, which includes every process a stack of this user starts.
 */
export function listeningPids(port: number): Set<number> | undefined {
  const inodes = new Set<string>();
  try {
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!existsSync(table)) continue;
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local address "ADDR:PORT" in hex, state 0A = LISTEN, inode in the tenth column
        if (f.length > 9 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) inodes.add(f[9]);
      }
    }
  } catch {
    return undefined;
  }
  const pids = new Set<number>();
  if (inodes.size === 0) return pids;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // another user's, or gone
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1])) pids.add(Number(entry));
      } catch {
        // closed meanwhile
      }
    }
  }
  return pids;
}

/** The process group of a process (its leader's pid: a service spawned detached leads its own), or undefined. */
export function processGroupOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[2]) : undefined;
}
