/** What git is given: an allow-listed environment, and a remote URL without its password (askpass gives it). */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { askpassScript, remoteAccess } from '../../../src/committer/git-credentials.js';
import { gitEnv } from '../../../src/committer/git-env.js';
import { tempDir } from '../../helpers/temp-dir.js';

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
        GIT_CONFIG_NOSYSTEM: '1', // this machine's /etc/gitconfig is not the test's
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

  it("keeps the askpass script in this process's private directory (no secret in it) and removes it when the process exits", () => {
    const script = askpassScript();
    assert.equal(statSync(script).mode & 0o777, 0o700);
    assert.equal(statSync(path.dirname(script)).mode & 0o077, 0, 'a directory nobody else can write');
    assert.doesNotMatch(readFileSync(script, 'utf8'), /s3cret|p@ss/);
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { existsSync } from 'node:fs'; import { askpassScript } from ${JSON.stringify(new URL('../../../src/committer/git-credentials.js', import.meta.url).href)}; const s = askpassScript(); console.log(existsSync(s) ? s : '');`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    const childScript = child.stdout.trim();
    assert.notEqual(childScript, '', 'the child had its script');
    assert.equal(existsSync(path.dirname(childScript)), false, `the child's ${path.dirname(childScript)} was removed at its exit`);
  });

  it('writes the askpass script again, as it was, when it is gone (a cleaner of the temporary directory)', () => {
    const script = askpassScript();
    const text = readFileSync(script, 'utf8');
    rmSync(script);
    const again = askpassScript();
    assert.equal(readFileSync(again, 'utf8'), text);
    assert.equal(statSync(again).mode & 0o777, 0o700);
  });

  it("carries the user's credential.* and safe.directory over, in order, and nothing else of their configuration", () => {
    const home = tempDir('foresight-gitenv-home-');
    writeFileSync(
      path.join(home, '.gitconfig'),
      [
        '[credential]',
        '\thelper =',
        '\thelper = store --file=/tmp/creds',
        '[credential "https://git.example.com"]',
        '\tusername = bot',
        '\thelper = "!f() { test \\"$1\\" = get && printf \'username=bot\\\\npassword=s3cret\\\\n\'; }; f"',
        '[safe]',
        '\tdirectory = /srv/mounted',
        '[include]',
        '\tpath = more.gitconfig',
        '[core]',
        `\thooksPath = ${home}/hooks`,
        '[commit]',
        '\tgpgsign = true',
        '[alias]',
        '\tci = commit',
        '[user]',
        '\tname = The User',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(home, 'more.gitconfig'), '[safe]\n\tdirectory = *\n');
    const repo = path.join(home, 'repo');
    mkdirSync(repo);
    const from = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
    const git = (env: Record<string, string>, ...args: string[]): string => {
      try {
        return execFileSync('git', ['-C', repo, ...args], { env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
      } catch (e) {
        if ((e as { status?: number }).status === 1) return '(unset)';
        throw e;
      }
    };
    const env = gitEnv({}, from);
    execFileSync('git', ['init', '-q', repo], { env });
    assert.equal(git(env, 'config', '--get-all', 'credential.helper'), '\nstore --file=/tmp/creds\n', 'the reset (empty) entry first, as the user wrote them');
    assert.equal(git(env, 'config', '--get-all', 'safe.directory'), '/srv/mounted\n*\n', 'included files are followed');
    assert.equal(git(env, 'config', '--get-all', 'credential.https://git.example.com.username'), 'bot\n');
    // the user's helper answers git as it would outside Foresight
    const filled = execFileSync('git', ['-C', repo, 'credential', 'fill'], { env, input: 'protocol=https\nhost=git.example.com\n\n', encoding: 'utf8' });
    assert.match(filled, /password=s3cret/);
    // and nothing else of theirs
    assert.equal(git(env, 'config', '--get-all', 'core.hooksPath'), '/dev/null\n');
    assert.equal(git(env, 'config', '--get-all', 'commit.gpgsign'), 'false\n');
    assert.equal(git(env, 'config', '--get-all', 'alias.ci'), '(unset)');
    assert.equal(git(env, 'config', '--get-all', 'user.name'), '(unset)');

    // credentials of Foresight's own (askpass of a password in the remote URL): the user's helpers are not asked, nor given the password to store
    const own = gitEnv({ GIT_ASKPASS: '/x/askpass.sh' }, from);
    assert.equal(git(own, 'config', '--get-all', 'credential.helper'), '(unset)');
    assert.equal(git(own, 'config', '--get-all', 'credential.https://git.example.com.username'), '(unset)');
    assert.equal(git(own, 'config', '--get-all', 'safe.directory'), '/srv/mounted\n*\n');
  });

  it("keeps the carried entries in the global scope they had: a repository's own credential configuration outranks the user's, Foresight's own outranks both", () => {
    const home = tempDir('foresight-gitenv-scope-');
    // a helper that answers `get` with its name in the password, so the answer says which helper git used
    const helper = (who: string): string => `!f() { test "$1" = get && printf 'username=${who}\\npassword=from-${who}\\n'; }; f`;
    // as Git Credential Manager's installer writes it: the list reset, then its helper
    writeFileSync(
      path.join(home, '.gitconfig'),
      `[credential]\n\thelper =\n\thelper = ${JSON.stringify(helper('user'))}\n\tusername = user\n[safe]\n\tdirectory = ${home}/mounted\n`, // (its own path: a content, and so a carried file, of this test's only)
    );
    const repo = path.join(home, 'repo');
    const from = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
    // git as it runs outside Foresight, for the same user
    const plain = { PATH: process.env.PATH!, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
    execFileSync('git', ['init', '-q', repo], { env: plain });
    const local = (...args: string[]): void => void execFileSync('git', ['-C', repo, 'config', ...args], { env: plain });
    // the repository resets the helper list and names its own helper and user name, and would run its hooks and sign
    local('--add', 'credential.helper', '');
    local('--add', 'credential.helper', helper('repo'));
    local('credential.username', 'repo');
    local('core.hooksPath', path.join(repo, 'hooks'));
    local('commit.gpgsign', 'true');
    const env = gitEnv({}, from);
    const fill = (e: Record<string, string>): string =>
      execFileSync('git', ['-C', repo, 'credential', 'fill'], { env: e, input: 'protocol=https\nhost=git.example.com\n\n', encoding: 'utf8' });
    assert.match(fill(plain), /password=from-repo/, "outside Foresight the repository's helper answers");
    assert.equal(fill(env), fill(plain), 'under Foresight the same helper answers, with the same user name');
    const scoped = (key: string): string => execFileSync('git', ['-C', repo, 'config', '--show-scope', '--get-all', key], { env, encoding: 'utf8' });
    assert.equal(scoped('credential.username'), 'global\tuser\nlocal\trepo\n', "the last one, the repository's, is the one git takes");
    assert.equal(scoped('credential.helper'), `global\t\nglobal\t${helper('user')}\nlocal\t\nlocal\t${helper('repo')}\n`);
    assert.equal(scoped('safe.directory'), `global\t${home}/mounted\n`, 'safe.directory from the global scope, where git honours it');
    // Foresight's own entries still outrank the repository's
    assert.equal(scoped('core.hooksPath'), `local\t${path.join(repo, 'hooks')}\ncommand\t/dev/null\n`);
    assert.equal(execFileSync('git', ['-C', repo, 'config', '--type=bool', 'commit.gpgsign'], { env, encoding: 'utf8' }), 'false\n');
    // the carried file: this user's only, written once for the same entries
    const file = env.GIT_CONFIG_GLOBAL;
    assert.notEqual(file, '/dev/null');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o077, 0, 'a directory nobody else can write');
    assert.equal(gitEnv({}, from).GIT_CONFIG_GLOBAL, file);
    // gone (a cleaner of the temporary directory): written again
    rmSync(file);
    assert.equal(gitEnv({}, from).GIT_CONFIG_GLOBAL, file);
    assert.ok(readFileSync(file, 'utf8').includes(`directory = "${home}/mounted"`));
  });

  it('makes a new private directory when the one it made was taken over (a cleaner removed it, someone else made the name), and removes its directory at exit', () => {
    const home = tempDir('foresight-gitenv-squat-');
    writeFileSync(path.join(home, '.gitconfig'), `[credential]\n\thelper = store --file=${home}/creds\n`);
    const from = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
    const first = gitEnv({}, from).GIT_CONFIG_GLOBAL;
    const dir = path.dirname(first);
    // the same name, now a directory others can write (as one another user made would be to us)
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const second = gitEnv({}, from).GIT_CONFIG_GLOBAL;
    assert.notEqual(path.dirname(second), dir, 'not the taken-over directory');
    assert.equal(statSync(path.dirname(second)).mode & 0o077, 0);
    assert.ok(readFileSync(second, 'utf8').includes(`helper = "store --file=${home}/creds"`));
    rmSync(dir, { recursive: true });
    // a process's directory goes with it
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { gitEnv } from ${JSON.stringify(new URL('../../../src/committer/git-env.js', import.meta.url).href)}; console.log(gitEnv({}, ${JSON.stringify(from)}).GIT_CONFIG_GLOBAL);`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    const childFile = child.stdout.trim();
    assert.match(childFile, /foresight-private-/);
    assert.equal(existsSync(path.dirname(childFile)), false, "the child's directory was removed at its exit");
  });

  it('gives the entries as command-line configuration, and says so, where no file for them can be written', () => {
    const home = tempDir('foresight-gitenv-readonly-');
    writeFileSync(path.join(home, '.gitconfig'), `[credential]\n\thelper = store --file=${home}/creds\n[safe]\n\tdirectory = /srv/x\n`);
    const from = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
    // a fresh process whose temporary directory does not exist (as a read-only root file system without a /tmp volume)
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { gitEnv } from ${JSON.stringify(new URL('../../../src/committer/git-env.js', import.meta.url).href)}; console.log(JSON.stringify(gitEnv({}, ${JSON.stringify(from)})));`,
      ],
      { encoding: 'utf8', env: { ...process.env, TMPDIR: path.join(home, 'no-such-dir') } },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stderr, /command-line configuration/);
    const env = JSON.parse(child.stdout) as Record<string, string>;
    assert.equal(env.GIT_CONFIG_GLOBAL, '/dev/null');
    const repo = path.join(home, 'repo');
    execFileSync('git', ['init', '-q', repo], { env });
    assert.equal(execFileSync('git', ['-C', repo, 'config', '--get-all', 'credential.helper'], { env, encoding: 'utf8' }), `store --file=${home}/creds\n`);
    assert.equal(execFileSync('git', ['-C', repo, 'config', '--get-all', 'safe.directory'], { env, encoding: 'utf8' }), '/srv/x\n');
    assert.equal(execFileSync('git', ['-C', repo, 'config', '--get-all', 'core.hooksPath'], { env, encoding: 'utf8' }), '/dev/null\n');
  });

  it(
    'safe.directory carried in the global scope lets git into a repository another user owns',
    { skip: process.getuid?.() !== 0 && 'needs root, to give the repository to another uid' },
    () => {
      const repo = path.join(tempDir('foresight-gitenv-safe-'), 'mounted');
      execFileSync('git', ['init', '-q', repo], { env: { PATH: process.env.PATH!, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
      execFileSync('chown', ['-R', '65534:65534', repo]);
      const status = (home: string): number | null =>
        spawnSync('git', ['-C', repo, 'rev-parse', '--git-dir'], { env: gitEnv({}, { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' }) }).status;
      const bare = tempDir('foresight-gitenv-safe-');
      assert.equal(status(bare), 128, 'without safe.directory git refuses it (dubious ownership)');
      const user = tempDir('foresight-gitenv-safe-');
      writeFileSync(path.join(user, '.gitconfig'), `[safe]\n\tdirectory = ${repo}\n`);
      assert.equal(status(user), 0);
    },
  );

  it("carries a valueless boolean as true, and nothing (with a warning, git still runs) when the user's configuration cannot be read", () => {
    const home = tempDir('foresight-git-env-');
    writeFileSync(path.join(home, '.gitconfig'), '[credential]\n\tuseHttpPath\n');
    const repo = path.join(home, 'repo');
    execFileSync('git', ['init', '-q', repo]);
    const env = gitEnv({}, { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' });
    assert.equal(execFileSync('git', ['-C', repo, 'config', '--type=bool', 'credential.useHttpPath'], { env, encoding: 'utf8' }), 'true\n');

    const warnings: string[] = [];
    const onWarning = (w: Error): number => warnings.push(w.message);
    process.on('warning', onWarning);
    const broken = tempDir('foresight-git-env-');
    writeFileSync(path.join(broken, '.gitconfig'), '[credential\n\thelper = store\n'); // a bad config line
    for (const from of [
      { PATH: process.env.PATH, HOME: broken, GIT_CONFIG_NOSYSTEM: '1' },
      { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1' }, // no HOME: `git config --global` exits 128
    ]) {
      const e = gitEnv({}, from);
      assert.equal(e.GIT_CONFIG_COUNT, '2', "Foresight's own two entries");
      assert.equal(e.GIT_CONFIG_GLOBAL, '/dev/null', "none of the user's");
      assert.equal(execFileSync('git', ['-C', repo, 'rev-parse', '--is-inside-work-tree'], { env: e, encoding: 'utf8' }), 'true\n', 'git runs');
    }
    // warnings are emitted on the next tick
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        process.off('warning', onWarning);
        assert.equal(warnings.filter((w) => /not carried from the user's global git configuration/.test(w)).length, 2, warnings.join('\n'));
        resolve();
      }),
    );
  });
});
