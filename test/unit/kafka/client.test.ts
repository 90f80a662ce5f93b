import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { logLevel, type LogEntry } from 'kafkajs';
import { isTransientKafkaLog, kafkajsLogCreator } from '../../../src/kafka/client.js';
import { createLogger } from '../../../src/telemetry/log.js';

test('retriable broker responses that kafkajs retries are transient; real failures are not', () => {
  assert.equal(isTransientKafkaLog({ error: 'The group coordinator is not available', correlationId: 4 }), true);
  assert.equal(isTransientKafkaLog({ error: 'This server is not the leader for that topic-partition' }), true);
  assert.equal(isTransientKafkaLog({ error: 'Not authorized to access topics: [Topic authorization failed]' }), false);
  // authentication failures: the service reports them once itself, so kafkajs's per-attempt lines go to debug
  assert.equal(
    isTransientKafkaLog({ error: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512' }),
    true,
  );
  assert.equal(isTransientKafkaLog({}, 'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication'), true);
  assert.equal(isTransientKafkaLog({ error: 'Topic creation errors' }), true);
  assert.equal(isTransientKafkaLog({ error: 'Connection timeout' }), false);
  assert.equal(isTransientKafkaLog({}), false);
});

/** The lines kafkajsLogCreator writes, parsed, for a kafkajs log call `level` with `log`. */
function route(level: logLevel, log: { message: string; [field: string]: unknown }): Record<string, unknown>[] {
  let out = '';
  const logger = createLogger('test', 'debug', new Writable({ write: (c, _e, cb) => cb(void (out += c.toString())) }));
  // the entry as kafkajs's loggers/index.js builds it: namespace, level, label, and log = {timestamp, logger, message, ...extra}
  kafkajsLogCreator(logger)({
    namespace: 'Connection',
    level,
    label: level === logLevel.ERROR ? 'ERROR' : 'WARN',
    log: { timestamp: new Date().toISOString(), logger: 'kafkajs', ...log },
  } as LogEntry);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a group rebalancing while consumers join is logged at warn, not at error; other kafkajs errors stay errors', () => {
  // network/connection.js logs a failed response at ERROR: a heartbeat answered REBALANCE_IN_PROGRESS
  const rebalancing = route(logLevel.ERROR, {
    message: 'Response Heartbeat(key: 12, version: 3)',
    broker: '127.0.0.1:9092',
    clientId: 'foresight-processor',
    error: 'The group is rebalancing, so a rejoin is needed',
    correlationId: 9,
    size: 10,
  });
  assert.equal(rebalancing.length, 1);
  assert.equal(rebalancing[0]!.level, 40);
  assert.equal(rebalancing[0]!.component, 'kafkajs');
  assert.equal(rebalancing[0]!.msg, 'Response Heartbeat(key: 12, version: 3)');
  assert.equal(rebalancing[0]!.error, 'The group is rebalancing, so a rejoin is needed');
  // consumer/runner.js's own line, at WARN, stays a warning
  const rejoining = route(logLevel.WARN, {
    message: 'The group is rebalancing, re-joining',
    groupId: 'g',
    memberId: 'm',
    error: 'The group is rebalancing, so a rejoin is needed',
  });
  assert.deepEqual(
    rejoining.map((l) => l.level),
    [40],
  );
  // any other failed response, and the consumer's crash line, are still errors
  assert.deepEqual(
    route(logLevel.ERROR, { message: 'Response Heartbeat(key: 12, version: 3)', error: 'Specified group generation id is not valid' }).map((l) => l.level),
    [50],
  );
  assert.deepEqual(
    route(logLevel.ERROR, {
      message: 'Crash: KafkaJSNumberOfRetriesExceeded: The group is rebalancing, so a rejoin is needed',
      groupId: 'g',
      retryCount: 5,
    }).map((l) => l.level),
    [50],
  );
  // retriable broker responses stay at debug
  assert.deepEqual(
    route(logLevel.ERROR, { message: 'Response FindCoordinator(key: 10, version: 2)', error: 'The group coordinator is not available' }).map((l) => l.level),
    [20],
  );
});
