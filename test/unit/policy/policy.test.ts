import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parsePolicyFile, PolicyError } from '../../../src/policy/policy-loader.js';
import { quantileForRisk } from '../../../src/policy/policy-schema.js';
import { PolicySet } from '../../../src/policy/policy-set.js';
import { PolicyStore } from '../../../src/processor/policy-checkout.js';
import { tempDir } from '../../helpers/temp-dir.js';

const DEFAULTS = `apiVersion: foresight.dev/v1
kind: Policy
metadata:
  name: defaults
spec:
  sloRisk: 0.01
  replicas:
    min: 2
    max: 20
  change:
    cooldownMinutes: 15
`;
const SHOP = `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: shop }
scope: { namespace: shop }
spec:
  budget: { monthly: 1200, currency: EUR }
  replicas: { max: 8 }
`;
const CHECKOUT = `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: checkout }
scope: { workload: shop/Deployment/checkout }
spec:
  sloRisk: 0.1
  replicas: { min: 3, perReplicaCapacity: 0.5 }
`;

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
}

describe('policies as code', () => {
  it('layers defaults → namespace → workload, each overriding only what it sets', () => {
    const set = new PolicySet([
      { file: 'defaults.yaml', policy: parsePolicyFile('defaults.yaml', DEFAULTS)[0] },
      { file: 'shop.yaml', policy: parsePolicyFile('shop.yaml', SHOP)[0] },
      { file: 'checkout.yaml', policy: parsePolicyFile('checkout.yaml', CHECKOUT)[0] },
    ]);
    const p = set.resolve({ namespace: 'shop', kind: 'Deployment', name: 'checkout' });
    assert.deepEqual(p.replicas, {
      min: 3,
      max: 8,
      targetUtilization: 0.7,
      perReplicaCapacity: 0.5,
      metric: 'cpu_usage',
      nodePool: 'default',
      peakMargin: 0.2,
    });
    assert.equal(p.sloRisk, 0.1);
    assert.deepEqual(p.budget, { currency: 'EUR', monthly: 1200, onBreach: 'cap' });
    assert.equal(p.change.cooldownMinutes, 15);
    assert.equal(p.change.maxStepPercent, 50, 'built-in default');
    assert.deepEqual(p.sources, ['built-in defaults', 'defaults (defaults.yaml)', 'shop (shop.yaml)', 'checkout (checkout.yaml)']);
    const other = set.resolve({ namespace: 'web', kind: 'Deployment', name: 'x' });
    assert.deepEqual([other.replicas.min, other.replicas.max, other.sloRisk], [2, 20, 0.01]);
    assert.equal(quantileForRisk(0.01), 0.99);
    assert.equal(quantileForRisk(0.1), 0.9);
  });

  it('rejects a type error with file, line and field', () => {
    const bad = DEFAULTS.replace('max: 20', 'max: twenty');
    assert.throws(
      () => parsePolicyFile('policies/defaults.yaml', bad),
      (e: unknown) => {
        assert.ok(e instanceof PolicyError);
        assert.equal(e.file, 'policies/defaults.yaml');
        assert.equal(e.line, 9);
        assert.equal(e.field, 'spec.replicas.max');
        assert.match(e.message, /^policies\/defaults\.yaml:9: spec\.replicas\.max: /);
        return true;
      },
    );
    assert.throws(() => parsePolicyFile('p.yaml', DEFAULTS.replace('cooldownMinutes', 'cooldown')), /p\.yaml:11: spec\.change: .*cooldown/);
    assert.throws(() => parsePolicyFile('p.yaml', DEFAULTS.replace('min: 2', 'min: 30')), /spec\.replicas\.min: min must not exceed max/);
    assert.throws(() => parsePolicyFile('p.yaml', 'spec: [unclosed'), /p\.yaml:1: not valid YAML/);
  });

  it('reloads when the repository HEAD moves, and keeps the policy in force when a new one is invalid', async () => {
    const repo = tempDir('gitops-');
    git(repo, 'init', '-q', '-b', 'main');
    mkdirSync(path.join(repo, 'policies'));
    writeFileSync(path.join(repo, 'policies', 'defaults.yaml'), DEFAULTS);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'policies');
    const rejected: string[] = [];
    const store = new PolicyStore(repo, 'policies', { onRejected: (_h, e) => rejected.push(e.message) });
    assert.equal(await store.refresh(), true);
    assert.equal(await store.refresh(), false, 'same HEAD: nothing to do');
    const w = { namespace: 'shop', kind: 'Deployment', name: 'checkout' };
    assert.equal(store.policies.resolve(w).replicas.max, 20);

    writeFileSync(path.join(repo, 'policies', 'defaults.yaml'), DEFAULTS.replace('max: 20', 'max: "many"'));
    git(repo, 'commit', '-qam', 'a typo');
    assert.equal(await store.refresh(), false);
    assert.match(rejected[0], /defaults\.yaml:9: spec\.replicas\.max/);
    assert.equal(store.policies.resolve(w).replicas.max, 20, 'the previous policy stays in force');

    writeFileSync(path.join(repo, 'policies', 'defaults.yaml'), DEFAULTS.replace('max: 20', 'max: 12'));
    git(repo, 'commit', '-qam', 'fixed');
    assert.equal(await store.refresh(), true);
    assert.equal(store.policies.resolve(w).replicas.max, 12);
  });
});

describe('the default policy', () => {
  it('deploy/gitops-example/policies/defaults.yaml says what the built-in defaults say (the policy the backtest table measures)', async () => {
    const { readFileSync } = await import('node:fs');
    const { DEFAULT_POLICY } = await import('../../../src/policy/policy-schema.js');
    const { PROJECT_ROOT } = await import('../../../src/util/paths.js');
    const file = path.join(PROJECT_ROOT, 'deploy', 'gitops-example', 'policies', 'defaults.yaml');
    const [yaml] = parsePolicyFile('defaults.yaml', readFileSync(file, 'utf8'));
    const resolved = new PolicySet([{ file: 'defaults.yaml', policy: yaml }]).resolve({ namespace: 'x', kind: 'Deployment', name: 'y' });
    assert.deepEqual({ ...resolved, sources: [] }, { ...DEFAULT_POLICY, sources: [] });
  });
});
