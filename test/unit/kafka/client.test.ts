import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTransientKafkaLog } from '../../../src/kafka/client.js';

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
