/**
 * Scratch folders for tests, in the temporary directory, removed when the test, the suite or the
 * test file that made one ends: node:test's `after` registers on whichever is running (made at a
 * file's top level: when the file's tests are done). Not from a `before` hook: an `after`
 * registered there runs as soon as the hook ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/**
 * A new folder whose name starts with `prefix`; `beforeRemove` runs first (a stack's `down`, so
 * that no service is left running without the folder that names it).
 */
export function tempDir(prefix: string, beforeRemove?: (dir: string) => void | Promise<void>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(async () => {
    try {
      await beforeRemove?.(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}
