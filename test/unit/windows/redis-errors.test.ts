/** isPermanentRedisError: which Redis failures another try can fix (retried) and which fail the batch at once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyError } from 'ioredis';
import { isPermanentRedisError } from '../../../src/windows/redis-client.js';
import { ForesightError } from '../../../src/util/errors.js';

const reply = (message: string): Error => new (ReplyError as new (m: string) => Error)(message);

describe('isPermanentRedisError', () => {
  it('retries replies that a later try can get past (loading, busy, cluster reconfiguring, failover)', () => {
    for (const m of [
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script',
      'TRYAGAIN',
      'CLUSTERDOWN',
      'MASTERDOWN',
      'READONLY',
    ])
      assert.equal(isPermanentRedisError(reply(m)), false, m);
  });

  it('fails at once on a script error or a wrong command', () => {
    assert.equal(isPermanentRedisError(reply('ERR Error running script (call to f_x): user_script:3: bad argument')), true);
    assert.equal(isPermanentRedisError(reply('WRONGTYPE Operation against a key holding the wrong kind of value')), true);
  });

  it('retries a lost or refused connection', () => {
    assert.equal(isPermanentRedisError(new Error('Connection is closed.')), false);
    assert.equal(isPermanentRedisError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })), false);
    assert.equal(isPermanentRedisError(Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' })), false);
  });

  it('fails at once on a bug of ours', () => {
    assert.equal(isPermanentRedisError(new TypeError("Cannot read properties of undefined (reading 'x')")), true);
    assert.equal(isPermanentRedisError(new RangeError('Invalid array length')), true);
  });

  it("follows our own errors' retriable flag: a MALFORMED apply fails at once, a failed read is retried", () => {
    assert.equal(isPermanentRedisError(new ForesightError('REDIS_SCRIPT_FAILED', 'applyWindows-n.lua returned [-1] (MALFORMED)')), true);
    assert.equal(isPermanentRedisError(new ForesightError('REDIS_UNAVAILABLE', 'reading windows failed', { retriable: true })), false);
  });
});
