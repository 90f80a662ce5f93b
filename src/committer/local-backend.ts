/**
 * The local Git backend, the embedded default: a working clone of a repository reachable by
 * path or URL (the demo uses a bare repository on disk). Commits are pushed with retry: a
 * non-fast-forward push resets to the new remote tip and runs the edit again (plan, validation,
 * stale check on what is there now), never a rebase; after the retries the conflict is
 * reported. A push the remote refuses (branch protection, a hook) is reported at once. Never
 * forced, except the bot's own review branch when it is rebuilt on its base. Every push is a
 * compare-and-swap (`--force-with-lease` on the tip the edit saw, which our commit descends
 * from unless the review branch is rebuilt): a branch that moved, even back to an ancestor, is
 * recomputed.
 *
 * Pull requests: a local bare repository has no such thing, so the backend keeps them as JSON
 * records in `<bare repo>/foresight-pull-requests/` (one per branch, with number, title, body,
 * labels), as a Git server keeps them beside the repository. Needs a path (or file://) remote
 * for that: with a network remote a critical change is dead-lettered as `review-unavailable`
 * (warned at start), never pushed to a branch no pull request will show.
 *
 * git runs with an explicit environment (git-env.ts), and a password in the remote URL reaches
 * it through GIT_ASKPASS, never argv (git-credentials.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { Logger } from '../telemetry/log.js';
import { ForesightError } from '../util/errors.js';
import { GIT_ENV_UNSAFE, gitEnv } from './git-env.js';
import { askpassScript, remoteAccess, type GitRemoteAccess } from './git-credentials.js';
import {
  CommitConflictError,
  CommitRefusedError,
  isRefusal,
  readRepoFiles,
  recommendationIds,
  type CommitRequest,
  type GitOpsBackend,
  type PullRequest,
  type PullRequestRequest,
  type ReviewState,
} from './backend.js';

export interface LocalBackendOptions {
  /** the repository pushed to: a path (a bare repository) or a URL */
  remote: string;
  /** the working clone (created on first use) */
  workdir: string;
  retries?: number;
}

export class LocalGitBackend implements GitOpsBackend {
  readonly name = 'local';
  private git!: SimpleGit;
  private readonly retries: number;
  private readonly access: GitRemoteAccess;
  /** the remote's folder on this machine (a path or a file:// URL), where its pull requests are kept; undefined for a network remote */
  private readonly remoteDir: string | undefined;
  readonly noPullRequests: string | undefined;

  private constructor(
    private readonly o: LocalBackendOptions,
    private readonly log: Logger,
  ) {
    this.retries = o.retries ?? 5;
    this.access = remoteAccess(o.remote);
    const network = /^[a-z][a-z0-9+.-]*:\/\//i.test(o.remote) || /^[^/:]+@[^/:]+:/.test(o.remote); // a URL, or scp-like user@host:path
    this.remoteDir = /^file:\/\//i.test(o.remote) ? fileURLToPath(o.remote) : network ? undefined : o.remote;
    this.noPullRequests = this.remoteDir
      ? undefined
      : `the local backend keeps pull requests beside a path remote only, and FORESIGHT_GITOPS_REMOTE is ${this.access.url} (use a path, or FORESIGHT_GITOPS_BACKEND=github)`;
  }

  /** simple-git with the explicit environment (GIT_ASKPASS and the configuration variables are ours, so simple-git is told to allow them). */
  private client(baseDir?: string, extra: Record<string, string> = {}): SimpleGit {
    // the askpass script's path asked again each time: a /tmp cleaner may have removed it, and askpassScript() writes it again
    const access = this.access.env.GIT_ASKPASS ? { ...this.access.env, GIT_ASKPASS: askpassScript() } : this.access.env;
    return simpleGit({ baseDir, unsafe: { ...GIT_ENV_UNSAFE, allowUnsafeAskPass: true } }).env(gitEnv({ ...access, ...extra }));
  }

  static async open(o: LocalBackendOptions, log: Logger): Promise<LocalGitBackend> {
    const b = new LocalGitBackend(o, log);
    if (!existsSync(path.join(o.workdir, '.git'))) {
      mkdirSync(path.dirname(path.resolve(o.workdir)), { recursive: true });
      await b.client().clone(b.access.url, o.workdir);
      log.info({ remote: b.access.url, workdir: o.workdir }, 'cloned the GitOps repository');
    }
    if (b.noPullRequests) log.warn({ remote: b.access.url }, `critical changes will be dead-lettered as review-unavailable: ${b.noPullRequests}`);
    b.git = b.client(o.workdir);
    // a clone made before (or with a password in its URL): origin is the URL without the password
    await b.git.remote(['set-url', 'origin', b.access.url]);
    return b;
  }

  /**
   * Checks out `branch`'s remote tip (or `base`'s when it has none) as the local branch `local`,
   * discarding local leftovers: whatever a person force-pushed away is gone here too.
   */
  private async checkout(branch: string, base: string, local = branch): Promise<void> {
    await this.git.fetch(['origin', '--prune']);
    const remote = await this.remoteHas(branch);
    await this.git.raw(['checkout', '-B', local, remote ? `origin/${branch}` : `origin/${base}`]);
    await this.git.raw(['reset', '--hard']);
    await this.git.raw(['clean', '-fdq']);
  }

  private async remoteHas(branch: string): Promise<boolean> {
    const out = await this.git.raw(['branch', '-r', '--list', `origin/${branch}`]);
    return out.trim().length > 0;
  }

  private readFiles(): Map<string, string> {
    return readRepoFiles(this.o.workdir);
  }

  async snapshot(branch: string, base: string): Promise<Map<string, string>> {
    await this.checkout(branch, base);
    return this.readFiles();
  }

  async committedIds(branch: string, ids: string[]): Promise<Set<string>> {
    await this.git.fetch(['origin', '--prune']);
    if (!(await this.remoteHas(branch))) return new Set();
    const out = await this.git.raw(['log', `origin/${branch}`, '-n', '1000', '--format=%(trailers:key=Recommendation-Id,valueonly)']);
    const wanted = new Set(ids);
    return new Set(
      out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => wanted.has(l)),
    );
  }

  async commit(req: CommitRequest): Promise<string | undefined> {
    // the configured author commits and rebases (a container has no git identity of its own)
    this.git = this.client(this.o.workdir, {
      GIT_AUTHOR_NAME: req.author.name,
      GIT_AUTHOR_EMAIL: req.author.email,
      GIT_COMMITTER_NAME: req.author.name,
      GIT_COMMITTER_EMAIL: req.author.email,
    });
    for (let attempt = 1; attempt <= this.retries; attempt++) {
      // a rebuilt review branch starts from base's tip, any other from its own
      await this.checkout(req.rebuild ? req.base : req.branch, req.base, req.branch);
      // the push must find the branch where the edit saw it (a compare-and-swap): a plain push
      // would also take a branch a person force-pushed back to an ancestor of our commit
      const leased = (await this.remoteHas(req.branch)) ? (await this.git.revparse([`origin/${req.branch}`])).trim() : '';
      const content = req.edit(this.readFiles());
      if (!content || content.changed.size === 0) return undefined;
      for (const [rel, text] of content.changed) {
        const abs = path.join(this.o.workdir, rel);
        mkdirSync(path.dirname(abs), { recursive: true });
        writeFileSync(abs, text);
      }
      await this.git.add([...content.changed.keys()]);
      // files written with the text they already had: nothing to commit (the change is in force), not a failed commit
      if ((await this.git.raw(['diff', '--cached', '--name-only'])).trim() === '') return undefined;
      const before = (await this.git.revparse(['HEAD'])).trim();
      await this.git.commit(content.message, undefined, { '--author': `${req.author.name} <${req.author.email}>`, '--cleanup': 'verbatim' });
      await this.checkCommitted(before, req.branch);
      try {
        await this.git.raw(['push', 'origin', `--force-with-lease=refs/heads/${req.branch}:${leased}`, `HEAD:refs/heads/${req.branch}`]);
        return (await this.git.revparse(['HEAD'])).trim();
      } catch (err) {
        const text = String(err);
        if (isRefusal(text)) throw new CommitRefusedError(`the remote refused the push to ${req.branch}: ${refusalLine(text)}`);
        if (!/non-fast-forward|fetch first|stale info|\[rejected\]/i.test(text)) throw err;
        // never a rebase: it would replay every local commit not on the new tip, a person's
        // force-pushed-away commits included, and push an edit nobody re-validated
        this.log.info({ branch: req.branch, attempt }, 'the branch moved: recomputing the change on its new tip');
      }
    }
    throw new CommitConflictError(`could not commit to ${req.branch} after ${this.retries} attempts: the branch kept moving`);
  }

  /**
   * That `git commit` made a commit: HEAD moved to a new commit whose parent is `before`.
   * simple-git was seen to report a commit that failed without a word on stderr as done; the
   * push would then have pushed the old tip ("Everything up-to-date") and the recommendation
   * been counted as committed. A failed commit is an error, as one git reports itself is.
   */
  private async checkCommitted(before: string, branch: string): Promise<void> {
    const [head, parent] = (await this.git.raw(['log', '-1', '--format=%H%n%P', 'HEAD'])).trim().split('\n');
    if (head !== before && parent?.split(' ')[0] === before) return;
    throw new ForesightError(
      'COMMIT_FAILED',
      head === before
        ? `git commit on ${branch} reported success but made no commit (HEAD is still ${before}): nothing was pushed`
        : `git commit on ${branch} left HEAD at ${head}, whose parent is ${parent || 'none'}, not ${before}: nothing was pushed`,
      { retriable: true },
    );
  }

  private prDir(): string {
    if (!this.remoteDir || !existsSync(this.remoteDir)) throw new Error(`pull requests need a local path remote; ${this.access.url} is not one`);
    return path.join(this.remoteDir, 'foresight-pull-requests');
  }

  async ensurePullRequest(req: PullRequestRequest): Promise<PullRequest> {
    const dir = this.prDir();
    mkdirSync(dir, { recursive: true });
    const file = this.prFile(req.branch);
    const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { number: number; state: string }) : undefined;
    const open = existing?.state === 'open' ? existing : undefined;
    if (open && req.keepExisting) return { number: open.number, url: `file://${file}`, created: false };
    // a new number past every recorded one (a closed pull request's record is replaced by its branch's next)
    const number = open?.number ?? Math.max(0, ...LocalGitBackend.pullRequests(this.remoteDir!).map((p) => p.number)) + 1;
    writeFileSync(
      file,
      `${JSON.stringify({ number, state: 'open', head: req.branch, base: req.base, title: req.title, body: req.body, labels: req.labels, updatedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    return { number, url: `file://${file}`, created: !open };
  }

  private prFile(branch: string): string {
    return path.join(this.prDir(), `${branch.replaceAll('/', '__')}.json`);
  }

  async pullRequestOf(branch: string): Promise<ReviewState | undefined> {
    if (!this.remoteDir) return undefined;
    const file = this.prFile(branch);
    if (!existsSync(file)) return undefined;
    const pr = JSON.parse(readFileSync(file, 'utf8')) as { number: number; state: 'open' | 'closed' };
    return { number: pr.number, url: `file://${file}`, state: pr.state };
  }

  async tipMessage(branch: string): Promise<string | undefined> {
    await this.git.fetch(['origin', '--prune']);
    if (!(await this.remoteHas(branch))) return undefined;
    return this.git.raw(['log', '-1', '--format=%B', `origin/${branch}`]);
  }

  async closePullRequest(number: number, comment: string): Promise<void> {
    const dir = this.prDir();
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      const pr = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { number: number; state: string; comments?: string[] };
      if (pr.number !== number || pr.state !== 'open') continue;
      writeFileSync(
        path.join(dir, f),
        `${JSON.stringify({ ...pr, state: 'closed', comments: [...(pr.comments ?? []), comment], updatedAt: new Date().toISOString() }, null, 2)}\n`,
      );
    }
  }

  /** The pull requests recorded for a local path remote (for the demo and tests), by number (a directory lists its files in no set order). */
  static pullRequests(remote: string): { number: number; state: 'open' | 'closed'; head: string; title: string; body: string; labels: string[] }[] {
    const dir = path.join(remote, 'foresight-pull-requests');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map(
        (f) =>
          JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as {
            number: number;
            state: 'open' | 'closed';
            head: string;
            title: string;
            body: string;
            labels: string[];
          },
      )
      .sort((a, b) => a.number - b.number);
  }

  /**
   * The newest commit on `branch` of a local repository that carries one of `ids` as its
   * Recommendation-Id trailer (for the demo: the commit of one workload's changes, which need not
   * be the branch head), or undefined when none does.
   */
  static newestCommitWith(repo: string, branch: string, ids: ReadonlySet<string>): { sha: string; subject: string; id: string } | undefined {
    // one record per commit: hash, subject and the whole message, fields split by NUL, records by RS
    const log = execFileSync('git', ['-C', repo, 'log', '--format=%H%x00%s%x00%B%x1e', branch], { encoding: 'utf8', env: gitEnv(), maxBuffer: 256 * 2 ** 20 });
    for (const record of log.split('\x1e')) {
      const [sha, subject, message] = record.replace(/^\n/, '').split('\x00');
      const id = message === undefined ? undefined : recommendationIds(message).find((x) => ids.has(x));
      if (id) return { sha, subject, id };
    }
    return undefined;
  }

  async close(): Promise<void> {}
}

/** The line of git's output that says why the remote refused (a hook's message, or the `[remote rejected]` line). */
function refusalLine(text: string): string {
  const lines = text.split('\n').map((l) => l.replace(/^remote:\s*/, '').trim());
  return lines.find((l) => /GH006|protected branch/i.test(l)) ?? lines.find((l) => /remote rejected|declined/i.test(l)) ?? lines[0];
}
