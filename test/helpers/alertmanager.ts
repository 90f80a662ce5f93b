/** A real Alertmanager (Debian's prometheus-alertmanager) for one test, on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';

export interface TestAlertmanager {
  url: string;
  /** Alerts Alertmanager holds, as GET /api/v2/alerts returns them. */
  alerts(): Promise<{ labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }[]>;
  stop(): Promise<void>;
}

export function alertmanagerBinary(): string {
  const found = ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager', '/usr/local/bin/alertmanager'].find((p) => existsSync(p));
  if (!found) throw new Error("Alertmanager is not installed: scripts/install.sh installs Debian's prometheus-alertmanager");
  return found;
}

export async function startAlertmanager(): Promise<TestAlertmanager> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fs-am-'));
  writeFileSync(path.join(dir, 'alertmanager.yml'), 'route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    alertmanagerBinary(),
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', // no HA gossip for a single test instance
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not yet listening
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Alertmanager did not become ready at ${url}:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`);
      if (!res.ok) throw new Error(`GET /api/v2/alerts: HTTP ${res.status}`);
      return (await res.json()) as { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }[];
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
