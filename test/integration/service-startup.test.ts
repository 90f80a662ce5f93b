/**
 * Start-up of both services as a user runs them: a bad configuration value fails fast with
 * a message naming the variable; a good one becomes ready and serves health, readiness and
 * Prometheus metrics, and exits cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, startCli } from '../helpers/cli.js';
import { testEnv } from '../helpers/env.js';

describe('service start-up', () => {
  for (const service of ['processor', 'committer']) {
    it(`${service}: a bad configuration value fails start-up naming the variable`, () => {
      const res = runCli([service], testEnv({ FORESIGHT_KAFKA_BROKERS: 'kafka-without-port' }), 30_000);
      assert.equal(res.status, 2);
      assert.match(res.stderr, /invalid configuration: FORESIGHT_KAFKA_BROKERS: expected a comma-separated list of host:port; got "kafka-without-port"/);
      const res2 = runCli([service], testEnv({ FORESIGHT_HTTP_PORT: 'eighty' }), 30_000);
      assert.equal(res2.status, 2);
      assert.match(res2.stderr, /FORESIGHT_HTTP_PORT: expected a TCP port/);
    });

    it(`${service}: serves /healthz, /readyz and /metrics, and stops on SIGTERM`, async () => {
      const proc = startCli([service], testEnv());
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
