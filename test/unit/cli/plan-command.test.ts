/**
 * `foresight plan` as a user runs it (a child process, no Kafka): on a checkout where prod and
 * staging share a base, it prints the committer's edit (a new patch in prod's overlay, the
 * kustomization listing it) without writing anything, and a refusal's reason with exit code 1.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { lineDiff } from '../../../src/cli/plan-command.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FILES: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n  - web.yaml\n',
  'base/web.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: {foresight.dev/managed: "true"}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: web:1\n',
  'overlays/prod/kustomization.yaml': 'namespace: prod\nresources:\n  - ../../base\n',
  'overlays/staging/kustomization.yaml': 'namespace: staging\nresources:\n  - ../../base\n',
};

describe('foresight plan', () => {
  it('prints the edit the committer would make, writes nothing, and says why it refuses', () => {
    const repo = tempDir('plan-');
    for (const [f, text] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      writeFileSync(path.join(repo, f), text);
    }
    const out = runCli(['plan', '--repo', repo, '--workload', 'prod/Deployment/web', '--set', 'replicas=3', 'requests.cpu=250m', '--container', 'app'], {});
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^overlays\/prod\/foresight-deployment-web\.yaml: replicas 2 → 3\n/);
    assert.match(out.stdout, /\+\+\+ overlays\/prod\/foresight-deployment-web\.yaml \(new file\)\n/);
    assert.match(
      out.stdout,
      /--- overlays\/prod\/kustomization\.yaml\n\+\+\+ overlays\/prod\/kustomization\.yaml\n {2}namespace: prod\n {2}resources:\n {4}- \.\.\/\.\.\/base\n\+ patches:\n\+ {3}- path: foresight-deployment-web\.yaml/,
    );
    assert.equal(readFileSync(path.join(repo, 'overlays/prod/kustomization.yaml'), 'utf8'), FILES['overlays/prod/kustomization.yaml'], 'nothing written');

    const refused = runCli(['plan', '--repo', repo, '--workload', 'prod/Deployment/nope', '--set', 'replicas=3'], {});
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /refused \(unknown-workload\): prod\/Deployment\/nope is not in the GitOps repository/);
    const bad = runCli(['plan', '--repo', repo, '--workload', 'prod/web', '--set', 'replicas=3'], {});
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--workload: prod\/web: expected namespace\/Kind\/name/);
  });

  it('diffs lines by their longest common subsequence', () => {
    assert.equal(lineDiff('a\nb\nc\n', 'a\nx\nc\n'), '  a\n- b\n+ x\n  c');
    assert.equal(lineDiff('', 'new\n'), '+ new');
  });
});
