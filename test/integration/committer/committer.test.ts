/**
 * The committer on the real stack (Kafka, the registry, real Git repositories): routine
 * recommendations become commits on the target branch whose diff changes exactly the proposed
 * fields, with trailers; critical ones become one pull request per workload, updated by later
 * ones; redelivery makes nothing new; bad recommendations are dead-lettered with the reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { waitFor } from '../../../src/util/retry.js';
import { committerSetup, recommendation, TRACE } from '../../helpers/committer.js';
import type { GitOpsFixture } from '../../helpers/gitops.js';

/** A manifest with a YAML syntax error on line 8 (an unclosed flow sequence). */
const BROKEN =
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\n  namespace: shop\n  annotations: { foresight.dev/managed: "true" }\nspec:\n  replicas: [2\n';

const setup = () => committerSetup({ 'apps/broken/broken.yaml': BROKEN });

const count = (repo: GitOpsFixture, ref: string): number => Number(repo.git('rev-list', '--count', ref).trim());

describe('committer', () => {
  it('commits routine changes with exactly the proposed fields and trailers, dead-letters the rest, and ignores redelivery', async () => {
    const t = await setup();
    const checkout = recommendation('shop/Deployment/checkout', 'rec-checkout', [
      ['minReplicas', '4'],
      ['maxReplicas', '12'],
    ]);
    await t.send([
      checkout,
      Buffer.from('garbage'),
      recommendation('shop/Deployment/x', 'rec-evil', [['minReplicas', '2']], { name: '../../etc' }),
      recommendation('shop/Deployment/ghost', 'rec-ghost', [['minReplicas', '2']]),
      recommendation('payments/Deployment/payments', 'rec-big', [['maxReplicas', '40']]),
      recommendation('payments/Deployment/payments', 'rec-payments', [['requests.cpu', '400m']], { type: 'RESOURCES', container: 'api' }),
      recommendation('shop/Deployment/broken', 'rec-broken', [['replicas', '3']]),
    ]);
    const proc = t.start();
    try {
      assert.ok(
        await waitFor(async () => count(t.repo, 'main') === 3 && (await t.letters()).length === 5, 60_000),
        `commits ${count(t.repo, 'main')}; output:\n${proc.output().slice(-3000)}`,
      );
      const letters = (await t.letters()).sort((a, b) => a.sourceOffset - b.sourceOffset);
      assert.deepEqual(
        letters.map((l) => [l.sourceOffset, l.reason]),
        [
          [1, 'undecodable'],
          [2, 'path-traversal'],
          [3, 'unknown-workload'],
          [4, 'out-of-bounds'],
          [6, 'manifest-invalid'],
        ],
      );
      assert.match(letters[3].detail, /maxReplicas 40 is outside the policy bounds \[1, 10\]/);
      assert.match(letters[4].detail, /apps\/broken\/broken\.yaml:\d+: /, 'malformed YAML is reported with file and line; the other workloads proceed');

      // the checkout commit: one line of the overlay patch, comment intact, trailers
      const log = t.repo.git('log', '--format=%H %s', 'main').trim().split('\n');
      const checkoutSha = log.find((l) => l.includes('shop/Deployment/checkout'))!.split(' ')[0];
      const diff = t.repo.git('show', '-U0', '--format=', checkoutSha);
      const changed = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
      assert.deepEqual(changed, ['-  minReplicas: 3   # never fewer than 3 in production', '+  minReplicas: 4   # never fewer than 3 in production']);
      assert.match(diff, /apps\/shop\/overlays\/prod\/checkout-patch\.yaml/);
      const message = t.repo.git('show', '-s', '--format=%B', checkoutSha);
      assert.match(message, /^foresight: shop\/Deployment\/checkout minReplicas 3→4\n/);
      assert.match(message, /Policy rules: slo-risk:0.01, policy:defaults\./);
      assert.match(message, /\+12\.50 USD\/month/);
      assert.deepEqual(t.repo.git('show', '-s', '--format=%(trailers:only,unfold)', checkoutSha).trim().split('\n'), [
        'Recommendation-Id: rec-checkout',
        'Model-Version: forecaster-test',
        `Trace-Id: ${TRACE}`,
      ]);
      assert.equal(t.repo.git('show', '-s', '--format=%an <%ae>', checkoutSha).trim(), 'Foresight Bot <bot@foresight.test>');
      const payments = t.repo
        .git('show', '-U0', '--format=', log[0].split(' ')[0])
        .split('\n')
        .filter((l) => /^[-+][^-+]/.test(l));
      assert.deepEqual(payments, ['-            requests: {cpu: 250m, memory: 256Mi}', '+            requests: {cpu: 400m, memory: 256Mi}']);

      // redelivery of an applied recommendation: nothing new
      await t.send([checkout]);
      await proc.waitForOutput('recommendation already committed');
      assert.equal(count(t.repo, 'main'), 3);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it('puts critical changes on one branch and pull request per workload, updated by later ones', async () => {
    const t = await setup();
    const first = recommendation('shop/Deployment/cart', 'rec-cart-1', [['minReplicas', '3']], {
      critical: true,
      rules: ['slo-risk:0.01', 'critical:change-size'],
    });
    const second = recommendation(
      'shop/Deployment/cart',
      'rec-cart-2',
      [
        ['minReplicas', '4'],
        ['maxReplicas', '6'],
      ],
      { critical: true },
    );
    await t.send([first]);
    const proc = t.start();
    try {
      await proc.waitForOutput('pull request opened');
      await t.send([second]);
      await proc.waitForOutput('pull request updated');
      const branch = 'foresight/shop/deployment/cart';
      assert.equal(count(t.repo, 'main'), 1, 'main untouched');
      assert.equal(count(t.repo, branch), 2, 'the review branch is rebuilt: one commit on main');
      const prs = LocalGitBackend.pullRequests(t.repo.remote);
      assert.equal(prs.length, 1);
      assert.equal(prs[0].head, branch);
      assert.deepEqual(prs[0].labels, ['foresight', 'finops']);
      assert.match(prs[0].body, /\| minReplicas \| `charts\/cart\/values-prod.yaml` \| 2 \| \*\*4\*\* \|/, 'the whole branch against main');
      assert.match(prs[0].body, /!\[forecast\]\(\.foresight\/forecasts\/shop-deployment-cart\.svg\)/);
      const values = t.repo.git('show', `${branch}:charts/cart/values-prod.yaml`);
      assert.match(values, /\n {2}minReplicas: 4 {7}# cart must survive one node loss\n {2}maxReplicas: 6\n/);
      assert.match(t.repo.git('show', `${branch}:.foresight/forecasts/shop-deployment-cart.svg`), /^<svg [^>]*>[^]*q99[^]*<\/svg>\n$/);

      await t.send([first, second]);
      await waitFor(async () => (proc.output().match(/recommendation already committed/g) ?? []).length >= 2, 30_000);
      assert.equal(count(t.repo, branch), 2, 'redelivery commits nothing');
      assert.equal(LocalGitBackend.pullRequests(t.repo.remote).length, 1);
      assert.equal(LocalGitBackend.pullRequests(t.repo.remote)[0].body, prs[0].body, 'the pull request is left as it was');
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it("makes one commit of a workload's recommendations that arrive within the commit window", async () => {
    const t = await setup();
    const proc = t.start();
    try {
      await proc.waitForOutput('joined consumer group');
      await t.send([recommendation('shop/Deployment/checkout', 'rec-w1', [['minReplicas', '4']])]);
      await new Promise((r) => setTimeout(r, 400));
      await t.send([recommendation('shop/Deployment/checkout', 'rec-w2', [['requests.cpu', '1200m']], { type: 'RESOURCES', container: 'app' })]);
      assert.ok(await waitFor(async () => count(t.repo, 'main') >= 2, 30_000), proc.output().slice(-2000));
      await new Promise((r) => setTimeout(r, 3_000)); // nothing else comes
      assert.equal(count(t.repo, 'main'), 2, 'one commit for both');
      assert.deepEqual(t.repo.git('log', '-1', '--format=%(trailers:key=Recommendation-Id,valueonly)', 'main').trim().split('\n'), ['rec-w1', 'rec-w2']);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it('commits the changes of a base staging also deploys into a new patch of the prod overlay, then edits that patch', async () => {
    const base =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: search\n  annotations: {foresight.dev/managed: "true"}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: search:1\n';
    const t = await committerSetup({
      'apps/search/base/kustomization.yaml': 'resources:\n  - search.yaml\n',
      'apps/search/base/search.yaml': base,
      'apps/search/overlays/staging/kustomization.yaml': 'namespace: shop-staging\nresources:\n  - ../../base\n',
      'apps/search/overlays/prod/kustomization.yaml': 'namespace: shop\nresources:\n  - ../../base\n',
    });
    const start = count(t.repo, 'main');
    const proc = t.start();
    try {
      await proc.waitForOutput('joined consumer group');
      await t.send([
        recommendation('shop/Deployment/search', 'rec-s1', [['replicas', '3']]),
        recommendation('shop/Deployment/search', 'rec-s2', [['requests.cpu', '250m']], { type: 'RESOURCES', container: 'app' }),
      ]);
      assert.ok(await waitFor(async () => count(t.repo, 'main') === start + 1, 30_000), proc.output().slice(-2000));
      const PATCH = 'apps/search/overlays/prod/foresight-deployment-search.yaml';
      assert.deepEqual(t.repo.git('show', '--name-status', '--format=', 'main').trim().split('\n').sort(), [
        `A\t${PATCH}`,
        'M\tapps/search/overlays/prod/kustomization.yaml',
      ]);
      assert.equal(t.repo.git('show', 'main:apps/search/base/search.yaml'), base, 'the base staging also deploys is unchanged');
      assert.match(t.repo.git('show', 'main:apps/search/overlays/prod/kustomization.yaml'), /patches:\n {2}- path: foresight-deployment-search\.yaml\n$/);
      assert.match(t.repo.git('show', `main:${PATCH}`), /replicas: 3\n[\s\S]*- name: app\n {10}resources:\n {12}requests:\n {14}cpu: 250m\n/);

      // a later change edits the patch in place
      await t.send([recommendation('shop/Deployment/search', 'rec-s3', [['replicas', '4']])]);
      assert.ok(await waitFor(async () => count(t.repo, 'main') === start + 2, 30_000), proc.output().slice(-2000));
      assert.deepEqual(t.repo.git('show', '--name-status', '--format=', 'main').trim().split('\n'), [`M\t${PATCH}`]);
      assert.match(t.repo.git('show', `main:${PATCH}`), /replicas: 4\n/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });
});
