/**
 * scripts/install.sh builds otelcol-foresight (the OpenTelemetry Collector recipe) in the
 * background: a subshell of install.sh runs `go build` (minutes of CPU) and its pid is written
 * to `.tools/otelcol-foresight.building` while it runs. `stack down` of the project's own stack
 * (the one scripts/test.sh and the quick start use) stops it with the rest, so no build is left
 * compiling after the tests or the stack are gone.
 *
 * The subshell runs in install.sh's process group (a script has no job control), so the group is
 * not signalled (it may hold the caller): the subshell and its descendants (`go build` and the
 * compilers it runs) are found through /proc, frozen, and signalled one by one.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sleep } from '../util/retry.js';
import { statFields } from './processes.js';

/** What install.sh writes while its build runs, relative to the project root. */
export const BUILDING_FILE = path.join('.tools', 'otelcol-foresight.building');
/** What its build writes before renaming it into place. */
const PARTIAL_BINARY = path.join('.tools', 'bin', 'otelcol-foresight.tmp');
/** The build's subshell is a fork of install.sh: its command line is install.sh's, */
const MARKER = 'install.sh';
/** and it runs in the recipe's folder (install.sh forks it there), relative to the project root. */
const BUILD_DIR = path.join('examples', 'otel-collector', 'otelcol-foresight');

/** Parent pid of each process (from /proc/<pid>/stat, processes.ts statFields). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(entry); // undefined: gone meanwhile
    if (f) out.set(Number(entry), Number(f[1]));
  }
  return out;
}

/** `pid` and every process below it, never this process or one above it (it would freeze itself). */
function tree(pid: number): number[] {
  const ppids = parents();
  const mine = new Set<number>();
  for (let p: number | undefined = process.pid; p !== undefined && p > 0 && !mine.has(p); p = ppids.get(p)) mine.add(p);
  if (mine.has(pid)) return [];
  const all = [pid];
  for (let i = 0; i < all.length; i++) for (const [child, parent] of ppids) if (parent === all[i] && !mine.has(child)) all.push(child);
  return all;
}

/** Whether `pid` is install.sh's build subshell of the project at `root`: install.sh's command line, in the recipe's folder (not a reused pid, not another clone's, not install.sh itself or an editor of it in the root). */
function isBuild(pid: number, root: string): boolean {
  try {
    if (!(Number.isInteger(pid) && pid > 0) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(MARKER)) return false;
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(path.join(root, BUILD_DIR));
  } catch {
    return false; // not running, not ours to read, or no such folder
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // a zombie (exited, not yet reaped by its parent) has an empty command line and counts as gone
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0;
  } catch {
    return false;
  }
};

const signal = (pids: number[], sig: NodeJS.Signals): void => {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
};

/**
 * Stops install.sh's background build of otelcol-foresight under `root`, if one runs: SIGTERM
 * to the subshell and its descendants, SIGKILL to what is left after `graceMs`; then removes the
 * building file and the partial binary. A building file whose pid is no longer install.sh's
 * (the build ended, the pid was reused) is removed without signalling anything.
 */
export async function stopOtelcolBuild(root: string, graceMs = 10_000): Promise<'stopped' | 'killed' | 'none'> {
  const file = path.join(root, BUILDING_FILE);
  if (!existsSync(file)) return 'none';
  const pid = Number(readFileSync(file, 'utf8').trim());
  let how: 'stopped' | 'killed' | 'none' = 'none';
  if (isBuild(pid, root) && tree(pid).length > 0) {
    // frozen first (SIGSTOP), until the tree stops growing: `go build` starts compilers all the time
    let pids = [pid];
    for (let size = 0; size !== pids.length;) {
      size = pids.length;
      signal(pids, 'SIGSTOP');
      pids = tree(pid);
    }
    signal(pids, 'SIGTERM');
    signal(pids, 'SIGCONT');
    how = 'stopped';
    const deadline = Date.now() + graceMs;
    while (pids.some(alive) && Date.now() < deadline) await sleep(100);
    const left = pids.filter(alive);
    if (left.length > 0) {
      signal(left, 'SIGKILL');
      how = 'killed';
      while (left.some(alive)) await sleep(50);
    }
  }
  rmSync(file, { force: true });
  rmSync(path.join(root, PARTIAL_BINARY), { force: true });
  return how;
}
