import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_VARIABLES, loadConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/util/errors.js';

describe('configuration', () => {
  it('has working defaults for every variable', () => {
    const cfg = loadConfig({});
    assert.deepEqual(cfg.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(cfg.topics.metrics, 'metrics.v1');
    assert.equal(cfg.topics.deadletter, 'deadletter.v1');
    assert.equal(cfg.registryUrl, 'http://127.0.0.1:8081/apis/ccompat/v7');
    assert.equal(cfg.deadLetterMaxBytes, 262_144, "dead letters default to 256 KiB, well below Kafka's 1 MB max.message.bytes");
    assert.equal(loadConfig({ FORESIGHT_DEADLETTER_MAX_BYTES: '900000' }).deadLetterMaxBytes, 900_000);
  });

  const bad: [string, string, RegExp][] = [
    ['FORESIGHT_KAFKA_BROKERS', 'localhost', /host:port/],
    ['FORESIGHT_HTTP_PORT', '70000', /TCP port/],
    ['FORESIGHT_SCHEMA_REGISTRY_URL', 'not a url', /URL/],
    ['FORESIGHT_REDIS_URL', 'http://x', /redis:\/\//],
    ['FORESIGHT_REDIS_CLUSTER_NODES', 'redis-a,redis-b', /host:port/],
    ['FORESIGHT_REDIS_CLUSTER_NODES', '10.0.0.1:7001,10.0.0.2:99999', /host:port/],
    ['FORESIGHT_TOPIC_METRICS', 'has space', /topic name/],
    ['FORESIGHT_LOG_LEVEL', 'loud', /one of/],
    ['FORESIGHT_KAFKA_SESSION_TIMEOUT_MS', '100', /6000/],
    ['FORESIGHT_DEADLETTER_MAX_BYTES', '1000', /\[16384, 8388608\]/],
    ['FORESIGHT_DEADLETTER_MAX_BYTES', '1MB', /integer of bytes/],
  ];
  for (const [name, value, expects] of bad) {
    it(`rejects ${name}=${JSON.stringify(value)} naming the variable and what it expects`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.variable, name);
          assert.match(err.message, new RegExp(`^${name}: expected`));
          assert.match(err.message, expects);
          assert.match(err.message, new RegExp(JSON.stringify(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
          return true;
        },
      );
    });
  }

  it('checks the heartbeat against the session timeout (a cross-field rule)', () => {
    assert.throws(
      () => loadConfig({ FORESIGHT_KAFKA_SESSION_TIMEOUT_MS: '9000', FORESIGHT_KAFKA_HEARTBEAT_INTERVAL_MS: '5000' }),
      /FORESIGHT_KAFKA_HEARTBEAT_INTERVAL_MS: expected at most a third of FORESIGHT_KAFKA_SESSION_TIMEOUT_MS/,
    );
  });

  it('refuses a dead-letter topic that is also an input', () => {
    assert.throws(() => loadConfig({ FORESIGHT_TOPIC_DEADLETTER: 'metrics.v1' }), /FORESIGHT_TOPIC_DEADLETTER/);
  });

  it('documents every variable', () => {
    for (const v of ALL_VARIABLES) {
      assert.ok(v.description.length > 10, v.name);
      assert.ok(v.expects.length > 3, v.name);
    }
  });
});
