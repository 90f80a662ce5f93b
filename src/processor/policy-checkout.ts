/**
 * The policy set in force, read from a Git checkout and reloaded when its HEAD moves. Each
 * invalid file of a new HEAD is reported (file, line, field) and only that file is affected:
 * its last valid version stays in force, or it is left out (policy-files.ts); the other files
 * are loaded. The same checkout's manifests give the workloads' current values, and show when a
 * change Foresight proposed is in force (outcomes/tracker.ts); its `policies/events.yaml` gives
 * the known future events (policy/events.ts; an invalid file is reported the same way and its
 * last valid version stays in force). Locally the checkout can be pulled before each check
 * (FORESIGHT_POLICY_PULL); in Kubernetes git-sync moves it.
 *
 * Git I/O, so it lives with the processor's wiring; policy/ stays pure (parsing, resolution).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readRepoFiles } from '../committer/backend.js';
import { gitEnv } from '../committer/git-env.js';
import { ManifestIndex } from '../manifests/manifests.js';
import { EVENTS_FILE, parseEventsFile, type KnownEvent } from '../policy/events.js';
import { PolicyFiles } from '../policy/policy-files.js';
import type { PolicyError } from '../policy/policy-loader.js';
import { PolicySet } from '../policy/policy-set.js';

const run = promisify(execFile);

export interface PolicyStoreEvents {
  onLoaded?: (head: string, files: number) => void;
  /** once per invalid file of a new HEAD (a PolicyError), or when the checkout cannot be read */
  onRejected?: (head: string, err: PolicyError | Error) => void;
}

export class PolicyStore {
  private current = new PolicySet([]);
  private readonly files = new PolicyFiles();
  private index: ManifestIndex | undefined;
  private known: readonly KnownEvent[] = [];
  private head: string | undefined;

  constructor(
    private readonly repoDir: string,
    private readonly policiesPath = 'policies',
    private readonly events: PolicyStoreEvents = {},
    private readonly mappingFile = 'foresight-mapping.yaml',
    /** pull (fast-forward only) from the checkout's upstream before each check (FORESIGHT_POLICY_PULL; git-sync does it in Kubernetes) */
    private readonly pull = false,
  ) {}

  /** The manifests of the checkout at the loaded HEAD (current values for recommendations). */
  get manifests(): ManifestIndex | undefined {
    return this.index;
  }

  get policies(): PolicySet {
    return this.current;
  }

  /** false while policy files exist but none was ever valid (see policy-files.ts) */
  get available(): boolean {
    return this.files.available;
  }

  /** the known future events in force (policies/events.yaml) */
  get knownEvents(): readonly KnownEvent[] {
    return this.known;
  }

  get loadedHead(): string | undefined {
    return this.head;
  }

  /** Checks HEAD; on a new commit, loads its policies file by file. Returns whether the set in force changed. */
  async refresh(): Promise<boolean> {
    if (this.pull) await run('git', ['-C', this.repoDir, 'pull', '-q', '--ff-only'], { env: gitEnv() });
    const { stdout } = await run('git', ['-C', this.repoDir, 'rev-parse', 'HEAD'], { env: gitEnv() });
    const head = stdout.trim();
    if (head === this.head) return false;
    const dir = path.join(this.repoDir, this.policiesPath);
    if (!path.resolve(dir).startsWith(path.resolve(this.repoDir) + path.sep)) throw new Error(`policies path ${this.policiesPath} is outside the repository`);
    let repo: Map<string, string>;
    try {
      repo = readRepoFiles(this.repoDir);
    } catch (err) {
      // an unreadable checkout (permissions, a file removed mid-walk): what is in force stays; retried at the next HEAD
      this.head = head;
      this.events.onRejected?.(head, err as Error);
      return false;
    }
    const load = this.files.load([...repo].filter(([p]) => p.startsWith(`${this.policiesPath}/`)));
    for (const err of load.errors) this.events.onRejected?.(head, err);
    this.current = load.set;
    const eventsPath = `${this.policiesPath}/${EVENTS_FILE}`;
    const eventsText = repo.get(eventsPath);
    try {
      this.known = eventsText === undefined ? [] : parseEventsFile(eventsPath, eventsText);
    } catch (err) {
      this.events.onRejected?.(head, err as Error);
    }
    this.index = ManifestIndex.build(repo, { mappingFile: this.mappingFile, policiesPath: this.policiesPath });
    this.head = head;
    if (load.changed) this.events.onLoaded?.(head, load.set.files.length);
    return load.changed;
  }
}
