/** The bench's policy repository is the bench process's: it leaves no `foresight-bench-policy-*` folder in the temporary directory. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';

describe('bench policy repository', () => {
  it('is a committed checkout of the bench policy while the process runs, and is removed when it exits', () => {
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        [
          "import { execFileSync } from 'node:child_process';",
          `import { benchPolicyRepo } from ${JSON.stringify(new URL('../../../src/bench/policy-repo.js', import.meta.url).href)};`,
          'const repo = benchPolicyRepo();',
          "console.log(repo); console.log(execFileSync('git', ['-C', repo, 'ls-tree', '-r', '--name-only', 'HEAD'], { encoding: 'utf8' }).trim());",
        ].join('\n'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    const [repo, files] = child.stdout.trim().split('\n');
    assert.equal(files, 'policies/bench.yaml', 'the policy was committed');
    assert.equal(existsSync(repo), false, `${repo} was removed when the bench process exited`);
  });
});
