/** The process's private folder: a folder mkdtemp made that is not private is removed, and the error says why and what to set. */
import { ConfigError } from '../../../src/util/errors.js';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';

import { processStartOf } from '../../../src/util/proc.js';
import { after, before, describe, it } from 'node:test';
import { privateDir } from '../../../src/util/private-dir.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('privateDir', () => {
  // the folders are made in a temporary directory of this test's own, so that what is left behind shows
  const tmp = tempDir('foresight-private-dir-test-');
  const saved = process.env.TMPDIR;
  before(() => (process.env.TMPDIR = tmp));
  after(() => (saved === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = saved)));

  // what lstat reports on a file system this test cannot mount without root (one without Unix
  // modes, an ACL that opens the folder to the group), as the real folder's state changed
  const reporting =
    (change: (st: Stats) => void) =>
    (dir: string): Stats => {
      const st = lstatSync(dir);
      change(st);
      return st;
    };
  const cases: [string, (st: Stats) => void, RegExp][] = [
    ['group and others may enter it (mode 0755)', (st) => (st.mode = (st.mode & ~0o777) | 0o755), /mode 0755: the group or others have access/],
    ['another user owns it', (st) => (st.uid = st.uid + 1), new RegExp(`owned by uid ${(process.getuid?.() ?? 0) + 1}, not by this user`)],
    ['it is not a directory', (st) => (st.mode = (st.mode & ~0o170000) | 0o100000), /not a directory/],
  ];
  for (const [name, change, problem] of cases) {
    it(`removes the folder it made and says what was wrong when ${name}, and which variable picks another place`, () => {
      let err: Error | undefined;
      try {
        privateDir(reporting(change));
      } catch (e) {
        err = e as Error;
      }
      assert.ok(err, 'privateDir threw');
      assert.deepEqual(readdirSync(tmp), [], 'no folder left behind');
      assert.ok(err instanceof ConfigError, `a configuration error: ${String(err)}`);
      assert.equal(err.variable, 'TMPDIR');
      assert.match(err.message, new RegExp(`^TMPDIR: ${tmp}/foresight-private-\\w+[ ,]`));
      assert.match(err.message, problem);
    });
  }

  it('makes its folder where the check passes', () => {
    const dir = privateDir();
    assert.ok(dir.startsWith(`${tmp}/foresight-private-`), dir);
    assert.equal(lstatSync(dir).mode & 0o077, 0);
  });

  it('removes at exit every folder it made, not only the last: one that stopped being private is replaced, and both go', () => {
    const module = new URL('../../../src/util/private-dir.js', import.meta.url).href;
    const script = `import { chmodSync } from 'node:fs';
import { privateDir } from ${JSON.stringify(module)};
const first = privateDir();
chmodSync(first, 0o755); // no longer private: the next use makes another
const second = privateDir();
console.log(JSON.stringify([first, second]));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });
    const [first, second] = JSON.parse(out) as string[];
    assert.notEqual(first, second);
    assert.equal(existsSync(first), false, `${first} was left behind`);
    assert.equal(existsSync(second), false, `${second} was left behind`);
  });

  it('sweeps the folders a process killed outright left (its owner no longer runs), and no other', () => {
    const folder = (name: string, owner?: string): string => {
      const dir = path.join(tmp, `foresight-private-${name}`);
      mkdirSync(dir, { mode: 0o700 });
      writeFileSync(path.join(dir, 'git-isolation.gitconfig'), '[core]\n');
      if (owner !== undefined) writeFileSync(path.join(dir, '.owner'), `${owner}\n`);
      return dir;
    };
    const ns = readlinkSync('/proc/self/ns/pid');
    const ended = spawnSync('true').pid!; // a pid whose process has ended (and a start time no process has)
    const killed = folder('killed', `${ns} ${ended} 1`);
    const live = folder('live', `${ns} ${process.pid} ${processStartOf(process.pid)}`);
    const older = folder('older'); // an older version's, or one being made: no owner file
    const half = folder('half', `${ns} 12`); // an owner file read half-written
    const elsewhere = folder('elsewhere', `pid:[1] ${ended} 1`); // made in another pid namespace (a container sharing /tmp)
    const module = new URL('../../../src/util/private-dir.js', import.meta.url).href;
    const script = `import { privateDir } from ${JSON.stringify(module)};\nprocess.stdout.write(privateDir());`;
    const made = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });
    assert.equal(existsSync(killed), false, 'the killed maker’s folder is swept');
    assert.equal(existsSync(live), true, 'a running maker’s folder stays');
    assert.equal(existsSync(older), true, 'a folder without an owner stays');
    assert.equal(existsSync(half), true, 'a folder whose owner file does not read whole stays');
    assert.equal(existsSync(elsewhere), true, 'a folder of another pid namespace stays');
    assert.equal(existsSync(made), false, 'the new one went at its exit');
  });
});
