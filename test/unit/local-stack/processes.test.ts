import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { isOurs, isRunning, spawnDetached } from '../../../src/local-stack/processes.js';
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
