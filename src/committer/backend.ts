/**
 * The GitOps repository as the committer sees it, whatever hosts it: read a branch, find
 * whether a recommendation was already committed (its Recommendation-Id trailer), commit file
 * changes atomically with retry on a moved branch, and open or update a pull request.
 * Implementations: local Git (local-backend.ts) and GitHub (github-backend.ts).
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_YAML_BYTES, oversizedPlaceholder } from '../util/yaml-limits.js';
import { ForesightError } from '../util/errors.js';

export interface Author {
  name: string;
  email: string;
}

/** What one commit changes, computed from a snapshot of the branch it goes on. */
export interface CommitContent {
  changed: Map<string, string>;
  message: string;
}

export interface CommitRequest {
  /** the branch the commit goes on */
  branch: string;
  /** where a missing `branch` starts from */
  base: string;
  author: Author;
  /**
   * The branch is the bot's own review branch, rebuilt: the commit goes on `base`'s tip and
   * replaces the branch (a forced update of that branch only; the replaced tip is leased where
   * the backend can, so a branch that moved meanwhile is recomputed). `edit` gets `base`'s files.
   */
  rebuild?: boolean;
  /**
   * Computes the change from the branch's files (path → text, YAML and the mapping file). Runs
   * again on a fresh snapshot when the branch moved underneath; undefined: nothing to commit.
   */
  edit(files: ReadonlyMap<string, string>): CommitContent | undefined;
}

export interface PullRequestRequest {
  branch: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
  /** leave an open pull request as it is (only open one when missing) */
  keepExisting?: boolean;
}

export interface PullRequest {
  number: number;
  url: string;
  created: boolean;
}

export interface ReviewState {
  number: number;
  url: string;
  state: 'open' | 'closed';
}

export interface GitOpsBackend {
  readonly name: string;
  /** Why this backend cannot keep pull requests (critical changes are then dead-lettered), or undefined when it can. */
  readonly noPullRequests?: string;
  /** The files of `branch` (or of `base` when it does not exist) that edits may need. */
  snapshot(branch: string, base: string): Promise<Map<string, string>>;
  /** Which of `ids` a commit reachable from `branch` already carries as `Recommendation-Id: <id>`. */
  committedIds(branch: string, ids: string[]): Promise<Set<string>>;
  /** Commits and publishes; returns the commit id, or undefined when the edit changed nothing. */
  commit(req: CommitRequest): Promise<string | undefined>;
  /** Opens the pull request of `branch`, or updates the open one. */
  ensurePullRequest(req: PullRequestRequest): Promise<PullRequest>;
  /** The newest pull request of `branch` into `base`, open or closed (by a person, or as superseded), or undefined. */
  pullRequestOf(branch: string, base: string): Promise<ReviewState | undefined>;
  /** The message of `branch`'s tip commit, or undefined when the branch does not exist. */
  tipMessage(branch: string): Promise<string | undefined>;
  /** Closes an open pull request with a comment saying why. */
  closePullRequest(number: number, comment: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The remote refused the change for a reason retrying cannot fix: branch protection (GitHub's
 * GH006 "Protected branch update failed"), a pre-receive or update hook that declined it.
 */
export class CommitRefusedError extends ForesightError {
  constructor(message: string) {
    super('COMMIT_REFUSED', message);
    this.name = 'CommitRefusedError';
  }
}

/** Whether a push's or an API call's error text is a refusal (protection, a hook) rather than a moved branch. */
export const isRefusal = (text: string): boolean => /GH006|protected branch|hook declined|remote rejected|declined/i.test(text);

/** The branch moved and the change could not be re-applied within the retries. */
export class CommitConflictError extends ForesightError {
  constructor(message: string) {
    super('COMMIT_CONFLICT', message);
    this.name = 'CommitConflictError';
  }
}

/** Files an edit may read: YAML (manifests, patches, values, policies, the mapping). */
export const isRepoTextFile = (p: string): boolean => /\.ya?ml$/.test(p) || p.endsWith('/Kustomization') || p === 'Kustomization';

/** Parses "Name <email>" (git's author form). */
export function parseAuthor(s: string): Author | undefined {
  const m = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(s);
  return m ? { name: m[1], email: m[2] } : undefined;
}

/** The `Recommendation-Id:` trailers of a commit message. */
export function recommendationIds(message: string): string[] {
  return message
    .split('\n')
    .map((l) => /^Recommendation-Id: (\S+)\s*$/.exec(l.trim())?.[1])
    .filter((x): x is string => x !== undefined);
}

/**
 * The text files of a checkout (working tree), skipping .git and symbolic links (never followed
 * out of the repository). A file above the size limit is not read: it is a placeholder that the
 * manifest and policy readers report as too large (yaml-limits.ts).
 */
export function readRepoFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(root, dir))) {
      if (dir === '' && e === '.git') continue;
      const rel = dir ? `${dir}/${e}` : e;
      const st = lstatSync(path.join(root, rel));
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) walk(rel);
      else if (isRepoTextFile(rel)) files.set(rel, st.size > MAX_YAML_BYTES ? oversizedPlaceholder(st.size) : readFileSync(path.join(root, rel), 'utf8'));
    }
  };
  walk('');
  return files;
}
