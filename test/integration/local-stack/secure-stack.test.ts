/**
 * The processor and the committer on the secured local stack (`foresight stack up --secure`):
 * Kafka over SASL_SSL (SCRAM-SHA-512), the registry over HTTPS with basic auth, Redis over TLS
 * with an ACL user, every password read from a file. The whole path works (replay → processor →
 * recommendation → committer → a GitOps commit), and wrong credentials stop a service at once
 * with one line naming the variables to check, never showing a password.
 *
 * Skipped, with a message, only outside CI when the secured stack is not running; in CI
 * (scripts/test.sh sets FORESIGHT_TEST_SECURE_STACK=required) a missing stack fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { kafkaAnswers } from '../../../src/local-stack/probes.js';
import { readStackSecret } from '../../../src/local-stack/secure-material.js';
import { loadStackConfig } from '../../../src/local-stack/stack-config.js';
import { stackEnv } from '../../../src/local-stack/stack-env.js';
import { stackStatus } from '../../../src/local-stack/stack.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';
import { waitFor } from '../../../src/util/retry.js';
import { runCli, startCli } from '../../helpers/cli.js';
import { testEnv } from '../../helpers/env.js';
import { gitopsRemote } from '../../helpers/gitops.js';
import { tempDir } from '../../helpers/temp-dir.js';

const stack = loadStackConfig({ secure: true });
const required = process.env.FORESIGHT_TEST_SECURE_STACK === 'required' || process.env.CI === 'true';
const up = (await stackStatus(stack)).every((s) => s.state === 'running' || s.state === 'external');
const skip = !up && !required ? `the secured stack is not running at ${stack.dir}: start it with \`foresight stack up --secure\`` : false;
if (skip) console.log(`# secure-stack tests skipped: ${skip}`);

const passwords = (): string[] => (['kafka', 'kafka-admin', 'redis', 'registry', 'keystore'] as const).map((n) => readStackSecret(stack, n));
const assertNoSecret = (output: string, extra: string[] = []): void => {
  for (const pw of [...passwords(), ...extra]) assert.ok(!output.includes(pw), 'a password appears in the output');
};

describe('secured stack', { skip }, () => {
  it('is up (FORESIGHT_TEST_SECURE_STACK=required fails here rather than skipping), and what this checkout started is known as its own', async () => {
    const statuses = await stackStatus(stack);
    assert.deepEqual(
      statuses.map((s) => [s.name, s.state === 'running' || s.state === 'external']),
      [
        ['redis', true],
        ['kafka', true],
        ['registry', true],
      ],
    );
    // a pid file whose process is not recognised would make `stack down --secure` leave the service running
    for (const s of statuses) if (existsSync(path.join(stack.runDir, `${s.name}.pid`))) assert.equal(s.state, 'running', `${s.name} started by this checkout`);
  });

  it('Kafka takes SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN over TLS, and refuses a client without credentials', async () => {
    const broker = `127.0.0.1:${stack.kafkaPort}`;
    const ca = readFileSync(stackEnv(stack).FORESIGHT_KAFKA_TLS_CA_FILE, 'utf8');
    const password = readStackSecret(stack, 'kafka');
    for (const mechanism of ['scram-sha-512', 'scram-sha-256', 'plain'] as const) {
      assert.equal(await kafkaAnswers(broker, 5_000, { ssl: { ca }, sasl: { mechanism, username: 'foresight', password } as never }), true, mechanism);
    }
    assert.equal(await kafkaAnswers(broker, 3_000, { ssl: { ca } }), false, 'TLS without SASL');
  });

  it('replay → processor → recommendation → committer → a GitOps commit, all over TLS with authentication', async () => {
    const repo = gitopsRemote();
    const checkout = path.join(repo.tmp, 'checkout');
    execFileSync('git', ['clone', '-q', repo.remote, checkout]);
    const env = testEnv({
      ...stackEnv(stack),
      FORESIGHT_TOPIC_PARTITIONS: '1',
      FORESIGHT_POLICY_REPO: checkout,
      FORESIGHT_GITOPS_REMOTE: repo.remote,
      FORESIGHT_GITOPS_WORKDIR: path.join(repo.tmp, 'work'),
    });
    const replay = runCli(
      [
        'replay',
        '--input',
        path.join(PROJECT_ROOT, 'data', 'samples', 'alibaba2018_cluster_avg_5min.csv'),
        '--value-column',
        'cpu_util_percent',
        '--workload',
        'shop/Deployment/checkout',
        '--metric',
        'cpu_utilization',
        '--cluster',
        'secure',
      ],
      env,
    );
    assert.equal(replay.status, 0, replay.stderr);
    const processor = startCli(['processor'], env);
    const committer = startCli(['committer'], env);
    try {
      assert.ok(
        await waitFor(async () => Number(repo.git('rev-list', '--count', 'main').trim()) >= 2, 120_000),
        `no commit; committer:\n${committer.output().slice(-2000)}\nprocessor:\n${processor.output().slice(-2000)}`,
      );
      assert.match(repo.git('show', '--stat', '--format=', 'main'), /apps\/shop\/overlays\/prod\/checkout-patch\.yaml/);
    } finally {
      processor.child.kill('SIGTERM');
      committer.child.kill('SIGTERM');
    }
    assert.equal(await processor.exited, 0);
    assert.equal(await committer.exited, 0);
    assertNoSecret(processor.output() + committer.output() + replay.stdout + replay.stderr);
  });

  it('`foresight demo --secure` runs the whole demo over the secured stack', () => {
    const res = runCli(['demo', '--secure', '--rows', '700'], {}, 240_000);
    assert.equal(res.status, 0, `${res.stdout.slice(-3000)}\n${res.stderr.slice(-3000)}`);
    assert.match(res.stdout, /== 1\/7 starting the secured local stack/);
    assert.match(res.stdout, /Windows: all 700 events of demo-\d{14}-[0-9a-f]{4}\/shop\/Deployment\/checkout\/-\/cpu_utilization applied/);
    assert.match(res.stdout, /git log -p of the GitOps repository \(main: [1-9]\d* commit\(s\) by Foresight/);
    assert.match(res.stdout, /foresight stack down --secure/);
    assertNoSecret(res.stdout + res.stderr);
  });

  it('a wrong password stops the processor at once, naming the variables to check, without showing any password', async () => {
    const wrong = `wrong-${Date.now()}`;
    const file = path.join(tempDir('foresight-secure-'), 'password');
    writeFileSync(file, `${wrong}\n`);
    const cases: [string, RegExp][] = [
      [
        'FORESIGHT_KAFKA_SASL_PASSWORD_FILE',
        /Kafka \(127\.0\.0\.1:\d+\) refused the SASL SCRAM-SHA-512 credentials of user "foresight": authentication failed; check .*FORESIGHT_KAFKA_SASL_PASSWORD_FILE/,
      ],
      [
        'FORESIGHT_SCHEMA_REGISTRY_PASSWORD_FILE',
        /the schema registry at https:\/\/\S+ refused the credentials of user "foresight" \(HTTP 401\); check .*FORESIGHT_SCHEMA_REGISTRY_PASSWORD_FILE/,
      ],
      [
        'FORESIGHT_REDIS_PASSWORD_FILE',
        /Redis \(rediss:\/\/\S+\) refused the credentials of user "foresight" \(WRONGPASS\); check .*FORESIGHT_REDIS_PASSWORD_FILE/,
      ],
    ];
    for (const [variable, expected] of cases) {
      const t0 = Date.now();
      const res = runCli(['processor'], testEnv({ ...stackEnv(stack), [variable]: file }), 60_000);
      const out = res.stdout + res.stderr;
      assert.equal(res.status, 1, `${variable}: exit ${res.status}\n${out.slice(-2000)}`);
      assert.match(out, expected, variable);
      assert.ok(Date.now() - t0 < 45_000, `${variable}: took ${Date.now() - t0} ms (retried instead of stopping)`);
      assertNoSecret(out, [wrong]);
    }
  });
});
