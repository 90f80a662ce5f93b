/** Choosing a Redis Cluster: the variable that selects the Cluster client, and the local stack's cluster. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '../../../src/config/index.js';
import { loadStackConfig } from '../../../src/local-stack/stack-config.js';
import { stackEnv } from '../../../src/local-stack/stack-env.js';
import { serviceSpecs } from '../../../src/local-stack/services.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { createRedis, keySlot } from '../../../src/windows/redis-client.js';

describe('Redis Cluster configuration', () => {
  const log = createLogger('test', 'silent');

  it('uses one Redis by default and the Cluster client when FORESIGHT_REDIS_CLUSTER_NODES is set', () => {
    const single = loadConfig({}).redis;
    assert.equal(single.clusterNodes, undefined);
    assert.ok(createRedis(single, log) instanceof Redis);
    const cfg = loadConfig({ FORESIGHT_REDIS_CLUSTER_NODES: ' 10.0.0.1:7001, redis-b.prod:7002 ' }).redis;
    assert.deepEqual(cfg.clusterNodes, [
      { host: '10.0.0.1', port: 7001 },
      { host: 'redis-b.prod', port: 7002 },
    ]);
    const client = createRedis(cfg, log); // lazy: connects at the first command, so none is made here
    assert.ok(client instanceof Cluster);
    client.disconnect();
  });

  it('an empty FORESIGHT_REDIS_CLUSTER_NODES counts as unset', () => {
    assert.equal(loadConfig({ FORESIGHT_REDIS_CLUSTER_NODES: '' }).redis.clusterNodes, undefined);
  });

  it('stack --redis-cluster: three masters on consecutive ports in their own folder, and the variables that reach them', () => {
    const cfg = loadStackConfig({ redisCluster: true, redisClusterPort: 47001 }, {});
    assert.match(cfg.dir, /stack-cluster$/);
    const names = serviceSpecs(cfg).map((s) => `${s.name} ${s.address}`);
    assert.deepEqual(names.slice(0, 3), [
      'redis-cluster-1 redis://127.0.0.1:47001',
      'redis-cluster-2 redis://127.0.0.1:47002',
      'redis-cluster-3 redis://127.0.0.1:47003',
    ]);
    assert.ok(!names.some((n) => n.startsWith('redis ')), 'no single Redis beside the cluster');
    // the cluster bus port (+10000) is checked free too
    assert.deepEqual(
      serviceSpecs(cfg)[0].ports.map((p) => p.port),
      [47001, 57001],
    );
    const env = stackEnv(cfg);
    assert.equal(env.FORESIGHT_REDIS_CLUSTER_NODES, '127.0.0.1:47001,127.0.0.1:47002,127.0.0.1:47003');
    assert.deepEqual(loadConfig(env).redis.clusterNodes?.length, 3);
    assert.equal(stackEnv(loadStackConfig({}, {})).FORESIGHT_REDIS_CLUSTER_NODES, undefined);
  });

  it('refuses --redis-cluster with --secure, and a first port whose third node or bus would pass 65535', () => {
    assert.throws(() => loadStackConfig({ redisCluster: true, secure: true }, {}), /--redis-cluster and --secure cannot be combined/);
    assert.throws(
      () => loadStackConfig({ redisCluster: true }, { FORESIGHT_STACK_REDIS_CLUSTER_PORT: '60000' }),
      /FORESIGHT_STACK_REDIS_CLUSTER_PORT: expected a TCP port up to 55533/,
    );
  });

  it('computes the slot of a key as Redis Cluster does (the values CLUSTER KEYSLOT of Redis 7.0 gave)', () => {
    assert.equal(keySlot('123456789'), 12739); // the cluster specification's CRC16 check value 0x31C3
    assert.equal(keySlot('fs:{metrics.v1:3}:applied'), 5662);
    assert.equal(keySlot('fs:{metrics.v1:3}:w:a/b:m:7'), 5662, 'the hash tag decides');
    assert.equal(keySlot('foo{}{bar}'), 8363, 'an empty tag: the whole key');
    assert.equal(keySlot('foo{{bar}}zap'), 4015, 'the tag is "{bar"');
    assert.equal(keySlot(Buffer.from('a{b}c')), 3300);
  });
});
