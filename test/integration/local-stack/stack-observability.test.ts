/**
 * `foresight stack up --observability` starts Prometheus (scraping the three services' jobs,
 * Foresight's alert rules loaded, Alertmanager as its alert target) and Alertmanager; `status`
 * and `down` cover them. Runs in its own folder and ports; Kafka, the registry and Redis of the
 * shared test stack answer already and are used, not started.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../../../src/util/retry.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('stack up --observability', () => {
  it("runs Prometheus with Foresight's rules and jobs, and Alertmanager; down stops both", async () => {
    // removed when the test ends, after a `down` that stops whatever a failed `up` left running
    const dir = tempDir('foresight-obs-', (d) => void runCli(['stack', 'down', '--dir', d, '--observability'], {}, 60_000));
    const args = ['--dir', dir, '--observability', '--prometheus-port', '29090', '--alertmanager-port', '29094'];
    const up = runCli(['stack', 'up', ...args], {}, 120_000);
    assert.equal(up.status, 0, up.stdout + up.stderr);
    try {
      assert.deepEqual(
        readdirSync(path.join(dir, 'run'))
          .filter((f) => f.endsWith('.pid'))
          .sort(),
        ['alertmanager.pid', 'prometheus.pid'],
        'only the two new services were started',
      );
      const prom = 'http://127.0.0.1:29090';
      const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string }[] }[] } };
      const names = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
      for (const alert of [
        'ForesightDown',
        'ForesightConsumerLagGrowing',
        'ForesightDeadLetterRate',
        'ForesightCommitConflicts',
        'ForesightAlertmanagerUnreachable',
      ])
        assert.ok(names.includes(alert), alert);
      // Prometheus discovers its Alertmanager shortly after start-up
      assert.ok(
        await waitFor(async () => {
          const ams = (await (await fetch(`${prom}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[] } };
          return ams.data.activeAlertmanagers.map((a) => a.url).join() === 'http://127.0.0.1:29094/api/v2/alerts';
        }, 30_000),
        "Prometheus sends alerts to the stack's Alertmanager",
      );
      // the scrape jobs exist (their targets are down until the services run on 9464-9466)
      assert.ok(
        await waitFor(async () => {
          const up = (await (await fetch(`${prom}/api/v1/query?query=up`)).json()) as { data: { result: { metric: { job: string } }[] } };
          return (
            up.data.result
              .map((r) => r.metric.job)
              .sort()
              .join(',') === 'foresight-alert-bridge,foresight-committer,foresight-processor'
          );
        }, 30_000),
        'Prometheus scrapes the three jobs',
      );
      assert.ok((await fetch('http://127.0.0.1:29094/-/ready')).ok);

      const status = runCli(['stack', 'status', ...args], {});
      assert.match(status.stdout, /^prometheus\s+running\s+http:\/\/127\.0\.0\.1:29090/m);
      assert.match(status.stdout, /^alertmanager\s+running/m);
    } finally {
      const down = runCli(['stack', 'down', ...args], {}, 60_000);
      assert.equal(down.status, 0, down.stdout + down.stderr);
    }
    assert.deepEqual(readdirSync(path.join(dir, 'run')), ['last-ports.json'], 'no pid file left (the ports kept aside)');
    assert.ok(
      await waitFor(
        async () =>
          !(await fetch('http://127.0.0.1:29090/-/ready').then(
            (r) => r.ok,
            () => false,
          )),
        10_000,
      ),
      'Prometheus stopped',
    );
  });
});
