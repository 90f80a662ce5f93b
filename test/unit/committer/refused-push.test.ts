/**
 * A push the remote refuses (a reviewer's find #6) — branch protection, a pre-receive hook —
 * is its own dead-letter reason, `push-refused`, reported after one attempt (it was taken for a
 * moved branch: 25 rebases, then every message of the batch dead-lettered as `conflict`, one
 * already committed included); only its group's messages are dead-lettered. And a local
 * backend with a network remote (find #14) dead-letters a critical change as
 * `review-unavailable` instead of failing the partition forever. Real git; GitHub's API through
 * the project's FakeGitHub.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { KafkaMessage } from 'kafkajs';
import { Committer } from '../../../src/committer/committer.js';
import { GitHubBackend } from '../../../src/committer/github-backend.js';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { seedBareRepository } from '../../../src/committer/seed.js';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import { COMMITTER_CFG, localCommitter, rec } from '../../helpers/committer-local.js';
import { FakeGitHub } from '../../helpers/fake-github.js';
import { GitHttpServer } from '../../helpers/git-http-server.js';
import { exampleFiles } from '../../helpers/gitops.js';
import { tempDir } from '../../helpers/temp-dir.js';

const silent = pino({ level: 'silent' });
const applyWith = async (committer: Committer, ...recs: Recommendation[]): Promise<string[]> => {
  const out: string[] = [];
  await committer.apply(
    recs.map((r) => ({ rec: r, message: {} as KafkaMessage })),
    (p, err) => out.push(`${p.rec.id}: ${err.reason}`),
  );
  return out;
};

describe('a refused push', () => {
  it("local: a pre-receive hook's refusal dead-letters only its group, after one attempt", async () => {
    const t = await localCommitter();
    const calls = path.join(t.tmp, 'hook-calls');
    const hook = path.join(t.remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh
echo x >> '${calls}'
while read old new ref; do
  if git diff --name-only "$old" "$new" 2>/dev/null | grep -q payments.yaml; then
    echo "GH006: Protected branch update failed for $ref: changes to apps/payments need a review" >&2; exit 1
  fi
done
`,
    );
    chmodSync(hook, 0o755);
    const rejected = await t.apply(
      rec('shop/Deployment/checkout', 'rec-checkout', [['minReplicas', '3', '4']]),
      rec('payments/Deployment/payments', 'rec-payments', [['maxReplicas', '8', '10']]),
    );
    assert.deepEqual(rejected, ['rec-payments: push-refused'], 'the checkout change, committed, is not dead-lettered');
    assert.match(t.git('show', 'main:apps/shop/overlays/prod/checkout-patch.yaml'), /minReplicas: 4/);
    assert.match(t.git('show', 'main:apps/payments/payments.yaml'), /maxReplicas: 8/);
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 2, 'one push per group, no retries of the refused one');
  });

  it('GitHub: a protected-branch 422 is push-refused, not a moved branch', async () => {
    const gh = new FakeGitHub(exampleFiles());
    await gh.start();
    try {
      const backend = new GitHubBackend({ repository: `${gh.owner}/${gh.repo}`, token: gh.token, apiUrl: gh.url, backoffMs: 5, retries: 4 }, silent);
      const committer = new Committer(backend, COMMITTER_CFG, silent);
      gh.fail('PATCH', /\/git\/refs\/heads\/main$/, { status: 422, body: { message: 'Protected branch update failed for refs/heads/main.' } });
      const rejected = await applyWith(committer, rec('payments/Deployment/payments', 'gh-p', [['maxReplicas', '8', '10']]));
      assert.deepEqual(rejected, ['gh-p: push-refused']);
      assert.equal(gh.requests.filter((r) => r.method === 'PATCH').length, 1, 'one attempt');
      // a moved branch (422 not a fast forward) still gets its retries, then `conflict` for its group only
      gh.fail('PATCH', /\/git\/refs\/heads\/main$/, { status: 409, body: { message: 'Conflict' } }, 8);
      assert.deepEqual(await applyWith(committer, rec('payments/Deployment/payments', 'gh-c', [['maxReplicas', '8', '10']])), ['gh-c: conflict']);
    } finally {
      await gh.stop();
    }
  });
});

describe('a local backend with a network remote', () => {
  it('dead-letters a critical change as review-unavailable (routine ones still commit); a file:// remote keeps pull requests', async () => {
    const tmp = tempDir('foresight-url-remote-');
    const bare = seedBareRepository(path.join(tmp, 'repo'));
    const server = new GitHttpServer(path.join(tmp, 'repo'), 'bot', 'pw');
    await server.start();
    try {
      const backend = await LocalGitBackend.open(
        { remote: `${server.url.replace('http://', 'http://bot:pw@')}/gitops.git`, workdir: path.join(tmp, 'work') },
        silent,
      );
      assert.match(backend.noPullRequests ?? '', /FORESIGHT_GITOPS_REMOTE/);
      const committer = new Committer(backend, COMMITTER_CFG, silent);
      const rejected = await applyWith(
        committer,
        rec('shop/Deployment/checkout', 'crit', [['minReplicas', '3', '6']], { critical: true }),
        rec('payments/Deployment/payments', 'routine', [['maxReplicas', '8', '9']]),
      );
      assert.deepEqual(rejected, ['crit: review-unavailable']);
      assert.equal(LocalGitBackend.pullRequests(bare).length, 0);
      assert.ok(!existsSync(path.join(bare, 'refs', 'heads', 'foresight')), 'no review branch pushed');
    } finally {
      await server.stop();
    }
    const fileUrl = await LocalGitBackend.open({ remote: `file://${bare}`, workdir: path.join(tmp, 'work2') }, silent);
    assert.equal(fileUrl.noPullRequests, undefined);
    const committer = new Committer(fileUrl, COMMITTER_CFG, silent);
    assert.deepEqual(await applyWith(committer, rec('shop/Deployment/checkout', 'crit-2', [['minReplicas', '3', '6']], { critical: true })), []);
    assert.equal(LocalGitBackend.pullRequests(bare).length, 1);
  });
});
