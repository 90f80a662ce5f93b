/** Secret scrubbing of log lines: known secrets are replaced wherever they are in a line. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Secret } from '../../../src/config/secret.js';
import { addSecret, addSecretsFromEnv, createLogger, scrub } from '../../../src/telemetry/log.js';

describe('log scrubbing', () => {
  it('replaces registered secrets, URL passwords and *_PASSWORD values in every field and message', () => {
    addSecretsFromEnv({
      FORESIGHT_REDIS_URL: 'redis://app:r3dis-pw%21@cache:6379',
      FORESIGHT_GITOPS_REMOTE: 'https://bot:git-Pa55@git.example.com/gitops.git',
      FORESIGHT_KAFKA_SASL_PASSWORD: 'kafka-pw-123',
      FORESIGHT_LOG_LEVEL: 'info',
    });
    addSecret('ghp_tokenValue0123');
    let out = '';
    const log = createLogger(
      't',
      'info',
      new Writable({
        write: (c, _e, cb) => {
          out += c.toString();
          cb();
        },
      }),
    );
    log.error(
      { err: new Error('HTTP 401: {"message":"bad token ghp_tokenValue0123"}'), url: 'redis://app:r3dis-pw%21@cache:6379' },
      'failed with kafka-pw-123 and r3dis-pw! and git-Pa55',
    );
    for (const s of ['ghp_tokenValue0123', 'r3dis-pw', 'kafka-pw-123', 'git-Pa55']) assert.ok(!out.includes(s), `${s} in ${out}`);
    assert.match(out, /bad token \[REDACTED\]/);
    assert.equal(scrub('nothing secret here'), 'nothing secret here');
    assert.equal(scrub('info'), 'info', 'ordinary configuration values are not secrets');
  });

  it('scrubs the value of every Secret the configuration reads (a password from a _FILE too)', () => {
    new Secret('sasl-Pa55-from-file');
    assert.equal(scrub('SASL authentication failed for password sasl-Pa55-from-file'), 'SASL authentication failed for password [REDACTED]');
  });

  it('leaves values too short to tell apart from text alone', () => {
    addSecret('ab');
    assert.equal(scrub('a cab'), 'a cab');
  });
});
