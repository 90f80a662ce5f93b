import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { abandonPorts, forgetPorts, lastPortsHint, loadStackConfig, portsStarted, recordPorts } from '../../../src/local-stack/stack-config.js';
import { tempDir } from '../../helpers/temp-dir.js';

// A stack moved to other ports must be found from a fresh shell (no FORESIGHT_STACK_* variables):
// `stack status` probed the default ports and reported another stack's Kafka as this folder's.
describe('the ports of a running stack', () => {
  function folder(): string {
    return tempDir('stack-ports-');
  }
  /** a pid file naming this test process (alive, and "ours": its command line has the marker) */
  function alive(dir: string): void {
    writeFileSync(path.join(dir, 'run', 'kafka.pid'), JSON.stringify({ pid: process.pid, marker: 'node', startedAt: new Date().toISOString() }));
  }
  const moved = { FORESIGHT_STACK_KAFKA_PORT: '49092', FORESIGHT_STACK_REDIS_PORT: '46379' };

  it('are read back while the stack runs, below flags and variables', () => {
    const dir = folder();
    recordPorts(loadStackConfig({ dir }, moved));
    alive(dir);
    const fresh = loadStackConfig({ dir }, {});
    assert.equal(fresh.kafkaPort, 49092);
    assert.equal(fresh.redisPort, 46379);
    assert.equal(fresh.registryPort, 8081, 'a port not moved stays the default');
    assert.equal(loadStackConfig({ dir }, { FORESIGHT_STACK_KAFKA_PORT: '59092' }).kafkaPort, 59092, 'a variable wins');
    assert.equal(loadStackConfig({ dir, kafkaPort: 1234 }, {}).kafkaPort, 1234, 'a flag wins');
  });

  it('are not used when none of the folder’s services runs (yesterday’s crashed stack), and forgotten at stack down', () => {
    const dir = folder();
    recordPorts(loadStackConfig({ dir }, moved));
    assert.equal(loadStackConfig({ dir }, {}).kafkaPort, 9092, 'no live pid file: the defaults');
    writeFileSync(path.join(dir, 'run', 'kafka.pid'), JSON.stringify({ pid: process.pid, marker: 'no-such-marker-in-cmdline', startedAt: '' }));
    assert.equal(loadStackConfig({ dir }, {}).kafkaPort, 9092, 'a reused pid is not ours');
    alive(dir);
    forgetPorts(loadStackConfig({ dir }, {}));
    assert.equal(existsSync(path.join(dir, 'run', 'ports.json')), false);
    assert.equal(loadStackConfig({ dir }, {}).kafkaPort, 9092);
  });

  it('forgotten at stack down are kept aside: a stack up on other ports says where the folder’s stack last ran', () => {
    const dir = folder();
    recordPorts(loadStackConfig({ dir }, moved));
    alive(dir);
    forgetPorts(loadStackConfig({ dir }, {}));
    const fresh = loadStackConfig({ dir }, {}); // a new shell, without the variables
    assert.equal(
      lastPortsHint(fresh),
      "this folder's stack last ran on other ports (kafka 49092, redis 46379; now kafka 9092, redis 6379); to run it there: stack down, then stack up with FORESIGHT_STACK_KAFKA_PORT=49092 FORESIGHT_STACK_REDIS_PORT=46379",
    );
    assert.equal(lastPortsHint(loadStackConfig({ dir }, moved)), undefined, 'the same ports again: nothing to say');
    rmSync(path.join(dir, 'run', 'kafka.pid')); // stopped
    // a stack up on the defaults that fails with nothing left running: it never ran there, so the hint still names 49092
    recordPorts(fresh);
    abandonPorts(fresh);
    assert.match(
      lastPortsHint(loadStackConfig({ dir }, { FORESIGHT_STACK_KAFKA_PORT: '39092' })) ?? '',
      /\(kafka 49092, redis 46379; now kafka 39092, redis 6379\)/,
    );
    // one that fails with a service left running keeps its ports: that half-started stack runs there
    recordPorts(fresh);
    alive(dir);
    abandonPorts(fresh);
    assert.equal(loadStackConfig({ dir }, {}).kafkaPort, 9092);
    assert.equal(existsSync(path.join(dir, 'run', 'ports.json')), true);
    rmSync(path.join(dir, 'run', 'kafka.pid'));
    recordPorts(fresh); // a stack up there that succeeds: the new ports are the folder's
    portsStarted(fresh);
    assert.equal(lastPortsHint(fresh), undefined);
    assert.equal(existsSync(path.join(dir, 'run', 'last-ports.json')), false, 'the ports kept aside are history once a stack up succeeded');
    // a stack moved and then gone without stack down (a reboot): its recorded ports say the same
    const rebooted = folder();
    recordPorts(loadStackConfig({ dir: rebooted }, moved));
    assert.match(lastPortsHint(loadStackConfig({ dir: rebooted }, {})) ?? '', /^this folder's stack last ran on other ports \(kafka 49092, redis 46379; /);
    // the Redis Cluster stack's own port, not the plain Redis's
    const cluster = folder();
    recordPorts(loadStackConfig({ dir: cluster, redisCluster: true }, { FORESIGHT_STACK_REDIS_CLUSTER_PORT: '17001', FORESIGHT_STACK_REDIS_PORT: '46379' }));
    assert.equal(
      lastPortsHint(loadStackConfig({ dir: cluster, redisCluster: true }, {})),
      "this folder's stack last ran on other ports (Redis Cluster 17001; now Redis Cluster 7001); to run it there: stack down, then stack up with FORESIGHT_STACK_REDIS_CLUSTER_PORT=17001",
    );
  });

  it('of a running stack are kept when `stack up` runs again with other variables', () => {
    const dir = folder();
    recordPorts(loadStackConfig({ dir }, moved));
    alive(dir);
    recordPorts(loadStackConfig({ dir }, { FORESIGHT_STACK_KAFKA_PORT: '39092' }));
    assert.equal(loadStackConfig({ dir }, {}).kafkaPort, 49092);
  });

  it('apply to the secured stack with its own variables', () => {
    const dir = folder();
    recordPorts(loadStackConfig({ dir, secure: true }, { FORESIGHT_STACK_SECURE_KAFKA_PORT: '29092' }));
    alive(dir);
    assert.equal(loadStackConfig({ dir, secure: true }, {}).kafkaPort, 29092);
    assert.equal(loadStackConfig({ dir, secure: true }, { FORESIGHT_STACK_SECURE_KAFKA_PORT: '29999' }).kafkaPort, 29999);
  });
});
