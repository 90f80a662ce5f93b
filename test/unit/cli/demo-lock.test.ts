/**
 * One demo at a time per stack folder (demo-command.ts holdDemoLock): a second `foresight demo` on
 * the folder of a running one stops at once with the first one's pid, before it starts or cleans
 * anything; a lock left by a demo that died is taken over.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { holdDemoLock } from '../../../src/cli/demo-command.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('demo lock', () => {
  const dir = tempDir('foresight-demo-lock-');
  // a process whose command line holds the argument "demo", as `foresight demo`'s does
  const running = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'demo'], { stdio: 'ignore' });
  after(() => running.kill());

  it('a second demo on the same stack folder stops with the running one’s pid and touches nothing', () => {
    const stack = path.join(dir, 'stack');
    mkdirSync(path.join(stack, 'demo'), { recursive: true });
    writeFileSync(path.join(stack, 'demo', 'running'), `${running.pid}\n`);
    const res = runCli(['demo'], { FORESIGHT_STACK_DIR: stack }, 30_000);
    assert.equal(res.status, 1, res.stdout + res.stderr);
    assert.match(res.stderr, new RegExp(`another demo \\(pid ${running.pid}\\) is running on the stack in ${stack.replace(/[.]/g, '\\.')}: wait for it`));
    assert.ok(!res.stdout.includes('starting'), res.stdout);
    assert.equal(readFileSync(path.join(stack, 'demo', 'running'), 'utf8').trim(), String(running.pid));
  });

  it('takes over a lock whose demo is gone (a pid no longer running, or another program’s now), and releases its own', () => {
    const demoDir = path.join(dir, 'taken', 'demo');
    mkdirSync(demoDir, { recursive: true });
    const lock = path.join(demoDir, 'running');
    for (const stale of ['2147483646', String(process.pid === 1 ? 2 : 1), 'garbage']) {
      writeFileSync(lock, `${stale}\n`);
      const release = holdDemoLock(demoDir, dir);
      assert.equal(readFileSync(lock, 'utf8').trim(), String(process.pid));
      release();
      assert.ok(!existsSync(lock));
    }
    // a release after another demo took the lock over leaves that one's
    const release = holdDemoLock(demoDir, dir);
    writeFileSync(lock, `${running.pid}\n`);
    release();
    assert.equal(readFileSync(lock, 'utf8').trim(), String(running.pid));
    assert.throws(() => holdDemoLock(demoDir, dir), /another demo/);
  });
});
