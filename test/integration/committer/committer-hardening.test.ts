/**
 * The committer against what a hostile but fair test found (issue 12): a shell's EDITOR/PAGER/
 * GIT_* variables, an invalid policy file, no valid policy at all, a person's edit of the same
 * field, a 50 MB manifest and an alias bomb. Real stack: Kafka, the registry, real Git.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../../../src/util/retry.js';
import { committerSetup, recommendation } from '../../helpers/committer.js';

const CHECKOUT_PATCH = 'apps/shop/overlays/prod/checkout-patch.yaml';

/** Applies to payments; replicas.max on line 10 is beyond any sane bound. */
const HUGE = `apiVersion: foresight.dev/v1
kind: Policy
metadata:
  name: payments-huge
scope:
  namespace: payments
spec:
  replicas:
    min: 1
    max: 1000000000
`;

/** A managed Deployment whose pod labels expand to 9^8 strings ("billion laughs"). */
function aliasBomb(): string {
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const lines = levels.map((l, i) => `        ${l}: &${l} [${(i === 0 ? Array(9).fill('"lol"') : Array(9).fill(`*${levels[i - 1]}`)).join(', ')}]`);
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bomb\n  namespace: shop\n  annotations: { foresight.dev/managed: "true" }\nspec:\n  replicas: 2\n  template:\n    metadata:\n      annotations:\n${lines.join('\n')}\n`;
}

/** A managed Deployment of 50 MB (a ConfigMap-sized blob in an annotation). */
function hugeManifest(): string {
  const line = `      # ${'x'.repeat(120)}\n`;
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: big\n  namespace: shop\n  annotations: { foresight.dev/managed: "true" }\nspec:\n  replicas: 2\n  template:\n    spec:\n${line.repeat(Math.ceil((50 * 1024 * 1024) / line.length))}      containers: [{ name: app, image: app:1 }]\n`;
}

describe('committer hardening', () => {
  it('commits when the shell sets EDITOR, PAGER, GIT_SSH_COMMAND, GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE', async () => {
    const t = await committerSetup();
    await t.send([recommendation('shop/Deployment/checkout', 'rec-env', [['minReplicas', '4']])]);
    const proc = t.start({
      EDITOR: 'vi',
      PAGER: 'less',
      GIT_PAGER: 'less',
      GIT_SSH_COMMAND: 'ssh',
      GIT_DIR: '/nonexistent',
      GIT_WORK_TREE: '/nonexistent',
      GIT_INDEX_FILE: '/nonexistent/index',
    });
    try {
      assert.ok(await waitFor(async () => t.count('main') === 2, 60_000), `no commit; output:\n${proc.output().slice(-3000)}`);
      assert.doesNotMatch(proc.output(), /not permitted/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it('keeps the valid policy files in force when one is invalid, and names the invalid one with file:line', async () => {
    // before: one invalid file made every file fail, and the built-in defaults ([1, 10]) applied to all
    // a valid payments policy ([1, 16]) beside the invalid ones: 15 is inside it, outside the built-in defaults' [1, 10]
    const payments =
      'apiVersion: foresight.dev/v1\nkind: Policy\nmetadata: { name: payments }\nscope: { namespace: payments }\nspec:\n  replicas: { min: 1, max: 16 }\n';
    const t = await committerSetup({
      'policies/payments.yaml': payments,
      'policies/zz-payments.yaml': HUGE,
      'policies/zz-typo.yaml': 'apiVersion: foresight.dev/v1\nkind: Policy\nmetadata: { name: typo }\nspec:\n  replica: { max: 3 }\n',
    });
    await t.send([
      recommendation('shop/Deployment/checkout', 'rec-below-shop-min', [['minReplicas', '1']]), // shop.yaml: [2, 12]
      recommendation('payments/Deployment/payments', 'rec-payments', [['maxReplicas', '15']]), // payments.yaml: [1, 16]
    ]);
    const proc = t.start();
    try {
      assert.ok(
        await waitFor(async () => t.count('main') === 2 && (await t.letters()).length === 1, 60_000),
        `commits ${t.count('main')}; output:\n${proc.output().slice(-3000)}`,
      );
      const [letter] = await t.letters();
      assert.equal(letter.reason, 'out-of-bounds');
      assert.match(letter.detail, /minReplicas 1 is outside the policy bounds \[2, 12\]/);
      assert.match(t.repo.git('show', 'main:apps/payments/payments.yaml'), /maxReplicas: 15/);
      assert.match(proc.output(), /policies\/zz-payments\.yaml:10: spec\.replicas\.max: .*10000/, 'the invalid file is named with its line');
      assert.match(proc.output(), /policies\/zz-typo\.yaml:5: spec: .*replica/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it('refuses to commit (policy-unavailable) when no policy file was ever valid', async () => {
    const t = await committerSetup({
      'policies/defaults.yaml': 'apiVersion: foresight.dev/v1\nkind: Policy\nmetadata: { name: defaults }\nspec: { replicas: { max: many } }\n',
      'policies/shop.yaml': 'spec: [unclosed\n',
      'policies/ml.yaml': 'kind: Policy\n', // every policy file of the example repository invalid
    });
    await t.send([recommendation('shop/Deployment/checkout', 'rec-no-policy', [['minReplicas', '4']])]);
    const proc = t.start();
    try {
      assert.ok(await waitFor(async () => (await t.letters()).length === 1, 60_000), proc.output().slice(-3000));
      const [letter] = await t.letters();
      assert.equal(letter.reason, 'policy-unavailable');
      assert.equal(t.count('main'), 1, 'nothing committed');
      assert.match(proc.output(), /policies\/defaults\.yaml:4: /);
      assert.match(proc.output(), /policies\/shop\.yaml:2: not valid YAML/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it("never overwrites a person's edit of the field made after the recommendation (stale-current)", async () => {
    const t = await committerSetup();
    // the loop saw minReplicas 3 and proposes 4; meanwhile a person commits 3 → 8
    t.humanEdit(CHECKOUT_PATCH, 'minReplicas: 3 ', 'minReplicas: 8 ');
    const stale = recommendation('shop/Deployment/checkout', 'rec-stale', [['minReplicas', '4']]);
    stale.changes[0].current = '3';
    const fresh = recommendation('payments/Deployment/payments', 'rec-fresh', [['maxReplicas', '10']]);
    fresh.changes[0].current = '8';
    await t.send([stale, fresh]);
    const proc = t.start();
    try {
      assert.ok(
        await waitFor(async () => t.count('main') === 3 && (await t.letters()).length === 1, 60_000),
        `commits ${t.count('main')}; output:\n${proc.output().slice(-3000)}`,
      );
      const [letter] = await t.letters();
      assert.equal(letter.reason, 'stale-current');
      assert.match(letter.detail, /minReplicas is 8 in apps\/shop\/overlays\/prod\/checkout-patch\.yaml, but the recommendation was made from 3/);
      assert.match(t.repo.git('show', `main:${CHECKOUT_PATCH}`), /minReplicas: 8 {3}# never fewer than 3/, "the person's value stays");
      assert.match(t.repo.git('show', 'main:apps/payments/payments.yaml'), /maxReplicas: 10/, 'a field whose current is right is committed');
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it('reports a 50 MB manifest and an alias bomb as manifest-invalid with file:line, commits the rest, and stops promptly', async (ctx) => {
    const t = await committerSetup({ 'apps/big/big.yaml': hugeManifest(), 'apps/bomb/bomb.yaml': aliasBomb() });
    await t.send([
      recommendation('shop/Deployment/big', 'rec-big', [['replicas', '3']]),
      recommendation('shop/Deployment/bomb', 'rec-bomb', [['replicas', '3']]),
      recommendation('shop/Deployment/checkout', 'rec-checkout', [['minReplicas', '4']]),
    ]);
    const proc = t.start();
    let stopMs: number | undefined;
    try {
      assert.ok(
        await waitFor(async () => t.count('main') === 2 && (await t.letters()).length === 2, 120_000),
        `commits ${t.count('main')}; output:\n${proc.output().slice(-3000)}`,
      );
      const letters = (await t.letters()).sort((a, b) => a.sourceOffset - b.sourceOffset);
      assert.deepEqual(
        letters.map((l) => l.reason),
        ['manifest-invalid', 'manifest-invalid'],
      );
      assert.match(letters[0].detail, /apps\/big\/big\.yaml:1: file too large: \d{8} bytes > 1048576/);
      assert.match(letters[1].detail, /apps\/bomb\/bomb\.yaml:1: .*alias/i);
    } finally {
      const t0 = Date.now();
      proc.child.kill('SIGTERM');
      await proc.exited;
      stopMs = Date.now() - t0;
    }
    assert.equal(await proc.exited, 0);
    ctx.diagnostic(`SIGTERM to exit: ${stopMs} ms`);
    assert.ok(stopMs !== undefined && stopMs < 30_000, `SIGTERM took ${stopMs} ms`);
  });
});
