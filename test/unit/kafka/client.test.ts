import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTransientKafkaLog } from '../../../src/kafka/client.js';

test('retriable broker responses that kafkajs retries are transient; real failures are not', () => {
  assert.equal(isTransientKafkaLog({ error: 'The group coordinator is not available', correlationId: 4 }), true);
  assert.equal(isTransientKafkaLog({ error: 'This server is not the leader for that topic-partition' }), true);
  assert.equal(isTransientKafkaLog({ error: 'Not authorized to access topics: [Topic authorization failed]' }), false);
  assert.equal(isTransientKafkaLog({ error: 'SASL SCRAM SHA256 authentication failed' }), false);
  assert.equal(isTransientKafkaLog({}), false);
});
