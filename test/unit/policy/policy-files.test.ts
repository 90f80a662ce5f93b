/**
 * Policy files judged one by one: an invalid file (YAML, schema, bounds, a name used twice)
 * affects only itself; its last valid version stays; none ever valid makes policies
 * unavailable. The processor's PolicyStore on a real Git checkout does the same.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PolicyFiles } from '../../../src/policy/policy-files.js';
import { parsePolicyFile } from '../../../src/policy/policy-loader.js';
import { PolicyStore } from '../../../src/processor/policy-checkout.js';
import { tempDir } from '../../helpers/temp-dir.js';

const policy = (name: string, scope: string, spec: string): string =>
  `apiVersion: foresight.dev/v1\nkind: Policy\nmetadata: { name: ${name} }\nscope: ${scope}\nspec:\n${spec}\n`;
const DEFAULTS = policy('defaults', '{}', '  replicas: { min: 1, max: 20 }');
const SHOP = policy('shop', '{ namespace: shop }', '  replicas: { min: 2, max: 12 }');
const BROKEN = 'spec: [unclosed\n';
const shop = { namespace: 'shop', kind: 'Deployment', name: 'checkout' };

describe('policy files', () => {
  it('leaves out only the invalid file; the valid ones stay in force', () => {
    const files = new PolicyFiles();
    const load = files.load([
      ['policies/defaults.yaml', DEFAULTS],
      ['policies/shop.yaml', SHOP],
      ['policies/zz.yaml', BROKEN],
    ]);
    assert.deepEqual(load.set.resolve(shop).replicas, { ...load.set.resolve(shop).replicas, min: 2, max: 12 });
    assert.deepEqual(
      load.errors.map((e) => e.message),
      ['policies/zz.yaml:2: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    );
    assert.equal(files.available, true);
  });

  it('keeps the last valid version of a file that becomes invalid, and drops a deleted file', () => {
    const files = new PolicyFiles();
    files.load([
      ['policies/defaults.yaml', DEFAULTS],
      ['policies/shop.yaml', SHOP],
    ]);
    const typo = files.load([
      ['policies/defaults.yaml', DEFAULTS],
      ['policies/shop.yaml', SHOP.replace('max: 12', 'max: twelve')],
    ]);
    assert.deepEqual(typo.kept, ['policies/shop.yaml']);
    assert.equal(typo.changed, false);
    assert.equal(typo.set.resolve(shop).replicas.max, 12);
    const gone = files.load([['policies/defaults.yaml', DEFAULTS]]);
    assert.equal(gone.changed, true);
    assert.equal(gone.set.resolve(shop).replicas.max, 20);
  });

  it('refuses values beyond their bounds, with file:line', () => {
    assert.throws(
      () => parsePolicyFile('policies/p.yaml', policy('p', '{}', '  replicas:\n    max: 1000000000')),
      /policies\/p\.yaml:7: spec\.replicas\.max: Too big: expected number to be <=10000/,
    );
    assert.throws(() => parsePolicyFile('policies/p.yaml', policy('p', '{}', '  change: { cooldownMinutes: 10000000 }')), /spec\.change\.cooldownMinutes/);
    assert.throws(() => parsePolicyFile('policies/p.yaml', policy('p', '{}', '  budget: { monthly: 1e300 }')), /spec\.budget\.monthly/);
  });

  it('leaves out the second file that defines a policy name again', () => {
    const load = new PolicyFiles().load([
      ['policies/a.yaml', DEFAULTS],
      ['policies/b.yaml', DEFAULTS.replace('max: 20', 'max: 3')],
    ]);
    assert.equal(load.set.resolve(shop).replicas.max, 20);
    assert.match(load.errors[0].message, /policies\/b\.yaml:1: metadata\.name: policy defaults is also defined in policies\/a\.yaml/);
  });

  it('is unavailable while files exist and none was ever valid; defaults when there is no file', () => {
    const files = new PolicyFiles();
    files.load([['policies/defaults.yaml', BROKEN]]);
    assert.equal(files.available, false);
    files.load([['policies/defaults.yaml', DEFAULTS]]);
    assert.equal(files.available, true);
    files.load([['policies/defaults.yaml', BROKEN]]);
    assert.equal(files.available, true, 'a valid version was loaded before: it stays in force');
    const none = new PolicyFiles();
    none.load([]);
    assert.equal(none.available, true);
  });

  it('an alias bomb or an oversized file is an invalid file, not a stall', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n`;
    assert.throws(() => parsePolicyFile('policies/bomb.yaml', bomb), /policies\/bomb\.yaml:1: cannot be read: .*alias/i);
    assert.throws(
      () => parsePolicyFile('policies/big.yaml', `# ${'x'.repeat(2 * 1024 * 1024)}\n`),
      /policies\/big\.yaml:1: file too large: 2097155 bytes > 1048576/,
    );
  });

  it("the processor's store loads the valid files of a checkout in which one file is invalid", async () => {
    const repo = tempDir('gitops-');
    const git = (...args: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    mkdirSync(path.join(repo, 'policies'));
    writeFileSync(path.join(repo, 'policies', 'defaults.yaml'), DEFAULTS);
    writeFileSync(path.join(repo, 'policies', 'shop.yaml'), SHOP);
    writeFileSync(path.join(repo, 'policies', 'zz-huge.yaml'), policy('huge', '{ namespace: payments }', '  replicas: { max: 1000000000 }'));
    git('add', '.');
    git('commit', '-qm', 'policies');
    const rejected: string[] = [];
    const store = new PolicyStore(repo, 'policies', { onRejected: (_h, e) => rejected.push(e.message) });
    assert.equal(await store.refresh(), true);
    assert.equal(store.policies.resolve(shop).replicas.min, 2, 'shop.yaml is in force');
    assert.match(rejected.join('\n'), /policies\/zz-huge\.yaml:6: spec\.replicas\.max/);
    assert.equal(store.available, true);
  });
});
