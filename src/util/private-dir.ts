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
 * handles: the services handle SIGTERM and SIGINT (service-runtime/runtime.ts) and exit.
 */
import { chmodSync, lstatSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

let current: string | undefined;

/** The folder (made on first use); throws where none can be made (a read-only root file system without a writable temporary directory). */
export function privateDir(): string {
  if (current !== undefined && isPrivateDir(current)) return current;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foresight-private-'));
  if (!isPrivateDir(dir)) throw new Error(`${dir} is not a private directory`);
  if (current === undefined) process.once('exit', removeAtExit);
  current = dir;
  return dir;
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

function removeAtExit(): void {
  try {
    if (current !== undefined) rmSync(current, { recursive: true, force: true });
  } catch {
    // the process is leaving and has no one left to tell: what cannot be removed stays
  }
}

function isPrivateDir(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
