/** What git is given: an allow-listed environment, and a remote URL without its password (askpass gives it). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { remoteAccess } from '../../../src/committer/git-credentials.js';
import { gitEnv } from '../../../src/committer/git-env.js';

describe('git environment', () => {
  it('keeps what git needs and drops what a shell sets', () => {
    const env = gitEnv(
      { GIT_AUTHOR_NAME: 'Foresight' },
      {
        PATH: '/usr/bin',
        HOME: '/home/u',
        LC_ALL: 'C.UTF-8',
        HTTPS_PROXY: 'http://proxy:3128',
        EDITOR: 'vi',
        PAGER: 'less',
        GIT_PAGER: 'less',
        GIT_SSH_COMMAND: 'ssh -i key',
        GIT_DIR: '/nonexistent',
        GIT_WORK_TREE: '/x',
        GIT_INDEX_FILE: '/x/index',
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'core.hooksPath',
        GIT_CONFIG_VALUE_0: '/evil',
        FORESIGHT_GITHUB_TOKEN: 'ghp_x',
      },
    );
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/home/u',
      LC_ALL: 'C.UTF-8',
      HTTPS_PROXY: 'http://proxy:3128',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'core.hooksPath',
      GIT_CONFIG_VALUE_0: '/dev/null',
      GIT_CONFIG_KEY_1: 'commit.gpgsign',
      GIT_CONFIG_VALUE_1: 'false',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Foresight',
    });
  });

  it('takes the password off a remote URL and gives it through GIT_ASKPASS', () => {
    const a = remoteAccess('https://bot:p%40ss%2Fword@git.example.com/gitops.git');
    assert.equal(a.url, 'https://bot@git.example.com/gitops.git');
    assert.ok(!JSON.stringify(a.url).includes('p%40ss'));
    const run = (prompt: string): string => execFileSync(a.env.GIT_ASKPASS, [prompt], { env: a.env, encoding: 'utf8' });
    assert.equal(run("Password for 'https://bot@git.example.com': "), 'p@ss/word\n');
    assert.equal(run("Username for 'https://git.example.com': "), 'bot\n');
    assert.deepEqual(remoteAccess('/srv/git/gitops.git'), { url: '/srv/git/gitops.git', env: {} });
    assert.deepEqual(remoteAccess('https://git.example.com/gitops.git'), { url: 'https://git.example.com/gitops.git', env: {} });
  });
});
