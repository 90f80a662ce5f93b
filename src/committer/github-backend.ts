/**
 * The GitHub backend, through @octokit/rest. A commit is atomic however many files it touches:
 * the Git Data API builds it (blobs → tree on the base tree → commit → ref update without
 * force; the bot's own review branch, rebuilt on its base, is force-updated); a ref that moved meanwhile (422 "not a fast forward") or a 409 makes it re-read the
 * branch and recompute the edit, then report after the retries. Pull requests are found by
 * head branch and updated, or created, and labelled.
 *
 * Every request goes through one hook that honours rate limits and retries server errors:
 *   - 403/429 with `x-ratelimit-remaining: 0` → wait until `x-ratelimit-reset` (epoch seconds);
 *   - 403/429 with `retry-after` → wait that many seconds (secondary rate limits);
 *   - a secondary rate limit without `retry-after` (a 429, or a 403 whose message says so) →
 *     wait a minute, then twice as long at each attempt (GitHub's rule: at least a minute);
 *   - 5xx and network errors → exponential backoff;
 * each bounded by `maxWaitMs`, then the error stands. The token is given to Octokit only; it is
 * never logged: Octokit redacts it from request headers, and since a response body may echo it
 * (an error message quoting the credentials), it is registered with the log scrubber, which
 * replaces it in every line (telemetry/log.ts).
 */
import { Octokit } from '@octokit/rest';
import { addSecret, type Logger } from '../telemetry/log.js';
import { backoffDelayMs, retry } from '../util/retry.js';
import { MAX_YAML_BYTES, oversizedPlaceholder } from '../util/yaml-limits.js';
import {
  CommitConflictError,
  CommitRefusedError,
  isRefusal,
  isRepoTextFile,
  recommendationIds,
  type CommitRequest,
  type GitOpsBackend,
  type PullRequest,
  type PullRequestRequest,
  type ReviewState,
} from './backend.js';

export interface GitHubBackendOptions {
  /** owner/name */
  repository: string;
  token: string;
  apiUrl?: string;
  retries?: number;
  /** the longest wait for a rate limit reset before giving up (default 15 minutes) */
  maxWaitMs?: number;
  /** first backoff after a server error (default 500 ms, doubling) */
  backoffMs?: number;
}

interface HttpError {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** GitHub's rule for a secondary rate limit that names no wait: at least a minute, then longer. */
export const SECONDARY_LIMIT_WAIT_MS = 60_000;

/** How long to wait before retrying a failed request, or undefined to give up. */
export function retryDelayMs(err: unknown, attempt: number, o: { retries: number; maxWaitMs: number; backoffMs: number; now?: number }): number | undefined {
  if (attempt >= o.retries) return undefined;
  const e = err as HttpError;
  const status = e.status ?? 0;
  const h = e.response?.headers ?? {};
  if (status === 403 || status === 429) {
    const retryAfter = Number(h['retry-after']);
    if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000 <= o.maxWaitMs ? retryAfter * 1000 : undefined;
    if (String(h['x-ratelimit-remaining']) === '0') {
      const reset = Number(h['x-ratelimit-reset']) * 1000;
      const wait = Math.max(0, reset - (o.now ?? Date.now())) + 250;
      return Number.isFinite(wait) && wait <= o.maxWaitMs ? wait : undefined;
    }
    // a secondary rate limit without retry-after (its message says so; a 429 is always a limit):
    // wait at least a minute, doubling at each attempt
    const data = e.response?.data as { message?: unknown } | undefined;
    if (status === 429 || /secondary rate limit|abuse detection/i.test(`${e.message ?? ''} ${String(data?.message ?? '')}`)) {
      const wait = SECONDARY_LIMIT_WAIT_MS * 2 ** attempt;
      return wait <= o.maxWaitMs ? wait : undefined;
    }
    return undefined; // a real permission error
  }
  if (status >= 500 || status === 0) return backoffDelayMs(attempt, o.backoffMs);
  return undefined;
}

export class GitHubBackend implements GitOpsBackend {
  readonly name = 'github';
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;
  private readonly blobs = new Map<string, string>();
  private readonly retries: number;

  constructor(
    private readonly o: GitHubBackendOptions,
    private readonly log: Logger,
  ) {
    [this.owner, this.repo] = o.repository.split('/');
    addSecret(o.token);
    this.retries = o.retries ?? 5;
    this.octokit = new Octokit({
      auth: o.token,
      baseUrl: o.apiUrl ?? 'https://api.github.com',
      userAgent: 'foresight-committer',
      log: { debug: () => undefined, info: () => undefined, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
    });
    const limits = { retries: this.retries, maxWaitMs: o.maxWaitMs ?? 15 * 60_000, backoffMs: o.backoffMs ?? 500 };
    this.octokit.hook.wrap('request', (request, options) =>
      retry(async () => request(options), {
        retries: limits.retries,
        delayMs: (err, attempt) => retryDelayMs(err, attempt, limits),
        onRetry: (err, attempt, waitMs) =>
          log.warn({ status: (err as HttpError).status, route: `${options.method} ${options.url}`, waitMs, attempt }, 'GitHub request failed: retrying'),
      }),
    );
  }

  private get r(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }

  /** The commit sha at the tip of `branch`, or undefined when the branch does not exist. */
  private async tip(branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.r, ref: `heads/${branch}` });
      return data.object.sha;
    } catch (err) {
      if ((err as HttpError).status === 404) return undefined;
      throw err;
    }
  }

  private async filesAt(commitSha: string): Promise<{ tree: string; files: Map<string, string> }> {
    const { data: commit } = await this.octokit.rest.git.getCommit({ ...this.r, commit_sha: commitSha });
    const { data: tree } = await this.octokit.rest.git.getTree({ ...this.r, tree_sha: commit.tree.sha, recursive: 'true' });
    if (tree.truncated) this.log.warn({ commit: commitSha }, 'the repository tree is truncated by GitHub: files beyond the limit are not seen');
    const files = new Map<string, string>();
    for (const e of tree.tree) {
      if (e.type !== 'blob' || !e.path || !e.sha || !isRepoTextFile(e.path) || e.mode === '120000') continue;
      if (e.size !== undefined && e.size > MAX_YAML_BYTES) {
        files.set(e.path, oversizedPlaceholder(e.size)); // not fetched: reported as too large
        continue;
      }
      let text = this.blobs.get(e.sha);
      if (text === undefined) {
        const { data: blob } = await this.octokit.rest.git.getBlob({ ...this.r, file_sha: e.sha });
        text = Buffer.from(blob.content, blob.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
        this.blobs.set(e.sha, text);
      }
      files.set(e.path, text);
    }
    return { tree: commit.tree.sha, files };
  }

  async snapshot(branch: string, base: string): Promise<Map<string, string>> {
    const sha = (await this.tip(branch)) ?? (await this.tip(base));
    if (!sha) throw new Error(`neither ${branch} nor ${base} exists in ${this.o.repository}`);
    return (await this.filesAt(sha)).files;
  }

  async committedIds(branch: string, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (!(await this.tip(branch))) return found;
    const wanted = new Set(ids);
    // the last 500 commits of the branch (5 pages): a redelivery comes long before that
    for (let page = 1; page <= 5 && found.size < wanted.size; page++) {
      const { data } = await this.octokit.rest.repos.listCommits({ ...this.r, sha: branch, per_page: 100, page });
      for (const c of data) for (const id of recommendationIds(c.commit.message)) if (wanted.has(id)) found.add(id);
      if (data.length < 100) break;
    }
    return found;
  }

  async commit(req: CommitRequest): Promise<string | undefined> {
    for (let attempt = 1; attempt <= this.retries; attempt++) {
      const existing = await this.tip(req.branch);
      // a rebuilt review branch starts from base's tip, any other from its own
      const parent = req.rebuild ? await this.tip(req.base) : (existing ?? (await this.tip(req.base)));
      if (!parent) throw new Error(`neither ${req.branch} nor ${req.base} exists in ${this.o.repository}`);
      const { tree: baseTree, files } = await this.filesAt(parent);
      const content = req.edit(files);
      if (!content || content.changed.size === 0) return undefined;
      const entries = [];
      for (const [p, text] of content.changed) {
        const { data: blob } = await this.octokit.rest.git.createBlob({ ...this.r, content: text, encoding: 'utf-8' });
        entries.push({ path: p, mode: '100644' as const, type: 'blob' as const, sha: blob.sha });
      }
      const { data: tree } = await this.octokit.rest.git.createTree({ ...this.r, base_tree: baseTree, tree: entries });
      const { data: commit } = await this.octokit.rest.git.createCommit({
        ...this.r,
        message: content.message,
        tree: tree.sha,
        parents: [parent],
        author: { ...req.author, date: new Date().toISOString() },
      });
      try {
        // the forced update of the bot's own review branch: only if it is still where the edit saw it
        // (GitHub has no compare-and-swap for a forced update; the window is this one request)
        if (req.rebuild && existing && (await this.tip(req.branch)) !== existing) throw Object.assign(new Error('the review branch moved'), { status: 409 });
        if (existing) await this.octokit.rest.git.updateRef({ ...this.r, ref: `heads/${req.branch}`, sha: commit.sha, force: req.rebuild === true });
        else await this.octokit.rest.git.createRef({ ...this.r, ref: `refs/heads/${req.branch}`, sha: commit.sha });
        return commit.sha;
      } catch (err) {
        const status = (err as HttpError).status;
        if (status !== 422 && status !== 409) throw err;
        // branch protection (422 "Protected branch update failed", GH006) is no moved branch: retrying cannot help
        if (isRefusal(String((err as Error).message)))
          throw new CommitRefusedError(`GitHub refused the update of ${req.branch}: ${String((err as Error).message).split(' - ')[0]}`);
        this.log.warn({ branch: req.branch, status, attempt }, 'the branch moved while committing: recomputing the change on its new tip');
      }
    }
    throw new CommitConflictError(`could not update ${req.branch} in ${this.o.repository} after ${this.retries} attempts: the branch kept moving`);
  }

  async ensurePullRequest(req: PullRequestRequest): Promise<PullRequest> {
    const { data: open } = await this.octokit.rest.pulls.list({ ...this.r, head: `${this.owner}:${req.branch}`, base: req.base, state: 'open' });
    let pr: { number: number; html_url: string };
    let created = false;
    if (open.length > 0 && req.keepExisting) return { number: open[0].number, url: open[0].html_url, created: false };
    if (open.length > 0) {
      pr = (await this.octokit.rest.pulls.update({ ...this.r, pull_number: open[0].number, title: req.title, body: req.body })).data;
    } else {
      try {
        pr = (await this.octokit.rest.pulls.create({ ...this.r, head: req.branch, base: req.base, title: req.title, body: req.body })).data;
        created = true;
      } catch (err) {
        // 422: a pull request for this head exists after all (opened concurrently): update it
        if ((err as HttpError).status !== 422) throw err;
        const { data: again } = await this.octokit.rest.pulls.list({ ...this.r, head: `${this.owner}:${req.branch}`, base: req.base, state: 'open' });
        if (again.length === 0) throw err;
        pr = (await this.octokit.rest.pulls.update({ ...this.r, pull_number: again[0].number, title: req.title, body: req.body })).data;
      }
    }
    if (req.labels.length > 0) await this.octokit.rest.issues.addLabels({ ...this.r, issue_number: pr.number, labels: req.labels });
    return { number: pr.number, url: pr.html_url, created };
  }

  async pullRequestOf(branch: string, base: string): Promise<ReviewState | undefined> {
    const { data } = await this.octokit.rest.pulls.list({ ...this.r, head: `${this.owner}:${branch}`, base, state: 'all', sort: 'created', direction: 'desc' });
    const newest = [...data].sort((a, b) => b.number - a.number)[0];
    return newest ? { number: newest.number, url: newest.html_url, state: newest.state === 'open' ? 'open' : 'closed' } : undefined;
  }

  async tipMessage(branch: string): Promise<string | undefined> {
    const sha = await this.tip(branch);
    if (!sha) return undefined;
    return (await this.octokit.rest.git.getCommit({ ...this.r, commit_sha: sha })).data.message;
  }

  async closePullRequest(number: number, comment: string): Promise<void> {
    await this.octokit.rest.issues.createComment({ ...this.r, issue_number: number, body: comment });
    await this.octokit.rest.pulls.update({ ...this.r, pull_number: number, state: 'closed' });
  }

  async close(): Promise<void> {}
}
