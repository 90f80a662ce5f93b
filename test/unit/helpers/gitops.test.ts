/** The GitOps fixture cleans up after itself: no `foresight-gitops-*` folder is left in the temp directory when its test ends. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gitopsRemote } from '../../helpers/gitops.js';

describe('gitops fixture', () => {
  it('removes its scratch directory (the remote and any clone in it) when the test that made it ends', async (t) => {
    let tmp = '';
    await t.test('a test that makes one', () => {
      const repo = gitopsRemote();
      tmp = repo.tmp;
      assert.ok(existsSync(repo.remote));
      assert.match(repo.git('log', '--oneline', '-1'), /\S/);
    });
    assert.notEqual(tmp, '');
    assert.equal(existsSync(tmp), false, `${tmp} is left behind`);
  });
});
