/** A real GitOps repository for tests: a bare repository seeded with deploy/gitops-example. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRepoFiles } from '../../src/committer/backend.js';
import { EXAMPLE_REPO, seedBareRepository } from '../../src/committer/seed.js';

export { EXAMPLE_REPO };

export interface GitOpsFixture {
  /** the bare repository (the committer's remote) */
  remote: string;
  /** a scratch directory for working clones */
  tmp: string;
  git(...args: string[]): string;
}

/** A bare repository whose main branch holds the example GitOps repository (plus `extra` files). */
export function gitopsRemote(extra: Record<string, string> = {}): GitOpsFixture {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'foresight-gitops-'));
  const remote = seedBareRepository(path.join(tmp, 'repo'), { extra });
  return { remote, tmp, git: (...args) => execFileSync('git', ['-C', remote, ...args], { encoding: 'utf8' }) };
}

/** The example repository's files, path → text. */
export function exampleFiles(): Map<string, string> {
  return readRepoFiles(EXAMPLE_REPO);
}
