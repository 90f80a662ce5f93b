/**
 * git as the committer runs it reads no configuration of the user's (a reviewer's find #10: a
 * ~/.gitconfig with core.hooksPath ran the user's hooks on the bot's commits, commit.gpgsign made
 * every commit fail), and a token given as an https remote's user name is a secret like a
 * password (find #11): askpass, not on git's command line, not in .git/config, not in the logs.
 * Real git throughout: a bare repository, the committer's clone, a `git http-backend` server.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { remoteAccess } from '../../../src/committer/git-credentials.js';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { seedBareRepository } from '../../../src/committer/seed.js';
import { createLogger, scrub } from '../../../src/telemetry/log.js';
import { localCommitter, rec } from '../../helpers/committer-local.js';
import { GitHttpServer, pushPaymentsMaxReplicas } from '../../helpers/git-http-server.js';
import { tempDir } from '../../helpers/temp-dir.js';

const saved = { HOME: process.env.HOME, PATH: process.env.PATH };
afterEach(() => {
  process.env.HOME = saved.HOME;
  process.env.PATH = saved.PATH;
});

describe('git run by the committer', () => {
  it("reads neither the user's ~/.gitconfig nor runs their hooks, in seeding and in commits", async () => {
    const home = tempDir('foresight-home-');
    const hooks = path.join(home, 'hooks');
    mkdirSync(hooks);
    for (const hook of ['pre-commit', 'commit-msg', 'pre-push']) {
      writeFileSync(path.join(hooks, hook), `#!/bin/sh\necho "${hook} ran with password [$FORESIGHT_GIT_PASSWORD]" >> '${home}/hook-ran'\n`);
      chmodSync(path.join(hooks, hook), 0o755);
    }
    writeFileSync(path.join(home, '.gitconfig'), `[core]\n\thooksPath = ${hooks}\n[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = /bin/false\n`);
    process.env.HOME = home;
    const t = await localCommitter(); // seeds the bare repository (a commit) and clones it under this HOME
    assert.deepEqual(await t.apply(rec('payments/Deployment/payments', 'rec-home', [['maxReplicas', '8', '9']])), []);
    assert.match(t.git('show', 'main:apps/payments/payments.yaml'), /maxReplicas: 9/);
    assert.equal(t.git('log', '-1', '--format=%an', 'main').trim(), 'Bot');
    assert.ok(
      !existsSync(path.join(home, 'hook-ran')),
      `a user's hook ran: ${existsSync(path.join(home, 'hook-ran')) ? readFileSync(path.join(home, 'hook-ran'), 'utf8') : ''}`,
    );
  });

  it('treats a token given as the URL user name as a secret: askpass, not in argv, .git/config or the logs', async () => {
    const token = 'ghp_R3alLooking7okenAbcdefghijklmnopqrstu';
    const a = remoteAccess(`https://${token}@github.com/acme/gitops.git`);
    assert.equal(a.url, 'https://github.com/acme/gitops.git');
    assert.equal(scrub(`cloned ${token}`).includes(token), false, 'registered with the log scrubber');
    assert.deepEqual(
      remoteAccess('ssh://git@github.com/acme/gitops.git'),
      { url: 'ssh://git@github.com/acme/gitops.git', env: {} },
      'ssh user names are not secrets',
    );

    const tmp = tempDir('foresight-git-token-');
    seedBareRepository(path.join(tmp, 'repo'));
    const server = new GitHttpServer(path.join(tmp, 'repo'), token, '');
    const argvLog = path.join(tmp, 'git-argv.log');
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`);
    chmodSync(path.join(bin, 'git'), 0o755);
    process.env.PATH = `${bin}:${saved.PATH}`;
    await server.start();
    try {
      let logs = '';
      const log = createLogger('committer', 'trace', new Writable({ write: (c, _e, cb) => cb(void (logs += c.toString())) }));
      const workdir = path.join(tmp, 'work');
      const backend = await LocalGitBackend.open({ remote: `${server.url.replace('http://', `http://${token}@`)}/gitops.git`, workdir }, log);
      const sha = await pushPaymentsMaxReplicas(backend);
      assert.ok(sha);
      assert.ok(server.authorized > 0, 'the server got the token through askpass');
      assert.match(
        execFileSync('git', ['-C', path.join(tmp, 'repo', 'gitops.git'), 'show', 'main:apps/payments/payments.yaml'], { encoding: 'utf8' }),
        /maxReplicas: 9/,
      );
      const argv = readFileSync(argvLog, 'utf8');
      assert.match(argv, /push/);
      assert.ok(!argv.includes(token), `the token is on a git command line:\n${argv}`);
      assert.ok(!readFileSync(path.join(workdir, '.git', 'config'), 'utf8').includes(token), 'the token is in .git/config');
      assert.match(logs, /cloned the GitOps repository/);
      assert.ok(!logs.includes(token), 'the token is in the logs');
    } finally {
      await server.stop();
    }
  });

  it("pushes to an https remote with the user's own credential helper (~/.gitconfig), which the isolation keeps", async () => {
    const tmp = tempDir('foresight-git-helper-');
    const home = path.join(tmp, 'home');
    mkdirSync(home);
    // a helper as `gh auth setup-git` or a credential manager would install: it answers `get` with the user's credentials
    writeFileSync(
      path.join(home, '.gitconfig'),
      `[credential]\n\thelper = "!f() { test \\"$1\\" = get && printf 'username=bot\\\\npassword=from-the-helper\\\\n'; }; f"\n[core]\n\thooksPath = ${home}/hooks\n`,
    );
    process.env.HOME = home;
    seedBareRepository(path.join(tmp, 'repo'));
    const server = new GitHttpServer(path.join(tmp, 'repo'), 'bot', 'from-the-helper');
    await server.start();
    try {
      const backend = await LocalGitBackend.open({ remote: `${server.url}/gitops.git`, workdir: path.join(tmp, 'work') }, createLogger('committer', 'silent'));
      const sha = await pushPaymentsMaxReplicas(backend);
      assert.ok(sha);
      assert.ok(server.authorized > 0, 'the server got the credentials of the helper');
      assert.equal(execFileSync('git', ['-C', path.join(tmp, 'repo', 'gitops.git'), 'rev-parse', 'main'], { encoding: 'utf8' }).trim(), sha);
    } finally {
      await server.stop();
    }
  });
});
