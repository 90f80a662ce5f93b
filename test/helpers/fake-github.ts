/**
 * A local HTTP server implementing the GitHub REST endpoints the committer uses, as GitHub's
 * REST documentation specifies them (paths, status codes, response shapes, 404/409/422 error
 * bodies), over an in-memory Git object store: refs, commits, trees, blobs, the commit list,
 * pull requests and labels. Faults can be queued per route, and every request is recorded.
 * It is a test double of GitHub, not of Git or Kafka: the committer's GitHub backend is the
 * code under test.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Commit {
  sha: string;
  tree: string;
  message: string;
  parents: string[];
  author: { name: string; email: string; date: string };
}
interface Pull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  comments: string[];
}

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  authorization: string | undefined;
  body: unknown;
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

export class FakeGitHub {
  readonly owner = 'acme';
  readonly repo = 'gitops';
  readonly token = 'ghp_fakeTokenThatMustNeverBeLogged0123456789';
  readonly requests: RecordedRequest[] = [];
  private readonly blobs = new Map<string, string>();
  private readonly trees = new Map<string, Map<string, string>>(); // tree sha → path → blob sha
  private readonly commits = new Map<string, Commit>();
  readonly refs = new Map<string, string>(); // branch → commit sha
  readonly pulls: Pull[] = [];
  private readonly faults: { method: string; path: RegExp; fault: Fault }[] = [];
  /** runs before a ref update is applied (to move the branch underneath, as a concurrent writer) */
  beforeRefUpdate: ((branch: string) => void) | undefined;
  private server!: Server;
  url = '';

  /** Seeds `main` with the files. */
  constructor(files: Map<string, string>) {
    const tree = this.putTree(new Map([...files].map(([p, t]) => [p, this.putBlob(t)])));
    this.refs.set(
      'main',
      this.putCommit({ tree, message: 'seed', parents: [], author: { name: 'seed', email: 'seed@example.com', date: new Date(0).toISOString() } }),
    );
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }

  /** The next request matching method and path gets this response instead. */
  fail(method: string, path: RegExp, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ method, path, fault });
  }

  putBlob(text: string): string {
    const sha = sha1(`blob ${Buffer.byteLength(text)}\0${text}`);
    this.blobs.set(sha, text);
    return sha;
  }

  private putTree(entries: Map<string, string>): string {
    const sha = sha1(`tree ${JSON.stringify([...entries].sort())}`);
    this.trees.set(sha, entries);
    return sha;
  }

  private putCommit(c: Omit<Commit, 'sha'>): string {
    const sha = sha1(`commit ${JSON.stringify(c)}`);
    this.commits.set(sha, { ...c, sha });
    return sha;
  }

  /** A file's text at a branch's tip. */
  file(branch: string, path: string): string | undefined {
    const c = this.commits.get(this.refs.get(branch)!)!;
    const blob = this.trees.get(c.tree)!.get(path);
    return blob === undefined ? undefined : this.blobs.get(blob);
  }

  /** Commits reachable from a branch, newest first (first-parent). */
  log(branch: string): Commit[] {
    const out: Commit[] = [];
    for (let sha: string | undefined = this.refs.get(branch); sha; sha = this.commits.get(sha)!.parents[0]) out.push(this.commits.get(sha)!);
    return out;
  }

  /** A commit on a branch made by someone else (moves the branch). */
  commitAs(branch: string, path: string, text: string): void {
    const parent = this.commits.get(this.refs.get(branch)!)!;
    const entries = new Map(this.trees.get(parent.tree)!);
    entries.set(path, this.putBlob(text));
    this.refs.set(
      branch,
      this.putCommit({
        tree: this.putTree(entries),
        message: `edit ${path}`,
        parents: [parent.sha],
        author: { name: 'human', email: 'human@example.com', date: new Date().toISOString() },
      }),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? JSON.parse(raw) : undefined;
    const url = new URL(req.url!, 'http://x');
    const pathname = decodeURIComponent(url.pathname); // Octokit encodes "/" in a ref as %2F; GitHub accepts both
    const method = req.method!;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      this.requests.push({ method, path: pathname + url.search, status, authorization: req.headers.authorization, body });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const error = (status: number, message: string): void =>
      send(status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });

    const fi = this.faults.findIndex((f) => f.method === method && f.path.test(pathname));
    if (fi >= 0) {
      const [{ fault }] = this.faults.splice(fi, 1);
      return send(fault.status, fault.body ?? { message: `injected ${fault.status}` }, fault.headers);
    }
    const auth = req.headers.authorization;
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`) return error(401, 'Bad credentials');
    const prefix = `/repos/${this.owner}/${this.repo}`;
    if (!pathname.startsWith(prefix)) return error(404, 'Not Found');
    const p = pathname.slice(prefix.length);
    let m: RegExpExecArray | null;

    if (method === 'GET' && (m = /^\/git\/ref\/heads\/(.+)$/.exec(p))) {
      const sha = this.refs.get(m[1]);
      return sha ? send(200, { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } }) : error(404, 'Not Found');
    }
    if (method === 'POST' && p === '/git/refs') {
      const branch = String(body.ref).replace(/^refs\/heads\//, '');
      if (this.refs.has(branch)) return error(422, 'Reference already exists');
      if (!this.commits.has(body.sha)) return error(422, 'Object does not exist');
      this.refs.set(branch, body.sha);
      return send(201, { ref: body.ref, object: { sha: body.sha, type: 'commit' } });
    }
    if (method === 'PATCH' && (m = /^\/git\/refs\/heads\/(.+)$/.exec(p))) {
      this.beforeRefUpdate?.(m[1]);
      const cur = this.refs.get(m[1]);
      if (!cur) return error(422, 'Reference does not exist');
      const c = this.commits.get(body.sha);
      if (!c) return error(422, 'Object does not exist');
      if (!body.force && !this.isAncestor(cur, body.sha)) return error(422, 'Update is not a fast forward');
      this.refs.set(m[1], body.sha);
      return send(200, { ref: `refs/heads/${m[1]}`, object: { sha: body.sha, type: 'commit' } });
    }
    if (method === 'GET' && (m = /^\/git\/commits\/([0-9a-f]{40})$/.exec(p))) {
      const c = this.commits.get(m[1]);
      return c
        ? send(200, { sha: c.sha, message: c.message, tree: { sha: c.tree }, parents: c.parents.map((sha) => ({ sha })), author: c.author })
        : error(404, 'Not Found');
    }
    if (method === 'POST' && p === '/git/commits') {
      if (!this.trees.has(body.tree)) return error(422, 'Tree SHA does not exist');
      if (!Array.isArray(body.parents) || body.parents.some((x: string) => !this.commits.has(x)))
        return error(422, 'Parent SHA does not exist or is not a commit object');
      const sha = this.putCommit({ tree: body.tree, message: body.message, parents: body.parents, author: body.author });
      return send(201, { sha, message: body.message, tree: { sha: body.tree }, parents: body.parents.map((x: string) => ({ sha: x })) });
    }
    if (method === 'GET' && (m = /^\/git\/trees\/([0-9a-f]{40})$/.exec(p))) {
      const t = this.trees.get(m[1]);
      if (!t) return error(404, 'Not Found');
      return send(200, {
        sha: m[1],
        truncated: false,
        tree: [...t].map(([path, sha]) => ({ path, mode: '100644', type: 'blob', sha, size: Buffer.byteLength(this.blobs.get(sha)!) })),
      });
    }
    if (method === 'POST' && p === '/git/trees') {
      const base = body.base_tree ? this.trees.get(body.base_tree) : new Map<string, string>();
      if (!base) return error(422, 'Invalid tree info');
      const entries = new Map(base);
      for (const e of body.tree as { path: string; sha: string; mode: string; type: string }[]) {
        if (!this.blobs.has(e.sha) || e.type !== 'blob') return error(422, 'Invalid tree info');
        entries.set(e.path, e.sha);
      }
      const sha = this.putTree(entries);
      return send(201, { sha, truncated: false, tree: [...entries].map(([path, s]) => ({ path, mode: '100644', type: 'blob', sha: s })) });
    }
    if (method === 'GET' && (m = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(p))) {
      const t = this.blobs.get(m[1]);
      return t === undefined
        ? error(404, 'Not Found')
        : send(200, {
            sha: m[1],
            size: Buffer.byteLength(t),
            encoding: 'base64',
            content: Buffer.from(t)
              .toString('base64')
              .replace(/(.{60})/g, '$1\n'),
          });
    }
    if (method === 'POST' && p === '/git/blobs') {
      const text = body.encoding === 'base64' ? Buffer.from(body.content, 'base64').toString('utf8') : body.content;
      return send(201, { sha: this.putBlob(text), url: `${this.url}${prefix}/git/blobs/x` });
    }
    if (method === 'GET' && p === '/commits') {
      const branch = url.searchParams.get('sha') ?? 'main';
      if (!this.refs.has(branch)) return error(404, `No commit found for SHA: ${branch}`);
      const n = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      return send(
        200,
        this.log(branch)
          .slice((page - 1) * n, page * n)
          .map((c) => ({ sha: c.sha, commit: { message: c.message, author: c.author, tree: { sha: c.tree } }, parents: c.parents.map((x) => ({ sha: x })) })),
      );
    }
    if (method === 'GET' && p === '/pulls') {
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      const list = this.pulls.filter((x) => (!head || `${this.owner}:${x.head}` === head) && (state === 'all' || x.state === state));
      return send(
        200,
        list.map((x) => this.pullJson(x)),
      );
    }
    if (method === 'POST' && p === '/pulls') {
      if (!this.refs.has(body.head)) return error(422, 'Validation Failed');
      if (this.pulls.some((x) => x.head === body.head && x.state === 'open'))
        return send(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${this.owner}:${body.head}.` }],
        });
      const pr: Pull = {
        number: this.pulls.length + 1,
        head: body.head,
        base: body.base,
        title: body.title,
        body: body.body ?? '',
        state: 'open',
        labels: [],
        comments: [],
      };
      this.pulls.push(pr);
      return send(201, this.pullJson(pr));
    }
    if (method === 'PATCH' && (m = /^\/pulls\/(\d+)$/.exec(p))) {
      const pr = this.pulls.find((x) => x.number === Number(m![1]));
      if (!pr) return error(404, 'Not Found');
      Object.assign(pr, { title: body.title ?? pr.title, body: body.body ?? pr.body, state: body.state ?? pr.state });
      return send(200, this.pullJson(pr));
    }
    if (method === 'POST' && (m = /^\/issues\/(\d+)\/comments$/.exec(p))) {
      const pr = this.pulls.find((x) => x.number === Number(m![1]));
      if (!pr) return error(404, 'Not Found');
      pr.comments.push(String(body.body));
      return send(201, { id: pr.comments.length, body: body.body });
    }
    if (method === 'POST' && (m = /^\/issues\/(\d+)\/labels$/.exec(p))) {
      const pr = this.pulls.find((x) => x.number === Number(m![1]));
      if (!pr) return error(404, 'Not Found');
      pr.labels = [...new Set([...pr.labels, ...(body.labels as string[])])];
      return send(
        200,
        pr.labels.map((name, id) => ({ id, name })),
      );
    }
    return error(404, 'Not Found');
  }

  private pullJson(x: Pull): unknown {
    return {
      number: x.number,
      state: x.state,
      title: x.title,
      body: x.body,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${x.number}`,
      head: { ref: x.head },
      base: { ref: x.base },
      labels: x.labels.map((name) => ({ name })),
    };
  }

  private isAncestor(ancestor: string, sha: string): boolean {
    const todo = [sha];
    while (todo.length > 0) {
      const s = todo.pop()!;
      if (s === ancestor) return true;
      todo.push(...(this.commits.get(s)?.parents ?? []));
    }
    return false;
  }
}
