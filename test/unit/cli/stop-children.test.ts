/**
 * A command running services as children (the demo) stops them when it is signalled alone, and
 * exits only once they are gone: no processor or committer left running without a parent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../helpers/temp-dir.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ChildServices', () => {
  const dir = tempDir('foresight-stop-children-');
  const module = new URL('../../../src/cli/stop-children.js', import.meta.url).href;
  // a service: stops 300 ms after SIGTERM (its graceful shutdown), or never when told to ignore it
  const service = path.join(dir, 'service.mjs');
  writeFileSync(
    service,
    `const mode = process.argv[2];
if (mode === 'stubborn') process.on('SIGTERM', () => console.log('child ignores SIGTERM'));
else process.on('SIGTERM', () => { console.log('child got SIGTERM'); setTimeout(() => process.exit(0), mode === 'slow' ? 600 : 300); });
setInterval(() => {}, 1000);
console.log('child ready');\n`,
  );
  // the command: starts the service, stops it on a signal, and otherwise waits
  const command = path.join(dir, 'command.mjs');
  writeFileSync(
    command,
    `import { spawn } from 'node:child_process';
import { ChildServices } from ${JSON.stringify(module)};
// a process group of its own, as the demo starts its services
const child = spawn(process.execPath, [${JSON.stringify(service)}, process.argv[2] ?? ''], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
child.on('exit', (code, signal) => console.log('child exited ' + (signal ?? code)));
const guard = new ChildServices([child], 'the service', 1000);
// as the demo's own end (its finally) may run while a signal's stop is under way: it must not signal the child again
if (process.argv[2] === 'slow') process.on('SIGTERM', () => setTimeout(() => void guard.stop(), 200));
console.log('child pid ' + child.pid);
setInterval(() => {}, 1000);
// the demo's flow: a step every 50 ms, each after guard.check(); halted by a signal, it prints nothing more
if (process.argv[2] === 'steps')
  await guard.runFlow(
    async () => {
      for (let i = 0; ; i++) {
        guard.check();
        console.log('step ' + i);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async () => undefined,
  );\n`,
  );

  const run = async (signal: NodeJS.Signals, mode = '', group = false): Promise<{ code: number | string | null; out: string; childPid: number }> => {
    // its own process group: the signal reaches the command alone, as `kill PID` does
    const proc = spawn(process.execPath, [command, mode], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | string | null>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? sig)));
    const deadline = Date.now() + 20_000;
    while (!/child ready/.test(out) || !/child pid \d+/.test(out)) {
      assert.ok(Date.now() < deadline, `the command did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const childPid = Number(/child pid (\d+)/.exec(out)![1]);
    if (mode === 'steps')
      while (!/step 2/.test(out)) {
        assert.ok(Date.now() < deadline, `the command printed no steps:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    if (group)
      process.kill(-proc.pid!, signal); // Ctrl-C in a terminal: the whole foreground group
    else proc.kill(signal);
    const code = await exited;
    return { code, out, childPid };
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the command alone: the child gets SIGTERM, stops, and then the command ends by ${signal}`, async () => {
      const r = await run(signal);
      assert.equal(r.code, signal, r.out);
      assert.match(r.out, /child got SIGTERM/);
      assert.match(r.out, new RegExp(`${signal}: stopping the service \\(pid ${r.childPid}\\)`));
      assert.equal(alive(r.childPid), false, `child ${r.childPid} still running:\n${r.out}`);
    });
  }

  it('a child that ignores SIGTERM is killed after the grace period', async () => {
    const r = await run('SIGTERM', 'stubborn');
    assert.equal(r.code, 'SIGTERM', r.out);
    assert.match(r.out, /child ignores SIGTERM/);
    assert.match(r.out, /still running after 1 s: SIGKILL/);
    assert.equal(alive(r.childPid), false, `child ${r.childPid} still running:\n${r.out}`);
  });

  it("Ctrl-C to the command's whole group: the child gets one SIGTERM and stops cleanly (a second signal would cut its stop short)", async () => {
    const r = await run('SIGINT', '', true);
    assert.equal(r.code, 'SIGINT', r.out);
    assert.equal(r.out.match(/child got SIGTERM/g)?.length, 1, r.out);
    assert.match(r.out, /child exited 0/);
    assert.equal(alive(r.childPid), false);
  });

  it("the command's own steps halt at the signal: none is printed while the child stops, and the command ends by the signal", async () => {
    const r = await run('SIGTERM', 'steps');
    assert.equal(r.code, 'SIGTERM', r.out);
    // the child shares the command's stdout: a step written after the stop began comes after its line
    const afterStop = r.out.slice(r.out.indexOf('child got SIGTERM'));
    assert.match(afterStop, /child exited 0/);
    assert.doesNotMatch(afterStop, /step \d+/, r.out);
    assert.equal(alive(r.childPid), false);
  });

  it("the command's own end while a signal's stop is under way sends no second SIGTERM (a service takes one as 'stop at once')", async () => {
    const r = await run('SIGTERM', 'slow');
    assert.equal(r.code, 'SIGTERM', r.out);
    assert.equal(r.out.match(/child got SIGTERM/g)?.length, 1, r.out);
    assert.match(r.out, /child exited 0/);
  });
});
