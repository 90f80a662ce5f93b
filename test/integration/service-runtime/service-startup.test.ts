/**
 * Start-up of both services as a user runs them: a bad configuration value fails fast with
 * a message naming the variable; a good one becomes ready and serves health, readiness and
 * Prometheus metrics, and exits cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, startCli } from '../../helpers/cli.js';
import { testEnv } from '../../helpers/env.js';
import { gitopsRemote } from '../../helpers/gitops.js';

describe('service start-up', () => {
  it('committer: a missing backend setting fails start-up naming the variable', () => {
    const res = runCli(['committer'], testEnv(), 30_000);
    assert.equal(res.status, 2);
    assert.match(
      res.stderr,
      /invalid configuration: FORESIGHT_GITOPS_REMOTE: expected a path or URL of a Git repository when FORESIGHT_GITOPS_BACKEND=local; it is not set/,
    );
    const gh = runCli(['committer'], testEnv({ FORESIGHT_GITOPS_BACKEND: 'github', FORESIGHT_GITHUB_REPOSITORY: 'acme/gitops' }), 30_000);
    assert.equal(gh.status, 2);
    assert.match(gh.stderr, /FORESIGHT_GITHUB_TOKEN: expected a GitHub token/);
  });

  for (const service of ['processor', 'committer']) {
    const repo = gitopsRemote();
    const serviceEnv = (over: Record<string, string> = {}): Record<string, string> =>
      testEnv({ FORESIGHT_GITOPS_REMOTE: repo.remote, FORESIGHT_GITOPS_WORKDIR: `${repo.tmp}/work-${Math.random()}`, ...over });
    it(`${service}: a bad configuration value fails start-up naming the variable`, () => {
      const res = runCli([service], serviceEnv({ FORESIGHT_KAFKA_BROKERS: 'kafka-without-port' }), 30_000);
      assert.equal(res.status, 2);
      assert.match(res.stderr, /invalid configuration: FORESIGHT_KAFKA_BROKERS: expected a comma-separated list of host:port; got "kafka-without-port"/);
      const res2 = runCli([service], serviceEnv({ FORESIGHT_HTTP_PORT: 'eighty' }), 30_000);
      assert.equal(res2.status, 2);
      assert.match(res2.stderr, /FORESIGHT_HTTP_PORT: expected a TCP port/);
    });

    it(`${service}: serves /healthz, /readyz and /metrics, and stops on SIGTERM`, async () => {
      const proc = startCli([service], serviceEnv());
      try {
        await proc.waitForOutput('joined consumer group');
        const port = Number(/"port":(\d+)/.exec(proc.output())?.[1]);
        const base = `http://127.0.0.1:${port}`;
        assert.equal((await fetch(`${base}/healthz`)).status, 200);
        assert.equal((await fetch(`${base}/readyz`)).status, 200);
        const metrics = await (await fetch(`${base}/metrics`)).text();
        assert.match(metrics, /# TYPE \w+/);
        // every log line is one JSON object
        for (const line of proc.output().trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
      } finally {
        proc.child.kill('SIGTERM');
      }
      assert.equal(await proc.exited, 0);
      assert.match(proc.output(), /"msg":"stopped"/);
    });
  }
});
