/** The local committer fixture cleans up after itself: no `foresight-committer-*` folder is left in the temporary directory when its test ends. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { localCommitter } from '../../helpers/committer-local.js';

describe('local committer fixture', () => {
  it('removes its scratch directory (the remote, the working clone and the persons’ clones) when the test that made it ends', async (t) => {
    let tmp = '';
    await t.test('a test that makes one', async () => {
      const c = await localCommitter();
      tmp = c.tmp;
      c.person()('log', '--oneline', '-1');
      assert.ok(existsSync(c.remote));
    });
    assert.notEqual(tmp, '');
    assert.equal(existsSync(tmp), false, `${tmp} is left behind`);
  });
});
