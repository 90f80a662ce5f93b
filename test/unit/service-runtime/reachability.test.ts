/**
 * The stack check before any client is made (service-runtime/reachability.ts): real TCP
 * connections to ports held closed or opened by the test, no mock of the network.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import type { Logger } from '../../../src/telemetry/log.js';
import { ForesightError } from '../../../src/util/errors.js';
import { freePort as closedPort } from '../../helpers/net.js';
import { endpointsOf, probe, requireReachable, stackHint, waitForStack } from '../../../src/service-runtime/reachability.js';

function listen(port = 0): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function capturingLogger(lines: string[]): Logger {
  const say = (level: string) => (msg: string) => lines.push(`${level} ${msg}`);
  return { warn: say('warn'), info: say('info') } as unknown as Logger;
}

describe('stack reachability', () => {
  it('probes a closed port as refused and a listening one as reachable', async () => {
    assert.equal(await probe('127.0.0.1', await closedPort()), 'connection refused');
    const server = await listen();
    try {
      assert.equal(await probe('127.0.0.1', (server.address() as { port: number }).port), undefined);
    } finally {
      server.close();
    }
    assert.equal(await probe('no-such-host.invalid', 9092), 'host not found');
  });

  it('takes the addresses from the configuration, without credentials, with the variable that sets each', () => {
    const cfg = loadConfig({
      FORESIGHT_KAFKA_BROKERS: 'kafka-a:9092,kafka-b:9094',
      FORESIGHT_SCHEMA_REGISTRY_URL: 'https://registry.example/apis/ccompat/v7',
      FORESIGHT_REDIS_URL: 'redis://app:s3cret@redis.example/2',
    });
    const [kafka, registry, redis] = endpointsOf(cfg, ['kafka', 'registry', 'redis']);
    assert.deepEqual(kafka.targets, [
      { host: 'kafka-a', port: 9092 },
      { host: 'kafka-b', port: 9094 },
    ]);
    assert.equal(kafka.variable, 'FORESIGHT_KAFKA_BROKERS');
    assert.deepEqual(registry.targets, [{ host: 'registry.example', port: 443 }]);
    assert.equal(registry.address, 'https://registry.example/apis/ccompat/v7');
    assert.deepEqual(redis.targets, [{ host: 'redis.example', port: 6379 }]);
    assert.equal(redis.address, 'redis://redis.example');
    const cluster = endpointsOf(loadConfig({ FORESIGHT_REDIS_CLUSTER_NODES: 'r1:7001,r2:7002' }), ['redis'])[0];
    assert.equal(cluster.variable, 'FORESIGHT_REDIS_CLUSTER_NODES');
    assert.equal(cluster.targets.length, 2);
    assert.deepEqual(
      [kafka, registry, redis].map((e) => e.tls),
      [false, true, false],
    );
  });

  it('one error names every service down, its address, why, and the variables to set', async () => {
    const [k, r] = [await closedPort(), await closedPort()];
    const server = await listen();
    const registryPort = (server.address() as { port: number }).port;
    try {
      const cfg = loadConfig({
        // a bootstrap list is reachable when one broker answers
        FORESIGHT_KAFKA_BROKERS: `127.0.0.1:${k},127.0.0.1:${registryPort}`,
        FORESIGHT_SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
        FORESIGHT_REDIS_URL: `redis://127.0.0.1:${r}`,
      });
      await requireReachable(cfg, ['kafka', 'registry']);
      const err = await requireReachable(cfg, ['kafka', 'registry', 'redis'], undefined, []).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ForesightError);
      assert.equal(err.code, 'REDIS_UNAVAILABLE');
      assert.equal(err.retriable, false);
      assert.equal(
        err.message,
        `cannot reach Redis at redis://127.0.0.1:${r} (connection refused) — is the stack up? Start it with "npx foresight stack up" or point FORESIGHT_REDIS_URL at it (see "npx foresight stack env")`,
      );
      // over TLS, the secured local stack is the one to start
      const tls = loadConfig({ FORESIGHT_REDIS_URL: `rediss://127.0.0.1:${r}` });
      await assert.rejects(
        requireReachable(tls, ['redis'], undefined, []),
        /Start it with "npx foresight stack up --secure" .*\(see "npx foresight stack env --secure"\)$/,
      );
    } finally {
      server.close();
    }
  });

  it("when this checkout's stack runs elsewhere, the hint is to take its addresses", () => {
    const cfg = loadConfig({ FORESIGHT_REDIS_URL: 'redis://127.0.0.1:6379', FORESIGHT_KAFKA_BROKERS: '127.0.0.1:9092' });
    const down = endpointsOf(cfg, ['redis', 'kafka']).map((endpoint) => ({ endpoint, reason: 'connection refused' }));
    const moved = { flag: '', env: { FORESIGHT_REDIS_URL: 'redis://127.0.0.1:46379', FORESIGHT_KAFKA_BROKERS: '127.0.0.1:49092' } };
    assert.equal(
      stackHint(down, [moved]),
      'this checkout\'s stack runs at redis://127.0.0.1:46379, 127.0.0.1:49092: take its addresses with eval "$(npx foresight stack env)" in this shell, then run the command again',
    );
    // a running stack on the very addresses that do not answer (it is starting or failing): start it / point the variables
    const same = { flag: '', env: { FORESIGHT_REDIS_URL: 'redis://127.0.0.1:6379', FORESIGHT_KAFKA_BROKERS: '127.0.0.1:9092' } };
    assert.match(stackHint(down, [same]), /^is the stack up\?/);
    // the same place written otherwise (localhost for 127.0.0.1) is not elsewhere
    const local = endpointsOf(loadConfig({ FORESIGHT_REDIS_URL: 'redis://localhost:6379' }), ['redis']).map((endpoint) => ({
      endpoint,
      reason: 'connection refused',
    }));
    assert.match(stackHint(local, [same]), /^is the stack up\?/);
    // an address on another machine: not the local stack's business, whatever runs here
    const remote = endpointsOf(loadConfig({ FORESIGHT_REDIS_URL: 'rediss://redis.prod.example:6380' }), ['redis']).map((endpoint) => ({
      endpoint,
      reason: 'no answer within 3 s',
    }));
    assert.equal(
      stackHint(remote, [moved]),
      'check that FORESIGHT_REDIS_URL names the right address and that this machine can reach it (network, VPN, firewall, TLS settings)',
    );
    // the Redis Cluster stack is named by its flag
    const cluster = { flag: ' --redis-cluster', env: { FORESIGHT_REDIS_URL: 'redis://127.0.0.1:7001' } };
    assert.match(stackHint(down.slice(0, 1), [cluster]), /eval "\$\(npx foresight stack env --redis-cluster\)"/);
  });

  it('a service waits, saying for what, and goes on once the port answers', async () => {
    const port = await closedPort();
    const cfg = loadConfig({ FORESIGHT_REDIS_URL: `redis://127.0.0.1:${port}` });
    const lines: string[] = [];
    const waiting: string[] = [];
    const started = Date.now();
    const waited = waitForStack(cfg, ['redis'], capturingLogger(lines), { pollMs: 100, progressEveryMs: 300, onWaiting: (w) => waiting.push(w), running: [] });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const server = await listen(port);
    try {
      await waited;
    } finally {
      server.close();
    }
    assert.ok(Date.now() - started >= 800);
    assert.match(lines[0], new RegExp(`^warn waiting for Redis at redis://127\\.0\\.0\\.1:${port} \\(connection refused\\) — is the stack up\\?`));
    assert.ok(lines.slice(1, -1).length >= 1, lines.join('\n'));
    for (const l of lines.slice(1, -1)) assert.match(l, /^warn still waiting for Redis at .* after \d+ s$/);
    assert.match(lines.at(-1)!, new RegExp(`^info Redis at redis://127\\.0\\.0\\.1:${port} answers after \\d+ s; starting$`));
    assert.equal(waiting[0], `Redis at redis://127.0.0.1:${port} (connection refused)`);
    // nothing said when everything answers at once
    const quiet: string[] = [];
    const open = await listen();
    try {
      await waitForStack(
        loadConfig({ FORESIGHT_REDIS_URL: `redis://127.0.0.1:${(open.address() as { port: number }).port}` }),
        ['redis'],
        capturingLogger(quiet),
      );
    } finally {
      open.close();
    }
    assert.deepEqual(quiet, []);
  });
});
