/**
 * Secured connections' configuration: passwords from variables or files (never shown in an
 * error), certificates read at start-up, and cross-variable rules, each error naming its variable.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/index.js';
import { kafkaSecurityOptions } from '../../../src/kafka/client.js';
import { ConfigError } from '../../../src/util/errors.js';
import { redactUrl, redisSecurityOptions } from '../../../src/windows/redis-client.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('foresight-sec-');
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const ca = file('ca.pem', PEM);
const pwFile = file('pw', 'from-file-secret\n');

function throwsFor(env: Record<string, string>, variable: string, pattern: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.variable, variable, err.message);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('secured connections configuration', () => {
  it('is plaintext and unauthenticated by default', () => {
    const cfg = loadConfig({});
    assert.deepEqual(kafkaSecurityOptions(cfg.kafka), {});
    assert.deepEqual(redisSecurityOptions(cfg.redis), {});
    assert.equal(cfg.registry.security?.auth, undefined);
  });

  it('builds kafkajs TLS and SCRAM options, reading the password from its file (trailing newline dropped)', () => {
    const cfg = loadConfig({
      FORESIGHT_KAFKA_TLS: 'true',
      FORESIGHT_KAFKA_TLS_CA_FILE: ca,
      FORESIGHT_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      FORESIGHT_KAFKA_SASL_USERNAME: 'svc',
      FORESIGHT_KAFKA_SASL_PASSWORD_FILE: pwFile,
    });
    assert.deepEqual(kafkaSecurityOptions(cfg.kafka), {
      ssl: { ca: PEM },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'from-file-secret' },
    });
    // the password never prints
    for (const shown of [JSON.stringify(cfg), inspect(cfg, { depth: 10 }), String(cfg.kafka.security?.sasl?.password)])
      assert.ok(!shown.includes('from-file-secret'), shown);
  });

  it('builds Redis ACL and TLS options for rediss://', () => {
    const cfg = loadConfig({
      FORESIGHT_REDIS_URL: 'rediss://r:6380',
      FORESIGHT_REDIS_TLS_CA_FILE: ca,
      FORESIGHT_REDIS_USERNAME: 'svc',
      FORESIGHT_REDIS_PASSWORD: 'pw',
    });
    assert.deepEqual(redisSecurityOptions(cfg.redis), { username: 'svc', password: 'pw', tls: { ca: PEM } });
    assert.equal(redactUrl('redis://u:secret@h:1'), 'redis://u:[redacted]@h:1');
  });

  it('rejects bad combinations, naming the variable', () => {
    throwsFor({ FORESIGHT_KAFKA_TLS_CA_FILE: ca }, 'FORESIGHT_KAFKA_TLS_CA_FILE', /FORESIGHT_KAFKA_TLS is not true/);
    throwsFor(
      { FORESIGHT_KAFKA_TLS: 'true', FORESIGHT_KAFKA_TLS_CA_FILE: path.join(dir, 'missing.pem') },
      'FORESIGHT_KAFKA_TLS_CA_FILE',
      /cannot read .*ENOENT/,
    );
    throwsFor({ FORESIGHT_KAFKA_TLS: 'true', FORESIGHT_KAFKA_TLS_CA_FILE: pwFile }, 'FORESIGHT_KAFKA_TLS_CA_FILE', /no PEM block/);
    throwsFor({ FORESIGHT_KAFKA_TLS: 'true', FORESIGHT_KAFKA_TLS_CERT_FILE: ca }, 'FORESIGHT_KAFKA_TLS_KEY_FILE', /needs both/);
    throwsFor({ FORESIGHT_KAFKA_SASL_MECHANISM: 'scram-sha-256', FORESIGHT_KAFKA_SASL_PASSWORD: 'x' }, 'FORESIGHT_KAFKA_SASL_USERNAME', /not set/);
    throwsFor({ FORESIGHT_KAFKA_SASL_MECHANISM: 'plain', FORESIGHT_KAFKA_SASL_USERNAME: 'u' }, 'FORESIGHT_KAFKA_SASL_PASSWORD_FILE', /neither is set/);
    throwsFor({ FORESIGHT_KAFKA_SASL_MECHANISM: 'gssapi' }, 'FORESIGHT_KAFKA_SASL_MECHANISM', /one of none, plain/);
    throwsFor({ FORESIGHT_KAFKA_SASL_USERNAME: 'u', FORESIGHT_KAFKA_SASL_PASSWORD: 'p' }, 'FORESIGHT_KAFKA_SASL_MECHANISM', /it is none/);
    throwsFor({ FORESIGHT_REDIS_PASSWORD: 'a', FORESIGHT_REDIS_PASSWORD_FILE: pwFile }, 'FORESIGHT_REDIS_PASSWORD', /not both/);
    throwsFor({ FORESIGHT_REDIS_TLS_CA_FILE: ca }, 'FORESIGHT_REDIS_TLS_CA_FILE', /not rediss:\/\//);
    throwsFor({ FORESIGHT_SCHEMA_REGISTRY_CA_FILE: ca }, 'FORESIGHT_SCHEMA_REGISTRY_CA_FILE', /not https:\/\//);
    throwsFor({ FORESIGHT_SCHEMA_REGISTRY_USERNAME: 'u' }, 'FORESIGHT_SCHEMA_REGISTRY_PASSWORD_FILE', /user and a password/);
    throwsFor({ FORESIGHT_REDIS_PASSWORD_FILE: file('empty', '\n') }, 'FORESIGHT_REDIS_PASSWORD_FILE', /is empty/);
  });

  it('never shows a password in the error of a bad combination', () => {
    assert.throws(
      () => loadConfig({ FORESIGHT_SCHEMA_REGISTRY_PASSWORD: 'hunter2-secret' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(!err.message.includes('hunter2-secret'), err.message);
        return true;
      },
    );
  });
});
