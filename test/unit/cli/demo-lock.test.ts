/**
 * One demo at a time per stack folder (demo-lock.ts DemoLock): a second `foresight demo` on the
 * folder of a running one stops at once with the first one's pid, before it starts or cleans
 * anything; a lock left by a demo that died is taken over, after stopping the services it left
 * running; a pid taken again by another program is no demo.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DemoLock, stopDeadDemo } from '../../../src/cli/demo-lock.js';
import { isRunning, processStartOf } from '../../../src/local-stack/processes.js';
import { sleep } from '../../../src/util/retry.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A process whose command line holds `args` (e.g. "demo", as `foresight demo`'s does), with its start once it runs. */
async function idle(...args: string[]): Promise<{ child: ChildProcess; ref: { pid: number; start: string } }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !cmdlineHas(child.pid!, args); i++) await sleep(20);
  return { child, ref: { pid: child.pid!, start: processStartOf(child.pid!)! } };
}
const cmdlineHas = (pid: number, args: string[]): boolean => {
  try {
    const parts = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.every((a) => parts.includes(a));
  } catch {
    return false;
  }
};

describe('demo lock', () => {
  const dir = tempDir('foresight-demo-lock-');
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.kill('SIGKILL')));
  const lockIn = (name: string): { demoDir: string; file: string } => {
    const demoDir = path.join(dir, name, 'demo');
    mkdirSync(demoDir, { recursive: true });
    return { demoDir, file: path.join(demoDir, 'running') };
  };

  it('a second demo on the same stack folder stops with the running one’s pid and touches nothing', async () => {
    const running = await idle('demo');
    children.push(running.child);
    const stack = path.join(dir, 'stack');
    const { file } = lockIn('stack');
    const content = `${JSON.stringify({ ...running.ref, services: [] })}\n`;
    writeFileSync(file, content);
    const res = runCli(['demo'], { FORESIGHT_STACK_DIR: stack }, 30_000);
    assert.equal(res.status, 1, res.stdout + res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`another demo \\(pid ${running.ref.pid}\\) is running on the stack in ${stack.replace(/[.]/g, '\\.')}: wait for it.*FORESIGHT_STACK_DIR`),
    );
    assert.ok(!res.stdout.includes('starting'), res.stdout);
    assert.equal(readFileSync(file, 'utf8'), content);
    // the secured stack's advice names its own variables
    await assert.rejects(DemoLock.hold(lockIn('stack').demoDir, stack, true), /FORESIGHT_STACK_SECURE_DIR and the FORESIGHT_STACK_SECURE_\*_PORT/);
  });

  it('takes over a lock whose demo is gone (a dead pid, a pid taken again, the first one-line form), and releases its own', async () => {
    const other = await idle('demo'); // a live process with "demo" in its arguments, but not the one the lock names
    children.push(other.child);
    const { demoDir, file } = lockIn('taken');
    for (const stale of [
      JSON.stringify({ pid: 2147483646, start: '1', services: [] }),
      JSON.stringify({ pid: other.ref.pid, start: `${other.ref.start}0`, services: [] }), // its pid, another start
      '2147483646',
      'garbage',
    ]) {
      writeFileSync(file, `${stale}\n`);
      const lock = await DemoLock.hold(demoDir, dir, false, () => undefined);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid, stale);
      lock.release();
      assert.ok(!existsSync(file));
    }
    // a release after another demo took the lock over leaves that one's
    const lock = await DemoLock.hold(demoDir, dir, false);
    writeFileSync(file, `${JSON.stringify({ ...other.ref, services: [] })}\n`);
    lock.release();
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, other.ref.pid);
    await assert.rejects(DemoLock.hold(demoDir, dir, false), /another demo/);
  });

  it('of two demos taking over a dead demo’s lock at once, one gets it', async () => {
    const module = path.resolve('dist/src/cli/demo-lock.js');
    const script = `import(${JSON.stringify(module)}).then(async (m) => {
      try { await m.DemoLock.hold(process.argv[1], 'x', false, () => {}); console.log('HELD'); setTimeout(() => {}, 3000); }
      catch (e) { console.log(/another demo/.test(e.message) ? 'BUSY' : 'ERROR ' + e.message); }
    })`;
    for (let run = 0; run < 3; run++) {
      const { demoDir, file } = lockIn(`race${run}`);
      const service = await idle('foresight', 'processor'); // a dead demo's service, stopped by whichever takes over
      children.push(service.child);
      writeFileSync(file, `${JSON.stringify({ pid: 2147483646, start: '1', services: [service.ref] })}\n`);
      const outputs = await Promise.all(
        [0, 1].map(
          () =>
            new Promise<string>((resolve) => {
              const c = spawn(process.execPath, ['-e', script, demoDir], { stdio: ['ignore', 'pipe', 'inherit'] });
              let out = '';
              c.stdout.on('data', (d: Buffer) => (out += d.toString()));
              c.on('exit', () => resolve(out.trim()));
            }),
        ),
      );
      assert.deepEqual(outputs.sort(), ['BUSY', 'HELD'], `run ${run}: ${outputs.join(' / ')}`);
    }
  });

  it('stops the processor and committer a demo killed hard left running before it takes the lock', async () => {
    const { demoDir, file } = lockIn('orphans');
    const services = [await idle('foresight', 'processor'), await idle('foresight', 'committer')];
    children.push(...services.map((s) => s.child));
    writeFileSync(file, `${JSON.stringify({ pid: 2147483646, start: '1', services: services.map((s) => s.ref) })}\n`);
    const said: string[] = [];
    const lock = await DemoLock.hold(demoDir, dir, false, (l) => said.push(l));
    assert.match(
      said.join('\n'),
      new RegExp(
        `ended without stopping its processor and committer \\(killed\\?\\): stopping them \\(pid ${services[0].ref.pid}, pid ${services[1].ref.pid}\\) and taking its place`,
      ),
    );
    for (const s of services) assert.equal(isRunning(s.ref.pid), false);
    // its own services are recorded for the next one
    lock.recordServices([process.pid]);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).services, [{ pid: process.pid, start: processStartOf(process.pid) }]);
    lock.release();
  });
  it('stack down stops what a demo killed hard left running and removes its lock; a running demo keeps both', async () => {
    const service = await idle('foresight', 'processor');
    children.push(service.child);
    const { file } = lockIn('down');
    const stackDir = path.dirname(path.dirname(file));
    writeFileSync(file, `${JSON.stringify({ pid: 2147483646, start: '1', services: [service.ref] })}\n`);
    const said: string[] = [];
    assert.equal(await stopDeadDemo(stackDir, (l) => said.push(l)), undefined);
    assert.ok(!isRunning(service.ref.pid) || readFileSync(`/proc/${service.ref.pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z', 'the service is stopped');
    assert.ok(!existsSync(file));
    assert.match(said.join('\n'), new RegExp(`stopping the processor and committer a demo killed earlier left running \\(pid ${service.ref.pid}\\)`));
    // a live demo: its pid, the lock and its services stay
    const demo = await idle('demo');
    const other = await idle('foresight', 'committer');
    children.push(demo.child, other.child);
    const content = `${JSON.stringify({ ...demo.ref, services: [other.ref] })}\n`;
    writeFileSync(file, content);
    assert.equal(await stopDeadDemo(stackDir, () => undefined), demo.ref.pid);
    assert.equal(readFileSync(file, 'utf8'), content);
    assert.ok(isRunning(other.ref.pid));
    // no lock: nothing to do
    assert.equal(await stopDeadDemo(path.join(dir, 'nowhere'), () => undefined), undefined);
    // a stack down interrupted while it stopped them: its moved lock (its process gone) is finished by the next one
    const orphan = await idle('foresight', 'committer');
    children.push(orphan.child);
    const interrupted = path.join(path.dirname(file), `running.${2147483646}.down`);
    writeFileSync(interrupted, `${JSON.stringify({ pid: 2147483645, start: '1', services: [orphan.ref] })}\n`);
    rmSync(file);
    assert.equal(await stopDeadDemo(stackDir, () => undefined), undefined);
    assert.ok(!existsSync(interrupted));
    assert.ok(!isRunning(orphan.ref.pid) || readFileSync(`/proc/${orphan.ref.pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z', 'its service is stopped');
  });

  it('a demo that takes the stack while stack down stops a dead one’s services keeps its own lock', async () => {
    // the new demo starts while stack down waits for the dead one's service to stop (300 ms): its lock stays (5 runs, the demo
    // starting at several moments of that wait)
    for (let run = 0; run < 5; run++) {
      const slow = spawn(
        process.execPath,
        ['-e', "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300)); setInterval(() => {}, 1000)", 'foresight', 'processor'],
        { stdio: 'ignore' },
      );
      children.push(slow);
      for (let i = 0; i < 100 && !cmdlineHas(slow.pid!, ['foresight', 'processor']); i++) await sleep(20);
      await sleep(100); // its SIGTERM handler is in place
      const { demoDir, file } = lockIn(`race-down${run}`);
      writeFileSync(file, `${JSON.stringify({ pid: 2147483646, start: '1', services: [{ pid: slow.pid!, start: processStartOf(slow.pid!)! }] })}\n`);
      const down = stopDeadDemo(path.dirname(demoDir), () => undefined);
      await sleep(50 + 40 * run);
      const lock = await DemoLock.hold(demoDir, dir, false, () => undefined);
      assert.equal(await down, undefined);
      assert.ok(existsSync(file), `run ${run}: the new demo’s lock is still there`);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
      lock.release();
    }
  });
});
