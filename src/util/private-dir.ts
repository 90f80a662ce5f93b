/**
 * This process's own folder in the temporary directory, for the files it hands to other
 * programs by path (git's carried configuration, the GIT_ASKPASS script, the bench's policy
 * repository): made by mkdtemp (a name nobody can guess or take first, mode 0700) and removed,
 * with all it holds, when the process exits, so that no process leaves one behind.
 *
 * It is checked again on every use, not only when made: a real directory (not a link), this
 * user's, that nobody else can write; otherwise (a cleaner of the temporary directory removed it
 * and someone else made that name since) a new one is made. A file in it is therefore written
 * again whenever it is not there as written (privateFile).
 *
 * 'exit' is emitted on process.exit() and when the event loop empties, not on a signal nobody
 * handles: the services handle SIGTERM, SIGINT and SIGHUP (service-runtime/runtime.ts) and exit,
 * and on the signals no command handles the CLI runs the 'exit' listeners itself before the
 * signal ends the process (cli/exit-on-signal.ts). A process killed outright (SIGKILL, the OOM
 * killer) runs no listener: each folder holds its maker's pid namespace, pid and start time
 * (`.owner`), and the first folder a process makes sweeps those of this user whose maker, in the
 * same pid namespace, no longer runs (a pid of another namespace, such as another container sharing
 * the temporary directory, says nothing here).
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { processStartOf } from './proc.js';
import { ConfigError } from './errors.js';
import os from 'node:os';
import path from 'node:path';

let current: string | undefined;
/** every folder this process made and used: all are removed at exit, not only the current one */
const made: string[] = [];

/**
 * The folder (made on first use); throws where none can be made (a read-only root file system
 * without a writable temporary directory) or where the one mkdtemp made is not private (a file
 * system without Unix modes, an ACL that opens it to the group): that one is removed first (this
 * process made it) and the error says what was wrong with it and that TMPDIR picks another place.
 *
 * `stat` reads a folder's state (lstat): a seam for the tests, which give one reporting what such
 * a file system would, since none can be mounted there without root.
 */
export function privateDir(stat: (dir: string) => Stats = lstatSync): string {
  if (current !== undefined && problemOf(current, stat) === undefined) return current;
  if (made.length === 0) sweepLeftBehind();
  const dir = mkdtempSync(path.join(os.tmpdir(), PREFIX));
  const problem = problemOf(dir, stat);
  if (problem !== undefined) {
    let removed = 'removed it';
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      removed = `could not remove it (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
    }
    throw new ConfigError(
      'TMPDIR',
      `${dir}, made with mkdtemp for this process's private files, is not private: ${problem}; ${removed}. Set TMPDIR to a directory on a file system with Unix permissions that only this user can write (e.g. mkdir -m 700 ~/tmp; TMPDIR=~/tmp)`,
    );
  }
  if (made.length === 0) process.once('exit', removeAtExit);
  made.push(dir);
  current = dir;
  const owner = ownerStamp(process.pid);
  if (owner !== undefined) {
    // whole or not at all: a sweep reading it meanwhile finds no file (left alone), never a part of one
    const tmp = path.join(dir, `${OWNER_FILE}.${randomBytes(6).toString('hex')}`);
    writeFileSync(tmp, `${owner}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path.join(dir, OWNER_FILE));
  }
  return dir;
}

const PREFIX = 'foresight-private-';
const OWNER_FILE = '.owner';

/** This process's pid namespace (Linux), e.g. "pid:[4026531836]"; undefined where unknown. */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/**
 * "<pid namespace> <pid> <start time>" of a process of this pid namespace (Linux /proc): no later process with the same
 * pid shares it; undefined where unknown.
 */
function ownerStamp(pid: number): string | undefined {
  const ns = pidNamespace();
  const start = Number.isInteger(pid) && pid > 0 ? processStartOf(pid) : undefined;
  return ns === undefined || start === undefined ? undefined : `${ns} ${pid} ${start}`;
}
const OWNER_STAMP = /^(pid:\[\d+\]) (\d+) (\d+)$/;

/**
 * Removes this user's folders in the temporary directory whose maker, of this pid namespace, no longer runs (killed
 * before its exit listener could). A folder without an owner file that reads whole (made by an older version, on a
 * system without /proc, or being made right now) or of another pid namespace is left alone.
 */
function sweepLeftBehind(): void {
  const tmp = os.tmpdir();
  let names: string[];
  try {
    names = readdirSync(tmp).filter((n) => n.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(tmp, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.()) continue;
      const owner = OWNER_STAMP.exec(readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim());
      // unreadable, of another pid namespace (its pid means nothing here), or its maker still runs: left alone
      if (!owner || owner[1] !== pidNamespace() || ownerStamp(Number(owner[2])) === owner[0]) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // no owner file, gone meanwhile, or not ours to read: left alone
    }
  }
}

/**
 * The path of `name` in privateDir holding `content` with `mode` exactly (whatever the umask):
 * written when it is not there as written, through a temporary name and a rename, so that a
 * reader never sees it half-written.
 */
export function privateFile(name: string, content: string, mode = 0o600): string {
  const file = path.join(privateDir(), name);
  if (readOrNull(file) !== content) {
    const tmp = `${file}.${randomBytes(6).toString('hex')}`;
    writeFileSync(tmp, content, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  }
  return file;
}

/** Removes the folders this process made that are still its own (a real directory of this user: never one someone else made under that name since). */
function removeAtExit(): void {
  for (const dir of made) {
    try {
      const st = lstatSync(dir);
      const uid = process.getuid?.();
      if (st.isDirectory() && (uid === undefined || st.uid === uid)) rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone already, or the process is leaving and has no one left to tell: what cannot be removed stays
    }
  }
}

/** What keeps `dir` from being a private directory (a real directory, this user's, closed to the group and others), or undefined when nothing does. */
function problemOf(dir: string, stat: (dir: string) => Stats): string | undefined {
  let st: Stats;
  try {
    st = stat(dir);
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  if (!st.isDirectory()) return 'not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `owned by uid ${st.uid}, not by this user (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) return `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}: the group or others have access`;
  return undefined;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
