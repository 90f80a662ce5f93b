/**
 * A GitOps repository to start from: a fresh bare repository whose main branch holds one
 * commit of a folder (the demo and the tests seed it with deploy/gitops-example).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../util/paths.js';
import { gitEnv } from './git-env.js';

export const EXAMPLE_REPO = path.join(PROJECT_ROOT, 'deploy', 'gitops-example');

/** Creates `<dir>/gitops.git` (replacing what is in `dir`) from `source` plus `extra` files; returns its path. */
export function seedBareRepository(dir: string, opts: { source?: string; extra?: Record<string, string>; message?: string } = {}): string {
  rmSync(dir, { recursive: true, force: true });
  const seed = path.join(dir, 'seed');
  cpSync(opts.source ?? EXAMPLE_REPO, seed, { recursive: true });
  for (const [p, text] of Object.entries(opts.extra ?? {})) {
    mkdirSync(path.dirname(path.join(seed, p)), { recursive: true });
    writeFileSync(path.join(seed, p), text);
  }
  const env = gitEnv();
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', seed, '-c', 'user.name=Platform Team', '-c', 'user.email=platform@example.com', ...args], { encoding: 'utf8', env });
  execFileSync('git', ['init', '-q', '-b', 'main', seed], { env });
  git('add', '.');
  git('commit', '-qm', opts.message ?? 'GitOps repository: shop (Kustomize), payments (manifests), cart (Helm values), policies');
  const remote = path.join(dir, 'gitops.git');
  execFileSync('git', ['clone', '-q', '--bare', seed, remote], { env });
  rmSync(seed, { recursive: true, force: true });
  return remote;
}
