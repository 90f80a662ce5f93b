/**
 * A `git commit` that fails without a word (simple-git reports it as done) is a failed commit,
 * not a committed recommendation: the local backend checks that HEAD moved to a new commit
 * whose parent is the old HEAD. Real git throughout, with a `git` in front of it on PATH whose
 * `commit` exits 0 and does nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { seedBareRepository } from '../../../src/committer/seed.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { localCommitter, rec } from '../../helpers/committer-local.js';
import { tempDir } from '../../helpers/temp-dir.js';

const saved = process.env.PATH;
afterEach(() => {
  process.env.PATH = saved;
});

/** Puts a `git` on PATH whose `commit` (simple-git runs `git -c core.abbrev=40 commit …`) succeeds silently without committing; every other command is the real git's. */
function silentCommitGit(): void {
  const bin = tempDir('foresight-silent-git-');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nfor a in "$@"; do [ "$a" = commit ] && exit 0; done\nexec '${realGit}' "$@"\n`);
  chmodSync(path.join(bin, 'git'), 0o755);
  process.env.PATH = `${bin}:${saved}`;
}

describe('a git commit that made no commit', () => {
  it('is a failed commit (the batch is retried), not a recommendation counted as committed', async () => {
    const t = await localCommitter();
    const tip = t.git('rev-parse', 'main').trim();
    silentCommitGit();
    await assert.rejects(t.apply(rec('payments/Deployment/payments', 'rec-silent', [['maxReplicas', '8', '9']])), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'COMMIT_FAILED');
      assert.match(err.message, /git commit on main reported success but made no commit \(HEAD is still [0-9a-f]{40}\): nothing was pushed/);
      return true;
    });
    assert.equal(t.git('rev-parse', 'main').trim(), tip, 'the remote did not move');

    // the same batch once git commits again: committed, once
    process.env.PATH = saved;
    assert.deepEqual(await t.apply(rec('payments/Deployment/payments', 'rec-silent', [['maxReplicas', '8', '9']])), []);
    assert.match(t.git('show', 'main:apps/payments/payments.yaml'), /maxReplicas: 9/);
    assert.equal(t.git('rev-parse', 'main~1').trim(), tip);
  });

  it('is no failure when the files were written with the text they already had (nothing to commit: the change is in force)', async () => {
    const tmp = tempDir('foresight-noop-commit-');
    seedBareRepository(path.join(tmp, 'repo'));
    const backend = await LocalGitBackend.open(
      { remote: path.join(tmp, 'repo', 'gitops.git'), workdir: path.join(tmp, 'work') },
      createLogger('committer', 'silent'),
    );
    const sha = await backend.commit({
      branch: 'main',
      base: 'main',
      author: { name: 'Foresight', email: 'bot@example.com' },
      edit: (files) => ({ changed: new Map([['apps/payments/payments.yaml', files.get('apps/payments/payments.yaml')!]]), message: 'foresight: no change' }),
    });
    assert.equal(sha, undefined);
  });
});
