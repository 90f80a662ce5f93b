/**
 * Where the stack looks for Maven's local repository (artifacts.ts mavenRepos): Maven's
 * user.home is the passwd entry's home whatever $HOME says (a newcomer with HOME elsewhere found
 * the Apicurio archive "not found"), and a settings.xml may move the repository.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { mavenRepos } from '../../../src/local-stack/artifacts.js';

describe('the Maven local repository the stack reads', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'foresight-home-'));
  const saved = { HOME: process.env.HOME, FORESIGHT_MAVEN_REPO: process.env.FORESIGHT_MAVEN_REPO };
  after(() => {
    process.env.HOME = saved.HOME;
    if (saved.FORESIGHT_MAVEN_REPO === undefined) delete process.env.FORESIGHT_MAVEN_REPO;
    else process.env.FORESIGHT_MAVEN_REPO = saved.FORESIGHT_MAVEN_REPO;
    rmSync(home, { recursive: true, force: true });
  });

  it("is the account's home (Maven's user.home) and $HOME's, and a settings.xml localRepository first", () => {
    delete process.env.FORESIGHT_MAVEN_REPO;
    process.env.HOME = home;
    const account = path.join(os.userInfo().homedir, '.m2', 'repository');
    assert.ok(mavenRepos().includes(account), `${mavenRepos().join(', ')} includes ${account}`);
    assert.ok(mavenRepos().includes(path.join(home, '.m2', 'repository')));
    mkdirSync(path.join(home, '.m2'));
    writeFileSync(
      path.join(home, '.m2', 'settings.xml'),
      '<settings>\n  <!-- <localRepository>/path/to/local/repo</localRepository> -->\n  <localRepository> /srv/m2 </localRepository>\n</settings>',
    );
    const repos = mavenRepos();
    assert.ok(repos.indexOf('/srv/m2') >= 0 && repos.indexOf('/srv/m2') < repos.indexOf(path.join(home, '.m2', 'repository')));
    assert.ok(!repos.includes('/path/to/local/repo'), "the template's commented-out example is not read");
  });

  it('is FORESIGHT_MAVEN_REPO alone when it is set', () => {
    process.env.FORESIGHT_MAVEN_REPO = '/opt/m2';
    assert.deepEqual(mavenRepos(), ['/opt/m2']);
  });
});
