/**
 * The real CLI against a stack that is not there (ports nothing listens on): each client
 * command stops within seconds with one line on stderr naming what it could not reach and
 * where, and exits 1; a service says what it waits for instead of staying silent.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/net.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('client commands without a stack', async () => {
  const [kafka, registry, redis] = [await freePort(), await freePort(), await freePort()];
  const dir = tempDir('foresight-unreachable-');
  const env = {
    // no local stack of this checkout runs in these folders (CI's does in the default ones: its hint would differ)
    FORESIGHT_STACK_DIR: path.join(dir, 'stack'),
    FORESIGHT_STACK_CLUSTER_DIR: path.join(dir, 'stack-cluster'),
    FORESIGHT_STACK_SECURE_DIR: path.join(dir, 'stack-secure'),
    FORESIGHT_KAFKA_BROKERS: `127.0.0.1:${kafka}`,
    FORESIGHT_SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registry}/apis/ccompat/v7`,
    FORESIGHT_REDIS_URL: `redis://127.0.0.1:${redis}`,
    FORESIGHT_REDIS_CLUSTER_NODES: '',
    FORESIGHT_HTTP_PORT: '0',
    FORESIGHT_LOG_LEVEL: 'info',
  };
  const KAFKA = `Kafka at 127\\.0\\.0\\.1:${kafka} \\(connection refused\\)`;
  const REGISTRY = `the schema registry at http://127\\.0\\.0\\.1:${registry}/apis/ccompat/v7 \\(connection refused\\)`;
  const REDIS = `Redis at redis://127\\.0\\.0\\.1:${redis} \\(connection refused\\)`;
  const HINT = ' — is the stack up\\? Start it with "npx foresight stack up" or point';
  const trace = path.join(dir, 'trace.csv');
  writeFileSync(trace, 'v\n1\n2\n');

  const cases: [string, string[], RegExp][] = [
    [
      'report',
      ['report', '--html', path.join(dir, 'r.html')],
      new RegExp(
        `^foresight report: cannot reach ${REDIS}, ${KAFKA} and ${REGISTRY}${HINT} FORESIGHT_REDIS_URL, FORESIGHT_KAFKA_BROKERS and FORESIGHT_SCHEMA_REGISTRY_URL at it \\(see "npx foresight stack env"\\)\n$`,
      ),
    ],
    [
      'report --no-recommendations',
      ['report', '--html', path.join(dir, 'r.html'), '--no-recommendations'],
      new RegExp(`^foresight report: cannot reach ${REDIS}${HINT} FORESIGHT_REDIS_URL at it`),
    ],
    [
      'export-history',
      ['export-history', '--out', dir],
      new RegExp(`^foresight export-history: cannot reach ${REDIS}${HINT} FORESIGHT_REDIS_URL at it [^\n]*\n$`),
    ],
    [
      'replay',
      ['replay', '--input', trace, '--value-column', 'v', '--workload', 'shop/Deployment/checkout', '--metric', 'cpu_usage'],
      new RegExp(`^foresight replay: cannot reach ${KAFKA} and ${REGISTRY}${HINT}`),
    ],
    ['bench memory', ['bench', 'memory'], new RegExp(`^foresight bench memory: cannot reach ${REDIS}${HINT}`)],
  ];
  for (const [name, args, line] of cases) {
    it(`${name}: one line naming what is down, exit 1, within seconds`, () => {
      const started = Date.now();
      const res = runCli(args, env, 30_000);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(res.status, 1, res.stderr);
      assert.match(res.stderr, line);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      assert.doesNotMatch(res.stderr, /\n\s+at /); // no stack trace
      assert.ok(seconds < 10, `took ${seconds} s`);
    });
  }

  it('processor: says at start what it waits for, and that it is not ready', async () => {
    const proc = startCli(['processor'], env);
    try {
      await proc.waitForOutput('waiting for', 15_000);
      const line = proc
        .output()
        .split('\n')
        .find((l) => l.includes('waiting for'))!;
      const { level, msg } = JSON.parse(line) as { level: number; msg: string };
      assert.equal(level, 40); // warn
      assert.match(
        msg,
        new RegExp(
          `^waiting for ${KAFKA}, ${REGISTRY} and ${REDIS}${HINT} FORESIGHT_KAFKA_BROKERS, FORESIGHT_SCHEMA_REGISTRY_URL and FORESIGHT_REDIS_URL at it`,
        ),
      );
      const port = Number(/"port":(\d+)/.exec(proc.output())?.[1]);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(((await ready.json()) as { reason: string }).reason, new RegExp(`^waiting for ${KAFKA}`));
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });
});
