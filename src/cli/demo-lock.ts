/**
 * One demo at a time per stack folder (DemoLock), and what `stack down` does about a demo killed hard (stopDeadDemo):
 * the lock `demo/running` names the demo and its processor and committer by pid and start time.
 */
import { linkSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cmdlineOf, processStartOf, stopProcess } from '../local-stack/processes.js';
import { ForesightError } from '../util/errors.js';

/** A process for good: its pid and when it started (processStartOf). */
interface ProcessRef {
  pid: number;
  start?: string;
}

const alive = (p: ProcessRef): boolean => p.start !== undefined && processStartOf(p.pid) === p.start;

/**
 * One demo at a time per stack folder: its GitOps repository, its logs and the clean-up of earlier runs are the
 * folder's, so a second demo there would reseed the first one's repository and delete its topics. The lock file
 * (`demo/running`, created exclusively) names the running demo and, once started, its processor and committer, each
 * by pid and start time (a pid taken again by another program is not the demo). A lock whose demo died (killed
 * hard: its services, in groups of their own, may still run) is taken over: those services are stopped first.
 */
export class DemoLock {
  private constructor(
    private readonly file: string,
    private readonly me: ProcessRef,
  ) {}

  static async hold(demoDir: string, stackDir: string, secure: boolean, say: (line: string) => void = console.log): Promise<DemoLock> {
    const file = path.join(demoDir, 'running');
    const me = { pid: process.pid, start: processStartOf(process.pid) };
    const busy = (pid: number): ForesightError => {
      const own = secure
        ? 'FORESIGHT_STACK_SECURE_DIR and the FORESIGHT_STACK_SECURE_*_PORT variables'
        : 'FORESIGHT_STACK_DIR and the FORESIGHT_STACK_*_PORT variables';
      return new ForesightError(
        'INPUT_INVALID',
        `another demo (pid ${pid}) is running on the stack in ${stackDir}: wait for it to end or stop it (kill ${pid}), or run this one on a stack of its own (${own})`,
      );
    };
    const live = (held: LockContent | undefined): boolean => held !== undefined && held.pid !== process.pid && demoRuns(held);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (createWhole(file, `${JSON.stringify({ ...me, services: [] })}\n`)) return new DemoLock(file, me);
      const held = readLock(file);
      if (live(held)) throw busy(held!.pid);
      // a demo that died: its lock is moved aside in one step (of two demos taking it over, one moves it) and read again
      const aside = `${file}.${process.pid}.stale`;
      try {
        renameSync(file, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const moved = readLock(aside);
      if (live(moved)) {
        // another demo took it over in between: its lock goes back, and it runs
        try {
          linkSync(aside, file);
        } catch {
          // a third one holds it now
        }
        rmSync(aside, { force: true });
        throw busy(moved!.pid);
      }
      rmSync(aside, { force: true });
      // the services it left running would commit into the repository this one reseeds
      await stopServices(moved, (pids) =>
        say(`  an earlier demo (pid ${moved!.pid}) ended without stopping its processor and committer (killed?): stopping them (${pids}) and taking its place`),
      );
    }
    throw new ForesightError('INPUT_INVALID', `another demo took the stack in ${stackDir} at the same moment: wait for it to end, then run this one again`);
  }

  /** The services this demo started: a demo after one killed hard stops them (hold). */
  recordServices(pids: number[]): void {
    if (!this.holds()) return;
    const services = pids.map((pid) => ({ pid, start: processStartOf(pid) }));
    // replaced in one step: a demo reading it meanwhile never sees it empty (and would take that for a dead demo's)
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ ...this.me, services })}\n`);
    renameSync(temp, this.file);
  }

  /** Removes the lock while it is still this demo's (another demo took it over: left alone). */
  release(): void {
    if (this.holds()) rmSync(this.file, { force: true });
  }

  private holds(): boolean {
    const held = readLock(this.file);
    return held !== undefined && held.pid === this.me.pid && held.start === this.me.start;
  }
}

/**
 * For `stack down`: the lock of a demo of this stack folder that was killed hard (its processor and committer, in
 * groups of their own, may still run) is moved aside, the services it names are stopped, and then the moved lock is
 * removed. A demo still running keeps its lock and services (it stops them itself); returns its pid then. Interrupted
 * while stopping them, the moved lock (`running.<pid>.down`) stays for the next `stack down` (or demo) to finish.
 */
export async function stopDeadDemo(stackDir: string, say: (line: string) => void): Promise<number | undefined> {
  const file = path.join(stackDir, 'demo', 'running');
  await finishInterrupted(path.dirname(file), say);
  const held = readLock(file);
  if (!held) return undefined;
  if (demoRuns(held)) return held.pid;
  // moved aside in one step and read again, as a demo taking the lock over does (DemoLock.hold): a demo that took it
  // over in between keeps it, and one that starts while the services stop makes a lock of its own, never removed here
  const aside = `${file}.${process.pid}.down`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // a demo (or another stack down) is taking it over right now
    throw err;
  }
  const moved = readLock(aside);
  if (moved && demoRuns(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // a newer demo holds it now
    }
    rmSync(aside, { force: true });
    return moved.pid;
  }
  await stopServices(moved, stoppingLeft(say));
  rmSync(aside, { force: true });
  return undefined;
}

/** Stops the services a dead demo's lock names that still run, first telling `tell` their pids ("pid 1, pid 2"). */
async function stopServices(lock: LockContent | undefined, tell: (pids: string) => void): Promise<void> {
  const left = (lock?.services ?? []).filter(alive);
  if (left.length === 0) return;
  tell(left.map((p) => `pid ${p.pid}`).join(', '));
  for (const p of left) await stopProcess({ pid: p.pid, marker: 'foresight', startedAt: '' }, 20_000);
}

/** What `stack down` says before stopping a dead demo's services. */
const stoppingLeft = (say: (line: string) => void) => (pids: string) =>
  say(`demo: stopping the processor and committer a demo killed earlier left running (${pids})`);

/** Locks an interrupted `stack down` moved aside (`running.<pid>.down`, its process gone): their services are stopped, then they go. */
async function finishInterrupted(demoDir: string, say: (line: string) => void): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(demoDir);
  } catch {
    return; // no demo folder
  }
  for (const name of names) {
    const m = /^running\.(\d+)\.down$/.exec(name);
    if (!m || Number(m[1]) === process.pid || processStartOf(Number(m[1])) !== undefined) continue; // its stack down still runs
    const aside = path.join(demoDir, name);
    await stopServices(readLock(aside), stoppingLeft(say));
    rmSync(aside, { force: true });
  }
}

/** Whether the demo a lock names runs: by pid and start time; a lock of the first, one-line form has no start, and its pid counts while a `demo` runs there. */
function demoRuns(held: LockContent): boolean {
  return held.start === undefined ? (cmdlineOf(held.pid) ?? '').split('\0').includes('demo') : alive(held);
}

type LockContent = ProcessRef & { services?: ProcessRef[] };

/** Creates `file` holding `text`, whole, unless it exists (a hard link of a file written beside it: never seen empty). */
function createWhole(file: string, text: string): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  try {
    linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The lock's holder and services; a lock of one line holding a pid (the first form) has no start; undefined when unreadable. */
function readLock(file: string): LockContent | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const v = JSON.parse(text) as { pid?: unknown; start?: unknown; services?: unknown };
    if (typeof v.pid !== 'number') return undefined;
    const services = Array.isArray(v.services) ? (v.services as ProcessRef[]).filter((p) => typeof p?.pid === 'number') : [];
    return { pid: v.pid, start: typeof v.start === 'string' ? v.start : undefined, services };
  } catch {
    return undefined;
  }
}
