import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { appendFileSync, writeFileSync } from 'node:fs';
import { fileSize, isOurs, isRunning, listeningPids, processGroupOf, spawnDetached, tailFile } from '../../../src/local-stack/processes.js';
import { sleep } from '../../../src/util/retry.js';
import { freePort } from '../../helpers/net.js';
import { tempDir } from '../../helpers/temp-dir.js';

// redis-server shows its marker ("127.0.0.1:<port>") only once it has rewritten its command line:
// `stack up` checked the marker in between and, under load, took a starting Redis for exited.
describe('a process the stack just started', () => {
  it('is running before its command line shows the marker; isOurs (pid reuse) still needs the marker', () => {
    const pid = spawnDetached('sleep', ['5'], path.join(tempDir('stack-processes-'), 'sleep.log'));
    try {
      assert.equal(isRunning(pid), true);
      assert.equal(isOurs({ pid, marker: ':59999', startedAt: '' }), false);
      assert.equal(isOurs({ pid, marker: 'sleep', startedAt: '' }), true);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });
});

// two stacks started at once on the same ports both find them free; the later one's service cannot bind, while the
// earlier one's answers its probe: stack up asks who listens (stack.ts ownsItsPorts)
describe('who listens on a port', () => {
  it('finds the listening process of a detached service and its process group; a free port has none', async () => {
    const port = await freePort();
    const script = `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('up'))`;
    const pid = spawnDetached(process.execPath, ['-e', script], path.join(tempDir('stack-listen-'), 'listen.log'));
    try {
      let owners = listeningPids(port);
      for (let i = 0; i < 100 && owners?.size === 0; i++) {
        await sleep(50);
        owners = listeningPids(port);
      }
      assert.deepEqual(owners, new Set([pid]));
      assert.equal(processGroupOf(pid), pid); // spawned detached: it leads its own group
      assert.notEqual(processGroupOf(process.pid), pid);
      assert.deepEqual(listeningPids(await freePort()), new Set());
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });
});

// a service's log is appended to run after run: a bind error of yesterday's run in its last lines made a start that
// failed for another reason read as a port race (stack.ts waitReady reads this start's lines only)
describe("a service's appended log", () => {
  it('is read from where this start began: an earlier run’s lines are not in the tail', () => {
    const log = path.join(tempDir('stack-log-'), 'kafka.log');
    writeFileSync(log, 'ERROR Address already in use\nkafka stopped\n');
    const from = fileSize(log);
    assert.equal(from, 43);
    assert.equal(tailFile(log, 15, from), '(nothing written to the log by this start)');
    appendFileSync(log, 'ERROR could not read the metadata\n');
    assert.equal(tailFile(log, 15, from), 'ERROR could not read the metadata');
    assert.match(tailFile(log), /Address already in use/);
    assert.equal(fileSize(path.join(path.dirname(log), 'none.log')), 0);
    // truncated or made anew since: all of it is this start's
    writeFileSync(log, 'ERROR bind\n');
    assert.equal(tailFile(log, 15, from), 'ERROR bind');
  });
});
