/** A real GitOps repository for tests: a bare repository seeded with deploy/gitops-example. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/util/paths.js';

export const EXAMPLE_REPO = path.join(PROJECT_ROOT, 'deploy', 'gitops-example');

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
  const seed = path.join(tmp, 'seed');
  cpSync(EXAMPLE_REPO, seed, { recursive: true });
  for (const [p, text] of Object.entries(extra)) {
    mkdirSync(path.dirname(path.join(seed, p)), { recursive: true });
    writeFileSync(path.join(seed, p), text);
  }
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { encoding: 'utf8' });
  execFileSync('git', ['init', '-q', '-b', 'main', seed]);
  git(seed, 'add', '.');
  git(seed, 'commit', '-qm', 'example GitOps repository');
  const remote = path.join(tmp, 'gitops.git');
  execFileSync('git', ['clone', '-q', '--bare', seed, remote]);
  return { remote, tmp, git: (...args) => git(remote, ...args) };
}
