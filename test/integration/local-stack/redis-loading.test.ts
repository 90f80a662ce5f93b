/**
 * A Redis reading a large data set at start answers PING with -LOADING, for seconds or minutes:
 * the stack's probe tells that from a Redis that is down, so `stack up` waits for it instead of
 * failing after its start-up timeout (seen with a 3.4-million-key append-only file left by a
 * benchmark: 20 s to load, 15 s allowed). Two real redis-servers: one writes a snapshot of
 * 2 million keys, the other loads it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { redisState } from '../../../src/local-stack/probes.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PORT_A = 46591;
const PORT_B = 46592;

describe('redisState', () => {
  const dir = tempDir('foresight-redis-loading-');
  const servers: ChildProcess[] = [];
  after(() => {
    for (const s of servers) s.kill('SIGKILL');
  });
  const start = (port: number): ChildProcess => {
    const s = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--dbfilename',
        'big.rdb',
        '--appendonly',
        'no',
        '--save',
        '',
        '--enable-debug-command',
        'local',
      ],
      { stdio: 'ignore' },
    );
    servers.push(s);
    return s;
  };
  const cli = (port: number, ...args: string[]): string =>
    spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 60_000 }).stdout.trim();

  it("tells a Redis loading its data ('loading') from a ready one and from none ('down')", async () => {
    assert.equal(await redisState('127.0.0.1', PORT_B), 'down');
    const a = start(PORT_A);
    for (let i = 0; (await redisState('127.0.0.1', PORT_A)) !== 'ready'; i++) {
      assert.ok(i < 100, 'the first redis-server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(cli(PORT_A, 'DEBUG', 'POPULATE', '2000000'), 'OK');
    assert.equal(cli(PORT_A, 'SAVE'), 'OK');
    const gone = new Promise((resolve) => a.once('exit', resolve));
    a.kill('SIGKILL');
    await gone; // its memory back before the second one loads the snapshot
    start(PORT_B);
    const seen = new Set<string>();
    for (let i = 0; ; i++) {
      const state = await redisState('127.0.0.1', PORT_B);
      seen.add(state);
      if (state === 'ready') break;
      assert.ok(i < 600, `never ready: ${[...seen].join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(seen.has('loading'), `the snapshot's loading was seen: ${[...seen].join(', ')}`);
  });
});
