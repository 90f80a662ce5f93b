/**
 * The local Git backend against real repositories when the branch moves underneath: any push
 * in between (on another line or the same one) makes it reset to the new tip and recompute the
 * change there; a branch that keeps moving is reported after the retries. Never forced: every
 * other writer's commit stays.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { CommitConflictError } from '../../../src/committer/backend.js';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { gitopsRemote, type GitOpsFixture } from '../../helpers/gitops.js';

const FILE = 'apps/payments/payments.yaml';
const author = { name: 'Foresight', email: 'f@example.com' };

/** Another writer: a clone that commits `edit` of FILE to main and pushes. */
function otherWriter(repo: GitOpsFixture, n: number): (edit: (text: string) => string) => void {
  const dir = path.join(repo.tmp, `other-${n}`);
  execFileSync('git', ['clone', '-q', repo.remote, dir]);
  return (edit) => {
    const git = (...args: string[]): string =>
      execFileSync('git', ['-C', dir, '-c', 'user.name=Human', '-c', 'user.email=h@example.com', ...args], { encoding: 'utf8' });
    git('pull', '-q', '--rebase');
    writeFileSync(path.join(dir, FILE), edit(readFileSync(path.join(dir, FILE), 'utf8')));
    git('commit', '-qam', 'a human edit');
    git('push', '-q', 'origin', 'HEAD:main');
  };
}

describe('local Git backend', () => {
  it('recomputes the change on the new tip after a push in between, conflicting or not', async () => {
    const repo = gitopsRemote();
    const backend = await LocalGitBackend.open({ remote: repo.remote, workdir: path.join(repo.tmp, 'work') }, pino({ level: 'silent' }));
    const human = otherWriter(repo, 1);

    // 1. someone edits another line between our snapshot and our push: recomputed on their commit (never rebased)
    let calls = 0;
    await backend.commit({
      branch: 'main',
      base: 'main',
      author,
      edit: (files) => {
        if (calls++ === 0) human((t) => t.replace('payments:3.1.0', 'payments:3.1.1'));
        return { changed: new Map([[FILE, files.get(FILE)!.replace('minReplicas: 2', 'minReplicas: 3')]]), message: 'min 3\n' };
      },
    });
    assert.equal(calls, 2, 'the edit ran again on the new tip');
    let text = repo.git('show', `main:${FILE}`);
    assert.match(text, /minReplicas: 3/);
    assert.match(text, /payments:3\.1\.1/);

    // 2. someone changes the same line meanwhile: the edit is recomputed on their version
    calls = 0;
    const seen: string[] = [];
    await backend.commit({
      branch: 'main',
      base: 'main',
      author,
      edit: (files) => {
        const current = /minReplicas: (\d+)/.exec(files.get(FILE)!)![1];
        seen.push(current);
        if (calls++ === 0) human((t) => t.replace('minReplicas: 3', 'minReplicas: 5'));
        return {
          changed: new Map([[FILE, files.get(FILE)!.replace(`minReplicas: ${current}`, `minReplicas: ${Number(current) + 1}`)]]),
          message: 'one more replica\n',
        };
      },
    });
    assert.deepEqual(seen, ['3', '5'], 'recomputed on the new tip');
    text = repo.git('show', `main:${FILE}`);
    assert.match(text, /minReplicas: 6/);
    const log = repo.git('log', '--format=%an %s', 'main').trim().split('\n');
    assert.deepEqual(log.slice(0, 4), ['Foresight one more replica', 'Human a human edit', 'Foresight min 3', 'Human a human edit']);

    // 3. a branch that moves before every push: reported, nothing forced
    const before = Number(repo.git('rev-list', '--count', 'main').trim());
    let k = 0;
    await assert.rejects(
      backend.commit({
        branch: 'main',
        base: 'main',
        author,
        edit: (files) => {
          const current = /minReplicas: (\d+)/.exec(files.get(FILE)!)![1];
          human((t) => t.replace(/minReplicas: \d+/, `minReplicas: ${100 + k++}`));
          return { changed: new Map([[FILE, files.get(FILE)!.replace(`minReplicas: ${current}`, 'minReplicas: 7')]]), message: 'seven\n' };
        },
      }),
      CommitConflictError,
    );
    assert.equal(Number(repo.git('rev-list', '--count', 'main').trim()), before + k, "every other writer's commit is there, none of ours");
  });
});
