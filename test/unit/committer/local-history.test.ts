/**
 * What the demo reads of a local GitOps repository: the newest commit of one workload's changes
 * (its Recommendation-Id trailers), which need not be the branch head, and the pull requests in
 * the order of their numbers, whatever order the directory lists their files in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';

describe('local repository history', () => {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'local-history-'));
  after(() => rmSync(repo, { recursive: true, force: true }));
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim();
  const commit = (file: string, message: string): string => {
    writeFileSync(path.join(repo, file), message);
    git('add', file);
    git('commit', '-qm', message);
    return git('rev-parse', 'HEAD');
  };

  it('names the newest commit that carries one of the ids, not the head', () => {
    git('init', '-q', '-b', 'main');
    commit('seed.yaml', 'seed');
    commit('checkout.yaml', 'foresight: shop/Deployment/checkout minReplicas 3→4\n\nRecommendation-Id: aaa1\nTrace-Id: 0123');
    const second = commit('checkout.yaml', 'foresight: shop/Deployment/checkout minReplicas 4→5\n\nRecommendation-Id: aaa2\nRecommendation-Id: aaa3');
    const head = commit('llm.yaml', 'foresight: ml/Deployment/llm-server keda.minReplicaCount 2→3\n\nRecommendation-Id: bbb1');
    assert.notEqual(second, head);
    assert.deepEqual(LocalGitBackend.newestCommitWith(repo, 'main', new Set(['aaa1', 'aaa3'])), {
      sha: second,
      subject: 'foresight: shop/Deployment/checkout minReplicas 4→5',
      id: 'aaa3',
    });
    assert.equal(LocalGitBackend.newestCommitWith(repo, 'main', new Set(['bbb1']))?.sha, head);
    assert.equal(LocalGitBackend.newestCommitWith(repo, 'main', new Set(['ccc'])), undefined);
    // a trailer is a whole line: an id inside a subject does not count
    commit('other.yaml', 'mentions Recommendation-Id: ccc in passing');
    assert.equal(LocalGitBackend.newestCommitWith(repo, 'main', new Set(['ccc'])), undefined);
  });

  it('lists pull requests by number', () => {
    const dir = path.join(repo, 'foresight-pull-requests');
    mkdirSync(dir);
    // file names that sort (and hash) in another order than the numbers
    for (const [branch, number] of [
      ['foresight__shop__deployment__checkout', 2],
      ['foresight__ml__deployment__llm-server', 1],
      ['foresight__a__deployment__z', 3],
    ] as const)
      writeFileSync(path.join(dir, `${branch}.json`), JSON.stringify({ number, state: 'open', head: branch, title: 't', body: 'b', labels: [] }));
    assert.deepEqual(
      LocalGitBackend.pullRequests(repo).map((p) => p.number),
      [1, 2, 3],
    );
  });
});
