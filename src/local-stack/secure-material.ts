/**
 * What the secured local stack (`stack up --secure`) needs, generated once into its folder:
 *
 *   tls/ca.pem, ca.key            a local CA (openssl), the CA clients trust
 *   tls/server.pem, server.key    the services' certificate (SAN 127.0.0.1, localhost), signed by it
 *   tls/server.p12                PKCS12 keystore of it (Kafka's and the registry's keystore)
 *   tls/truststore.p12            the CA as a PKCS12 truststore (keytool; Kafka's inter-broker client)
 *   secrets/<name>                random passwords: kafka (user foresight), kafka-admin (the
 *                                 broker's own user), redis, registry, keystore
 *
 * Files are 0600 in 0700 folders. Passwords never go on a command line, except SCRAM users at
 * Kafka's one-off storage format (kafka-storage has no other way), which runs for a second.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ForesightError } from '../util/errors.js';
import type { StackConfig } from './stack-config.js';

/** The user Foresight connects as, on Kafka, Redis and the registry. */
export const SECURE_USER = 'foresight';
export const KAFKA_ADMIN_USER = 'admin';
export const SECURE_KAFKA_MECHANISM = 'scram-sha-512';

export type SecretName = 'kafka' | 'kafka-admin' | 'redis' | 'registry' | 'keystore';

export interface SecurePaths {
  tlsDir: string;
  caPem: string;
  caKey: string;
  serverPem: string;
  serverKey: string;
  serverP12: string;
  truststoreP12: string;
  secretsDir: string;
  secret(name: SecretName): string;
}

export function securePaths(cfg: StackConfig): SecurePaths {
  const tlsDir = path.join(cfg.dir, 'tls');
  const secretsDir = path.join(cfg.dir, 'secrets');
  return {
    tlsDir,
    caPem: path.join(tlsDir, 'ca.pem'),
    caKey: path.join(tlsDir, 'ca.key'),
    serverPem: path.join(tlsDir, 'server.pem'),
    serverKey: path.join(tlsDir, 'server.key'),
    serverP12: path.join(tlsDir, 'server.p12'),
    truststoreP12: path.join(tlsDir, 'truststore.p12'),
    secretsDir,
    secret: (name) => path.join(secretsDir, name),
  };
}

export function readStackSecret(cfg: StackConfig, name: SecretName): string {
  return readFileSync(securePaths(cfg).secret(name), 'utf8').trim();
}

/** Writes a file only its owner can read. */
export function writePrivate(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

function tool(cmd: string, args: string[], cwd: string): void {
  try {
    execFileSync(cmd, args, { cwd, stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new ForesightError('STACK_START_FAILED', `secure stack: ${cmd} ${args[0]} failed: ${(e.stderr?.toString() || e.message).trim().slice(0, 500)}`);
  }
}

/** Creates whatever is missing (idempotent): passwords, then the CA, the certificate and the keystores. */
export function ensureSecureMaterial(cfg: StackConfig, progress: (msg: string) => void): SecurePaths {
  const p = securePaths(cfg);
  for (const d of [p.tlsDir, p.secretsDir]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chmodSync(d, 0o700);
  }
  for (const name of ['kafka', 'kafka-admin', 'redis', 'registry', 'keystore'] as const) {
    if (!existsSync(p.secret(name))) writePrivate(p.secret(name), randomBytes(18).toString('base64url') + '\n');
  }
  if (existsSync(p.serverP12) && existsSync(p.truststoreP12)) return p;
  progress(`secure: generating a local CA and the services' certificate into ${p.tlsDir} (once)...`);
  const storePass = readStackSecret(cfg, 'keystore');
  const passFile = p.secret('keystore');
  const days = '825';
  tool(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p.caKey, '-out', p.caPem, '-days', days, '-subj', '/CN=Foresight local stack CA'],
    p.tlsDir,
  );
  tool('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p.serverKey, '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], p.tlsDir);
  writeFileSync(path.join(p.tlsDir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  tool(
    'openssl',
    ['x509', '-req', '-in', 'server.csr', '-CA', p.caPem, '-CAkey', p.caKey, '-CAcreateserial', '-out', p.serverPem, '-days', days, '-extfile', 'server.ext'],
    p.tlsDir,
  );
  tool(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-in',
      p.serverPem,
      '-inkey',
      p.serverKey,
      '-certfile',
      p.caPem,
      '-name',
      'server',
      '-out',
      p.serverP12,
      '-passout',
      `file:${passFile}`,
    ],
    p.tlsDir,
  );
  // keytool reads the store password from argv only; it is the local stack's keystore password, not a user's.
  tool(
    'keytool',
    ['-importcert', '-noprompt', '-alias', 'foresight-ca', '-file', p.caPem, '-keystore', p.truststoreP12, '-storetype', 'PKCS12', '-storepass', storePass],
    p.tlsDir,
  );
  for (const f of [p.caKey, p.serverKey, p.serverP12, p.truststoreP12]) chmodSync(f, 0o600);
  return p;
}

/** The FORESIGHT_* variables that connect to the secured stack (addresses, CA, users, password files). */
export function secureStackEnv(cfg: StackConfig): Record<string, string> {
  const p = securePaths(cfg);
  return {
    FORESIGHT_KAFKA_BROKERS: `127.0.0.1:${cfg.kafkaPort}`,
    FORESIGHT_KAFKA_TLS: 'true',
    FORESIGHT_KAFKA_TLS_CA_FILE: p.caPem,
    FORESIGHT_KAFKA_SASL_MECHANISM: SECURE_KAFKA_MECHANISM,
    FORESIGHT_KAFKA_SASL_USERNAME: SECURE_USER,
    FORESIGHT_KAFKA_SASL_PASSWORD_FILE: p.secret('kafka'),
    FORESIGHT_SCHEMA_REGISTRY_URL: `https://127.0.0.1:${cfg.registryPort}/apis/ccompat/v7`,
    FORESIGHT_SCHEMA_REGISTRY_CA_FILE: p.caPem,
    FORESIGHT_SCHEMA_REGISTRY_USERNAME: SECURE_USER,
    FORESIGHT_SCHEMA_REGISTRY_PASSWORD_FILE: p.secret('registry'),
    FORESIGHT_REDIS_URL: `rediss://127.0.0.1:${cfg.redisPort}`,
    FORESIGHT_REDIS_TLS_CA_FILE: p.caPem,
    FORESIGHT_REDIS_USERNAME: SECURE_USER,
    FORESIGHT_REDIS_PASSWORD_FILE: p.secret('redis'),
  };
}
