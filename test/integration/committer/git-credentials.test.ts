/**
 * A GitOps remote over HTTP with a password in FORESIGHT_GITOPS_REMOTE: the local backend
 * clones, commits and pushes through a real `git http-backend` that requires basic
 * authentication, and the password is never on a git command line (`ps` shows those to every
 * user), never in the clone's .git/config, and reaches git through GIT_ASKPASS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { askpassScript } from '../../../src/committer/git-credentials.js';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { seedBareRepository } from '../../../src/committer/seed.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { GitHttpServer, pushPaymentsMaxReplicas } from '../../helpers/git-http-server.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PASSWORD = 's3cret-Pa55/word';

describe('local backend with a password in an http remote', () => {
  const tmp = tempDir('foresight-git-http-');
  const argvLog = path.join(tmp, 'git-argv.log');
  const server = new GitHttpServer(path.join(tmp, 'repo'), 'bot', PASSWORD);
  const savedPath = process.env.PATH;

  before(async () => {
    seedBareRepository(path.join(tmp, 'repo'));
    // every git the backend runs goes through this wrapper, which records its command line
    const bin = path.join(tmp, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`);
    chmodSync(path.join(bin, 'git'), 0o755);
    process.env.PATH = `${bin}:${savedPath}`;
    await server.start();
  });
  after(async () => {
    process.env.PATH = savedPath;
    await server.stop();
  });

  it('clones, commits and pushes with the password given through GIT_ASKPASS only', async () => {
    let logs = '';
    const log = createLogger(
      'committer',
      'trace',
      new Writable({
        write: (c, _e, cb) => {
          logs += c.toString();
          cb();
        },
      }),
    );
    const remote = `${server.url.replace('http://', `http://bot:${encodeURIComponent(PASSWORD)}@`)}/gitops.git`;
    const workdir = path.join(tmp, 'work');
    const backend = await LocalGitBackend.open({ remote, workdir }, log);
    const sha = await pushPaymentsMaxReplicas(backend);
    assert.ok(sha);
    const pushed = execFileSync('git', ['-C', path.join(tmp, 'repo', 'gitops.git'), 'show', 'main:apps/payments/payments.yaml'], { encoding: 'utf8' });
    assert.match(pushed, /maxReplicas: 9/, 'the commit reached the remote over http');
    assert.ok(
      server.refused > 0 && server.authorized > 0,
      `the server asked for credentials and got them (refused ${server.refused}, authorized ${server.authorized})`,
    );

    const argv = readFileSync(argvLog, 'utf8');
    assert.match(argv, /clone/);
    assert.match(argv, /push/);
    for (const form of [PASSWORD, encodeURIComponent(PASSWORD)]) {
      assert.ok(!argv.includes(form), `the password is on a git command line:\n${argv}`);
      assert.ok(!readFileSync(path.join(workdir, '.git', 'config'), 'utf8').includes(form), 'the password is in .git/config');
      assert.ok(!logs.includes(form), 'the password is in the logs');
    }
    assert.match(argv, /http:\/\/bot@127\.0\.0\.1:\d+\/gitops\.git/, 'git is given the URL without the password');
  });

  it('still pushes after a /tmp cleaner removed the askpass script of a running committer (review find)', async () => {
    const remote = `${server.url.replace('http://', `http://bot:${encodeURIComponent(PASSWORD)}@`)}/gitops.git`;
    const backend = await LocalGitBackend.open({ remote, workdir: path.join(tmp, 'work-cleaned') }, createLogger('committer', 'silent'));
    // what a tmp cleaner does to an idle committer's private folder
    rmSync(path.dirname(askpassScript()), { recursive: true, force: true });
    const sha = await backend.commit({
      branch: 'main',
      base: 'main',
      author: { name: 'Foresight', email: 'bot@example.com' },
      edit: (files) => ({
        changed: new Map([['apps/payments/payments.yaml', files.get('apps/payments/payments.yaml')!.replace(/maxReplicas: \d+/, 'maxReplicas: 11')]]),
        message: 'foresight: payments maxReplicas →11',
      }),
    });
    assert.ok(sha, 'the commit was pushed with the script written again');
    assert.match(
      execFileSync('git', ['-C', path.join(tmp, 'repo', 'gitops.git'), 'show', 'main:apps/payments/payments.yaml'], { encoding: 'utf8' }),
      /maxReplicas: 11/,
    );
  });
});
