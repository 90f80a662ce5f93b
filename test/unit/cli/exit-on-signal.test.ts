/**
 * A one-shot command stopped by a signal (Ctrl-C, a kill) still runs its exit cleanup: the real
 * CLI exits with the shell's code for the signal and its private folder is gone; a command with
 * a handler of its own (a service) still stops gracefully.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('a one-shot command stopped by a signal', () => {
  const dir = tempDir('foresight-exit-on-signal-');
  // the private folder made before the command waits, as the demo's git configuration makes it
  // (no other one-shot command makes one without the stack)
  const preload = path.join(dir, 'preload.mjs');
  const privateDirModule = new URL('../../../src/util/private-dir.js', import.meta.url).href;
  writeFileSync(
    preload,
    `import { privateFile } from ${JSON.stringify(privateDirModule)};\nprocess.stdout.write('private file ' + privateFile('probe', 'x') + '\\n');\n`,
  );

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: removes its private folder and ends by ${signal} (a shell's loop stops on it)`, async () => {
      // a Redis that accepts the connection and never answers (a hung one): export-history waits on it
      let asked!: () => void;
      const waiting = new Promise<void>((resolve) => (asked = resolve));
      const sockets: net.Socket[] = [];
      const server = net.createServer((s) => {
        sockets.push(s);
        s.on('data', () => asked());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const tmp = path.join(dir, signal);
      mkdirSync(tmp);
      const proc = startCli(['export-history', '--out', path.join(dir, `out-${signal}`)], {
        NODE_OPTIONS: `--import=${new URL(`file://${preload}`).href}`,
        TMPDIR: tmp,
        FORESIGHT_REDIS_URL: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        FORESIGHT_REDIS_CLUSTER_NODES: '',
      });
      try {
        await proc.waitForOutput('private file ', 30_000);
        await waiting;
        const file = /private file (\S+)/.exec(proc.output())![1];
        assert.ok(existsSync(file), 'the private file is there while the command waits');
        proc.child.kill(signal);
        const exited = await proc.exited;
        assert.equal(existsSync(path.dirname(file)), false, `${path.dirname(file)} was removed at exit`);
        assert.equal(exited, signal, proc.output());
        assert.deepEqual(readdirSync(tmp), []);
      } finally {
        if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }
});

describe('a command with a handler of its own, as a service', () => {
  // the CLI's handlers first, then the command's, as main.ts and runService install them
  const script = `import { exitOnSignal } from ${JSON.stringify(new URL('../../../src/cli/exit-on-signal.js', import.meta.url).href)};
exitOnSignal();
exitOnSignal(); // a second call installs nothing more
// as runService: either signal starts the graceful stop; its handlers go, a repeat within 0.5 s is ignored
const ignore = () => {};
const onSignal = () => {
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
  process.on('SIGTERM', ignore);
  process.on('SIGINT', ignore);
  setTimeout(() => { process.removeListener('SIGTERM', ignore); process.removeListener('SIGINT', ignore); }, 500).unref();
  console.log('stopping gracefully');
  setTimeout(() => { console.log('stopped'); process.exit(0); }, 1500);
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
console.log('ready');
setInterval(() => {}, 1000);`;
  const start = (): { output: () => string; when: (text: string) => Promise<void>; kill: (s: NodeJS.Signals) => void; exited: Promise<number | string> } => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const when = async (text: string): Promise<void> => {
      for (const deadline = Date.now() + 10_000; !out.includes(text);) {
        assert.ok(Date.now() < deadline, `no ${JSON.stringify(text)} in ${JSON.stringify(out)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { output: () => out, when, kill: (s) => child.kill(s), exited };
  };

  it('is left to stop gracefully: the CLI does not exit under it', async () => {
    const proc = start();
    await proc.when('ready');
    proc.kill('SIGTERM');
    assert.equal(await proc.exited, 0);
    assert.match(proc.output(), /stopping gracefully\nstopped\n/);
  });

  for (const [first, second] of [
    ['SIGTERM', 'SIGTERM'],
    ['SIGINT', 'SIGTERM'],
  ] as const) {
    it(`a second signal while it stops (${first}, then ${second}) ends it at once, by that signal`, async () => {
      const proc = start();
      await proc.when('ready');
      proc.kill(first);
      await proc.when('stopping gracefully');
      await new Promise((r) => setTimeout(r, 700)); // past the half second in which a repeat is ignored
      proc.kill(second);
      assert.equal(await proc.exited, second);
      assert.doesNotMatch(proc.output(), /stopped/);
    });
  }

  it("a repeat within half a second (the terminal's SIGINT and the one npm forwards) does not cut the stop short", async () => {
    const proc = start();
    await proc.when('ready');
    proc.kill('SIGINT');
    proc.kill('SIGINT');
    assert.equal(await proc.exited, 0);
    assert.match(proc.output(), /stopped/);
  });
});
