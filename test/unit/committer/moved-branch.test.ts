/**
 * The local backend when the branch moves between its snapshot and its push (a reviewer's
 * finds #1 and #2): it resets to the new remote tip and runs the edit again — never a rebase,
 * which replayed a person's force-pushed-away commit and pushed an edit nobody re-validated.
 * Real repositories: a bare remote, the bot's clone, a person's clone.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { localCommitter, rec } from '../../helpers/committer-local.js';

describe('a branch that moved under the committer', () => {
  it('respects a force-push: a commit the person removed does not come back', async () => {
    const t = await localCommitter();
    const p = t.person();
    const seed = p('rev-parse', 'HEAD').trim();
    const dir = p('rev-parse', '--show-toplevel').trim();
    writeFileSync(path.join(dir, 'apps/payments/db-password.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: payments}\n');
    p('add', '.');
    p('commit', '-qm', 'oops: a secret');
    p('push', '-q', 'origin', 'HEAD:main');
    // the bot's snapshot has the commit; the person force-pushes it away before the bot pushes
    t.onFirstEdit(() => {
      p('reset', '-q', '--hard', seed);
      p('push', '-q', '-f', 'origin', 'HEAD:main');
    });
    assert.deepEqual(await t.apply(rec('payments/Deployment/payments', 'rec-x', [['maxReplicas', '8', '9']])), []);
    assert.doesNotMatch(t.git('ls-tree', '-r', '--name-only', 'main'), /db-password/);
    assert.deepEqual(t.git('log', '--format=%s', 'main').trim().split('\n').length, 2, 'seed + the bot commit, nothing replayed');
    assert.equal(t.git('rev-parse', 'main~1').trim(), seed);
    assert.match(t.git('show', 'main:apps/payments/payments.yaml'), /maxReplicas: 9/);
  });

  it('re-validates on the new tip: a raise that now exceeds a limit a person lowered is refused', async () => {
    const t = await localCommitter();
    t.onFirstEdit(() => t.human('main', 'apps/shop/base/checkout.yaml', 'memory: 1Gi', 'memory: 800Mi'));
    const rejected = await t.apply(
      rec('shop/Deployment/checkout', 'rec-mem', [['requests.memory', '768Mi', '900Mi']], { type: 'RESOURCES', container: 'app' }),
    );
    assert.deepEqual(rejected, ['rec-mem: out-of-bounds']);
    assert.match(t.git('show', 'main:apps/shop/overlays/prod/checkout-patch.yaml'), /memory: 768Mi/);
    assert.deepEqual(t.git('log', '--format=%an', 'main').trim().split('\n'), ['Person', 'Platform Team'], 'no bot commit');
  });

  it('re-checks `current` on the new tip: a person who changed the field meanwhile wins', async () => {
    const t = await localCommitter();
    t.onFirstEdit(() => t.human('main', 'apps/payments/payments.yaml', 'maxReplicas: 8', 'maxReplicas: 11'));
    assert.deepEqual(await t.apply(rec('payments/Deployment/payments', 'rec-y', [['maxReplicas', '8', '9']])), ['rec-y: stale-current']);
    assert.match(t.git('show', 'main:apps/payments/payments.yaml'), /maxReplicas: 11/);
  });
});
