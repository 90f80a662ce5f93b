/** A real GitOps repository for tests: a bare repository seeded with deploy/gitops-example. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { readRepoFiles } from '../../src/committer/backend.js';
import { EXAMPLE_REPO, seedBareRepository } from '../../src/committer/seed.js';
import { tempDir } from './temp-dir.js';

export { EXAMPLE_REPO };

export interface GitOpsFixture {
  /** the bare repository (the committer's remote) */
  remote: string;
  /** a scratch directory for working clones */
  tmp: string;
  git(...args: string[]): string;
}

/**
 * A bare repository whose main branch holds the example GitOps repository (plus `extra` files).
 * Its scratch directory (remote and clones) is removed when the test, or the suite, that made it
 * ends (temp-dir.ts).
 */
export function gitopsRemote(extra: Record<string, string> = {}): GitOpsFixture {
  const tmp = tempDir('foresight-gitops-');
  const remote = seedBareRepository(path.join(tmp, 'repo'), { extra });
  return { remote, tmp, git: (...args) => execFileSync('git', ['-C', remote, ...args], { encoding: 'utf8' }) };
}

/** The example repository's files, path → text. */
export function exampleFiles(): Map<string, string> {
  return readRepoFiles(EXAMPLE_REPO);
}

/** The MIG change of a replica, as model-server-changes.ts gpuChange writes it. */
export const MIG_CHANGES: [string, string][] = [
  ['requests.nvidia.com/mig-3g.40gb', '1'],
  ['limits.nvidia.com/mig-3g.40gb', '1'],
  ['requests.nvidia.com/gpu', '0'],
  ['limits.nvidia.com/gpu', '0'],
];

/** The example with the vLLM container's GPU request also set in the prod overlay's patch (a Kustomize patch over the base). */
export function withGpuPatch(files: Map<string, string>): Map<string, string> {
  const patch = 'apps/ml/overlays/prod/llm-server-patch.yaml';
  const out = new Map(files);
  out.set(
    patch,
    `${files.get(patch)!}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm-server
spec:
  template:
    spec:
      containers:
      - name: vllm
        resources:
          requests:
            nvidia.com/gpu: 1   # a whole A100 in production
`,
  );
  return out;
}
