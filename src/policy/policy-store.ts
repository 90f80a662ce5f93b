/**
 * The policy set in force, read from a Git checkout and reloaded when its HEAD moves. A new
 * HEAD whose policies do not validate is reported (file, line, field) and the policy set in
 * force stays in force. The same checkout's manifests give the workloads' current values.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { readRepoFiles } from '../gitops/backend.js';
import { ManifestIndex } from '../gitops/manifests.js';
import { loadPolicyDir, PolicyError } from './policy-loader.js';
import { PolicySet } from './policy-set.js';

const run = promisify(execFile);

export interface PolicyStoreEvents {
  onLoaded?: (head: string, files: number) => void;
  onRejected?: (head: string, err: PolicyError | Error) => void;
}

export class PolicyStore {
  private current = new PolicySet([]);
  private index: ManifestIndex | undefined;
  private head: string | undefined;
  private lastRejected: string | undefined;

  constructor(
    private readonly repoDir: string,
    private readonly policiesPath = 'policies',
    private readonly events: PolicyStoreEvents = {},
    private readonly mappingFile = 'foresight-mapping.yaml',
  ) {}

  /** The manifests of the checkout at the loaded HEAD (current values for recommendations). */
  get manifests(): ManifestIndex | undefined {
    return this.index;
  }

  get policies(): PolicySet {
    return this.current;
  }

  get loadedHead(): string | undefined {
    return this.head;
  }

  /** Checks HEAD; on a new commit, loads and validates its policies. Returns whether the set changed. */
  async refresh(): Promise<boolean> {
    const { stdout } = await run('git', ['-C', this.repoDir, 'rev-parse', 'HEAD']);
    const head = stdout.trim();
    if (head === this.head || head === this.lastRejected) return false;
    const dir = path.join(this.repoDir, this.policiesPath);
    if (!path.resolve(dir).startsWith(path.resolve(this.repoDir) + path.sep)) throw new Error(`policies path ${this.policiesPath} is outside the repository`);
    try {
      const files = existsSync(dir) ? loadPolicyDir(dir, `${this.policiesPath}/`) : [];
      this.current = new PolicySet(files);
      this.index = ManifestIndex.build(readRepoFiles(this.repoDir), { mappingFile: this.mappingFile, policiesPath: this.policiesPath });
      this.head = head;
      this.lastRejected = undefined;
      this.events.onLoaded?.(head, files.length);
      return true;
    } catch (err) {
      this.lastRejected = head;
      this.events.onRejected?.(head, err as Error);
      return false;
    }
  }
}
