/**
 * A Git remote over HTTP with basic authentication, as a Git host serves one: the real
 * `git http-backend` (git-http-backend(1)) run as a CGI behind a small Node server that asks
 * for credentials (401 + WWW-Authenticate) and checks them. Records what it was sent.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalGitBackend } from '../../src/committer/local-backend.js';

export class GitHttpServer {
  private server!: Server;
  url = '';
  /** requests that came with the right credentials / without or with wrong ones */
  authorized = 0;
  refused = 0;

  constructor(
    private readonly root: string,
    private readonly user: string,
    private readonly password: string,
  ) {}

  async start(): Promise<void> {
    const expected = `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
    this.server = createServer((req, res) => {
      if (req.headers.authorization !== expected) {
        this.refused++;
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="gitops"' }).end();
        return;
      }
      this.authorized++;
      const u = new URL(req.url ?? '/', 'http://x');
      const cgi = spawn('git', ['http-backend'], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: this.root,
          GIT_HTTP_EXPORT_ALL: '1',
          REMOTE_USER: this.user,
          PATH_INFO: u.pathname,
          QUERY_STRING: u.search.slice(1),
          REQUEST_METHOD: req.method ?? 'GET',
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
          GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        },
      });
      req.pipe(cgi.stdin);
      let head = Buffer.alloc(0);
      let sent = false;
      cgi.stdout.on('data', (d: Buffer) => {
        if (sent) return void res.write(d);
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of head.subarray(0, end).toString().split('\r\n')) {
          const i = line.indexOf(':');
          const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
          if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
          else headers[k] = v;
        }
        res.writeHead(status, headers);
        res.write(head.subarray(end + 4));
        sent = true;
      });
      cgi.on('close', () => res.end());
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** The push the credential tests make: the seeded payments Deployment's maxReplicas 8 → 9 on main, by the local backend; its commit sha. */
export function pushPaymentsMaxReplicas(backend: LocalGitBackend): Promise<string | undefined> {
  return backend.commit({
    branch: 'main',
    base: 'main',
    author: { name: 'Foresight', email: 'bot@example.com' },
    edit: (files) => ({
      changed: new Map([['apps/payments/payments.yaml', files.get('apps/payments/payments.yaml')!.replace('maxReplicas: 8', 'maxReplicas: 9')]]),
      message: 'foresight: payments maxReplicas 8→9',
    }),
  });
}
