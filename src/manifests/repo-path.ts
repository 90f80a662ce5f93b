/** Paths inside a GitOps repository: relative, POSIX, never outside the root or into .git. */
import path from 'node:path';
import { ForesightError } from '../util/errors.js';

export class UnsafePathError extends ForesightError {
  constructor(message: string) {
    super('UNSAFE_PATH', message);
    this.name = 'UnsafePathError';
  }
}

export function repoPath(p: string): string {
  if (p.includes('\0') || p.includes('\\')) throw new UnsafePathError(`path ${JSON.stringify(p)} has a NUL or backslash`);
  if (path.posix.isAbsolute(p)) throw new UnsafePathError(`path ${JSON.stringify(p)} is absolute; paths are relative to the repository root`);
  const norm = path.posix.normalize(p);
  if (norm === '..' || norm.startsWith('../')) throw new UnsafePathError(`path ${JSON.stringify(p)} leaves the repository`);
  if (norm === '.git' || norm.startsWith('.git/')) throw new UnsafePathError(`path ${JSON.stringify(p)} is inside .git`);
  return norm;
}
