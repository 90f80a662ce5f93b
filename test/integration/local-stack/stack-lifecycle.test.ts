/**
 * `foresight stack up` twice is harmless and `stack down` leaves none of its processes
 * behind. Runs a second, separate stack on its own ports and folder so that the shared test
 * stack is untouched.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { kafkaAnswers, redisAnswers, registryAnswers } from '../../../src/local-stack/probes.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** Alive and not a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A stack folder for one test: when the test ends, whatever still runs from it is stopped (a test that failed half-way), then it is removed. */
function stackDir(): string {
  return tempDir('foresight-stack-', (dir) => void runCli(['stack', 'down', '--dir', dir], {}, 120_000));
}

describe('stack up | status | down', () => {
  it('is idempotent and stops exactly what it started', async () => {
    const dir = stackDir();
    const ports = { kafka: 29092, controller: 29093, registry: 28081, redis: 26379 };
    const args = [
      '--dir',
      dir,
      '--kafka-port',
      `${ports.kafka}`,
      '--controller-port',
      `${ports.controller}`,
      '--registry-port',
      `${ports.registry}`,
      '--redis-port',
      `${ports.redis}`,
    ];

    const t0 = Date.now();
    const up1 = runCli(['stack', 'up', ...args], {}, 240_000);
    assert.equal(up1.status, 0, up1.stdout + up1.stderr);
    const coldMs = Date.now() - t0;
    assert.ok(await kafkaAnswers(`127.0.0.1:${ports.kafka}`));
    assert.ok(await registryAnswers(`http://127.0.0.1:${ports.registry}/apis/ccompat/v7`));
    assert.ok(await redisAnswers('127.0.0.1', ports.redis));
    const pidFiles = readdirSync(path.join(dir, 'run')).filter((f) => f.endsWith('.pid'));
    assert.deepEqual(pidFiles.sort(), ['kafka.pid', 'redis.pid', 'registry.pid']);
    const pids = pidFiles.map((f) => (JSON.parse(readFileSync(path.join(dir, 'run', f), 'utf8')) as { pid: number }).pid);

    const t1 = Date.now();
    const up2 = runCli(['stack', 'up', ...args], {}, 60_000);
    assert.equal(up2.status, 0, up2.stdout + up2.stderr);
    const warmMs = Date.now() - t1;
    const pidsAfter = readdirSync(path.join(dir, 'run'))
      .filter((f) => f.endsWith('.pid'))
      .sort()
      .map((f) => (JSON.parse(readFileSync(path.join(dir, 'run', f), 'utf8')) as { pid: number }).pid);
    assert.deepEqual(pidsAfter, pids, 'a second `up` starts nothing new');
    console.log(`# stack up: cold ${(coldMs / 1000).toFixed(1)} s, warm ${(warmMs / 1000).toFixed(1)} s`);

    const status = runCli(['stack', 'status', ...args], {});
    assert.equal(status.status, 0);
    for (const name of ['redis', 'kafka', 'registry']) assert.match(status.stdout, new RegExp(`^${name}\\s+running`, 'm'));
    assert.match(status.stdout, new RegExp(`127\\.0\\.0\\.1:${ports.kafka}`));
    // from a shell without the port flags or variables: the folder's running stack on its own ports
    const env = runCli(['stack', 'env', '--dir', dir], {});
    assert.equal(env.status, 0, env.stderr);
    assert.match(env.stdout, new RegExp(`FORESIGHT_KAFKA_BROKERS='127\\.0\\.0\\.1:${ports.kafka}'`));
    assert.match(env.stdout, new RegExp(`FORESIGHT_REDIS_URL='redis://127\\.0\\.0\\.1:${ports.redis}'`));

    // a schema registered before a restart keeps its id after it (Kafka's messages name their writer schema by id)
    const registry = `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`;
    const schema = JSON.stringify({ type: 'record', name: 'Persisted', fields: [{ name: 'x', type: 'long' }] });
    const other = JSON.stringify({ type: 'record', name: 'Other', fields: [{ name: 'y', type: 'string' }] });
    const register = async (subject: string, s: string): Promise<number> => {
      const res = await fetch(`${registry}/subjects/${subject}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: s }),
      });
      assert.ok(res.ok, `register ${subject}: HTTP ${res.status}`);
      return ((await res.json()) as { id: number }).id;
    };
    const id = await register('persisted-value', schema);

    const down = runCli(['stack', 'down', ...args], {}, 120_000);
    assert.equal(down.status, 0, down.stdout + down.stderr);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} still running after down`);
    // no pid file left; the ports kept aside for a later stack up elsewhere to name (stack-config.ts lastPortsHint)
    assert.deepEqual(readdirSync(path.join(dir, 'run')), ['last-ports.json']);
    const after = runCli(['stack', 'status', ...args], {});
    for (const name of ['redis', 'kafka', 'registry']) assert.match(after.stdout, new RegExp(`^${name}\\s+stopped`, 'm'));

    const up3 = runCli(['stack', 'up', ...args], {}, 240_000);
    assert.equal(up3.status, 0, up3.stdout + up3.stderr);
    const otherId = await register('other-value', other); // registered first after the restart: must not take the old id
    assert.notEqual(otherId, id);
    const res = await fetch(`${registry}/schemas/ids/${id}`);
    assert.equal(res.status, 200, 'the schema id survives the restart');
    assert.equal(JSON.parse(((await res.json()) as { schema: string }).schema).name, 'Persisted');
    const down3 = runCli(['stack', 'down', ...args], {}, 120_000);
    assert.equal(down3.status, 0, down3.stdout + down3.stderr);

    // down again: nothing to stop, nothing else touched
    const down2 = runCli(['stack', 'down', ...args], {});
    assert.equal(down2.status, 0);
    assert.match(down2.stdout, /not started from this stack folder; left alone/);
  });

  it('names the service, the busy port and the flag that moves it when a port is taken, before starting anything', () => {
    const dir = stackDir();
    // the shared test stack's controller port is busy (and does not answer as a Redis)
    const args = ['--dir', dir, '--redis-port', '9093', '--kafka-port', '29192', '--controller-port', '29193', '--registry-port', '28181'];
    const res = runCli(['stack', 'up', ...args], {}, 240_000);
    runCli(['stack', 'down', ...args], {}, 120_000);
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /redis: port 9093 is already in use by a process that is not this stack's redis .*--redis-port/);
    assert.deepEqual(readdirSync(path.join(dir, 'run')), [], 'nothing was started');
  });
});
