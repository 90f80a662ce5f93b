/**
 * The bot-owned review branch of a workload's critical changes (a reviewer's finds #3, #4, #5):
 * a later proposal's `current` is checked against the base branch (the processor reads main,
 * where the pull request is not merged), the branch is rebuilt from the base plus the values
 * still proposed (so it is never stale and a closed pull request's content does not come
 * back), its title and table are the whole branch against the base, and a routine change of
 * the same workload rebuilds it on the new base or closes it as superseded. Real repositories
 * (local backend) and GitHub's API through FakeGitHub.
 */
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import { Committer } from '../../../src/committer/committer.js';
import { GitHubBackend } from '../../../src/committer/github-backend.js';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { COMMITTER_CFG, localCommitter, rec } from '../../helpers/committer-local.js';
import { FakeGitHub } from '../../helpers/fake-github.js';
import { exampleFiles } from '../../helpers/gitops.js';

const CHECKOUT = 'shop/Deployment/checkout';
const PATCH = 'apps/shop/overlays/prod/checkout-patch.yaml';
const BRANCH = 'foresight/shop/deployment/checkout';
const min = (text: string): string => /minReplicas: (\d+)/.exec(text)![1];
const max = (text: string): string => /maxReplicas: (\d+)/.exec(text)![1];

describe('the review branch (local backend)', () => {
  it("updates an open pull request with a proposal made from main's value, rebuilt on main, with the whole diff as title and table", async () => {
    const t = await localCommitter();
    assert.deepEqual(await t.apply(rec(CHECKOUT, 'c-1', [['minReplicas', '3', '6']], { critical: true })), []);
    // the processor still reads main (3): its next proposals name current 3
    assert.deepEqual(await t.apply(rec(CHECKOUT, 'c-2', [['minReplicas', '3', '8']], { critical: true })), [], 'not stale-current');
    assert.deepEqual(await t.apply(rec(CHECKOUT, 'c-3', [['maxReplicas', '12', '10']], { critical: true })), []);
    const text = t.git('show', `${BRANCH}:${PATCH}`);
    assert.equal(min(text), '8');
    assert.equal(max(text), '10', 'the earlier proposal of another field is kept');
    assert.equal(t.git('rev-parse', `${BRANCH}~1`).trim(), t.git('rev-parse', 'main').trim(), 'one commit on top of main');
    const [pr] = LocalGitBackend.pullRequests(t.remote);
    assert.equal(LocalGitBackend.pullRequests(t.remote).length, 1);
    assert.equal(pr.title, 'foresight: shop/Deployment/checkout minReplicas 3→8, maxReplicas 12→10');
    const rows = pr.body.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| field'));
    assert.deepEqual(rows, [`| minReplicas | \`${PATCH}\` | 3 | **8** |`, `| maxReplicas | \`${PATCH}\` | 12 | **10** |`]);
    // the rebuilt commit still carries every recommendation id, superseded ones too: a redelivery makes nothing new
    const tip = t.git('rev-parse', BRANCH).trim();
    assert.deepEqual(await t.apply(rec(CHECKOUT, 'c-2', [['minReplicas', '3', '8']], { critical: true })), []);
    assert.deepEqual(await t.apply(rec(CHECKOUT, 'c-1', [['minReplicas', '3', '6']], { critical: true })), []);
    assert.equal(t.git('rev-parse', BRANCH).trim(), tip);
  });

  it('starts fresh from main when a person closed the pull request: its content does not come back', async () => {
    const t = await localCommitter();
    await t.apply(rec(CHECKOUT, 'c-1', [['minReplicas', '3', '6']], { critical: true }));
    const [closed] = LocalGitBackend.pullRequests(t.remote);
    await t.backend.closePullRequest(closed.number, 'no, thanks');
    assert.deepEqual(await t.apply(rec(CHECKOUT, 'c-2', [['maxReplicas', '12', '10']], { critical: true })), []);
    const text = t.git('show', `${BRANCH}:${PATCH}`);
    assert.equal(min(text), '3', 'the closed proposal is not on the new branch');
    assert.equal(max(text), '10');
    const prs = LocalGitBackend.pullRequests(t.remote);
    assert.equal(prs.length, 1);
    assert.ok(prs[0].number > closed.number && prs[0].state === 'open', 'a new pull request');
    assert.equal(prs[0].title, 'foresight: shop/Deployment/checkout maxReplicas 12→10');
  });

  it('closes the pull request a routine change supersedes, and rebuilds one a routine change of another field leaves', async () => {
    const t = await localCommitter();
    await t.apply(rec(CHECKOUT, 'crit', [['minReplicas', '3', '8']], { critical: true }));
    // a routine change of another field: the branch is rebuilt on the new main, the proposal kept
    assert.deepEqual(await t.apply(rec(CHECKOUT, 'routine-max', [['maxReplicas', '12', '11']])), []);
    assert.equal(t.git('rev-parse', `${BRANCH}~1`).trim(), t.git('rev-parse', 'main').trim(), 'rebased on the new main');
    assert.equal(max(t.git('show', `${BRANCH}:${PATCH}`)), '11');
    assert.equal(min(t.git('show', `${BRANCH}:${PATCH}`)), '8');
    assert.equal(LocalGitBackend.pullRequests(t.remote)[0].state, 'open');
    // a routine change of the proposed field: the newer value wins, nothing is left to review
    assert.deepEqual(await t.apply(rec(CHECKOUT, 'routine-min', [['minReplicas', '3', '4']])), []);
    const [pr] = LocalGitBackend.pullRequests(t.remote) as { state: string; comments?: string[] }[];
    assert.equal(pr.state, 'closed');
    assert.match(pr.comments![0], /Superseded: main now has shop\/Deployment\/checkout minReplicas 3→4/);
    assert.equal(min(t.git('show', `main:${PATCH}`)), '4');
  });
});

describe('the review branch (GitHub backend)', () => {
  it('updates the open pull request from main-based proposals, and starts fresh after a person closed it', async () => {
    const gh = new FakeGitHub(exampleFiles());
    await gh.start();
    try {
      const silent = pino({ level: 'silent' });
      const backend = new GitHubBackend({ repository: `${gh.owner}/${gh.repo}`, token: gh.token, apiUrl: gh.url, backoffMs: 5, retries: 4 }, silent);
      const committer = new Committer(backend, COMMITTER_CFG, silent);
      const apply = async (...recs: Recommendation[]): Promise<string[]> => {
        const out: string[] = [];
        await committer.apply(
          recs.map((r) => ({ rec: r, message: {} as KafkaMessage })),
          (p, err) => out.push(`${p.rec.id}: ${err.reason}`),
        );
        return out;
      };
      assert.deepEqual(await apply(rec(CHECKOUT, 'g-1', [['minReplicas', '3', '6']], { critical: true })), []);
      assert.deepEqual(await apply(rec(CHECKOUT, 'g-2', [['maxReplicas', '12', '10']], { critical: true })), []);
      assert.deepEqual(await apply(rec(CHECKOUT, 'g-3', [['minReplicas', '3', '8']], { critical: true })), []);
      assert.equal(min(gh.file(BRANCH, PATCH)!), '8');
      assert.equal(max(gh.file(BRANCH, PATCH)!), '10');
      assert.equal(gh.log(BRANCH)[1].sha, gh.log('main')[0].sha, 'one commit on top of main');
      assert.equal(gh.pulls.length, 1);
      assert.equal(gh.pulls[0].title, 'foresight: shop/Deployment/checkout maxReplicas 12→10, minReplicas 3→8');
      gh.pulls[0].state = 'closed'; // a person closes it; GitHub keeps the branch
      assert.deepEqual(await apply(rec(CHECKOUT, 'g-4', [['requests.cpu', '1', '1500m']], { critical: true, type: 'RESOURCES', container: 'app' })), []);
      assert.equal(min(gh.file(BRANCH, PATCH)!), '3', 'the closed pull request did not come back');
      assert.equal(max(gh.file(BRANCH, PATCH)!), '12');
      assert.match(gh.file(BRANCH, PATCH)!, /cpu: "1500m"/);
      assert.equal(gh.pulls.length, 2);
      assert.equal(gh.pulls[1].title, 'foresight: shop/Deployment/checkout app requests.cpu 1→1500m');
    } finally {
      await gh.stop();
    }
  });
});

describe('review branch names', () => {
  it('are valid refs for every valid Kubernetes name, a name ending in .lock included', async () => {
    const { execFileSync } = await import('node:child_process');
    const { reviewBranch } = await import('../../../src/committer/committer.js');
    for (const [namespace, name] of [
      ['shop', 'checkout'],
      ['shop', 'cache.lock'],
      ['db.lock', 'x'],
    ]) {
      const b = reviewBranch({ namespace, kind: 'Deployment', name });
      execFileSync('git', ['check-ref-format', `refs/heads/${b}`]); // throws on an invalid name
    }
    assert.equal(reviewBranch({ namespace: 'shop', kind: 'Deployment', name: 'cache.lock' }), 'foresight/shop/deployment/cache.lock-');
  });
});
