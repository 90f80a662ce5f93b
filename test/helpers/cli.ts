/** Running `foresight` as a child process, as a user (or Kubernetes) would. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/util/paths.js';

export const FORESIGHT_BIN = path.join(PROJECT_ROOT, 'bin', 'foresight.js');

export interface RunningCli {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when a line containing `text` has been written. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [FORESIGHT_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString('utf8');
    for (const w of [...waiters]) {
      if (out.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    output: () => out,
    exited,
    waitForOutput(text, timeoutMs = 60_000) {
      if (out.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(text)}; output so far:\n${out.slice(-3000)}`)),
          timeoutMs,
        );
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push({ text, resolve: done });
        void exited.then((code) => {
          if (waiters.some((w) => w.resolve === done)) {
            clearTimeout(timer);
            reject(new Error(`foresight ${args.join(' ')} exited (${code}) before writing ${JSON.stringify(text)}; output:\n${out.slice(-3000)}`));
          }
        });
      });
    },
  };
}

export function runCli(args: string[], env: Record<string, string>, timeoutMs = 120_000): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [FORESIGHT_BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}
