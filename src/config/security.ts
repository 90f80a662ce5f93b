/**
 * Secured connections, read once at start-up: certificates and passwords are read from their
 * files here, so that a missing or unreadable file is a configuration error naming its
 * variable, not a connection failure later. Passwords are held as Secret (never printed).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../util/errors.js';
import { readVar, type Env, type EnvVar } from './env.js';
import { Secret } from './secret.js';
import * as S from './security-variables.js';

export interface KafkaSecurity {
  /** undefined: plaintext */
  tls?: { ca?: string; cert?: string; key?: string };
  /** undefined: no SASL */
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: Secret };
}

export interface HttpSecurity {
  /** extra CA certificates (PEM) for an https:// URL */
  ca?: string;
  /** HTTP basic auth */
  auth?: { username: string; password: Secret };
}

export interface RedisSecurity {
  /** CA certificates (PEM) for a rediss:// URL */
  ca?: string;
  username?: string;
  password?: Secret;
}

function readFileOf(v: EnvVar<string | undefined>, env: Env, what: string): string | undefined {
  const file = readVar(v, env);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(v.name, `expected ${v.expects}; cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (what === 'pem' && !text.includes('-----BEGIN '))
    throw new ConfigError(v.name, `expected ${v.expects}; ${JSON.stringify(file)} holds no PEM block (-----BEGIN …)`);
  return text;
}

/** A password from its variable or from the file its `_FILE` variable names (not both). */
export function readSecret(valueVar: EnvVar<string | undefined>, fileVar: EnvVar<string | undefined>, env: Env): Secret | undefined {
  const value = readVar(valueVar, env);
  const fromFile = readFileOf(fileVar, env, 'secret');
  if (value !== undefined && fromFile !== undefined) throw new ConfigError(valueVar.name, `set either ${valueVar.name} or ${fileVar.name}, not both`);
  if (fromFile === undefined) return value === undefined ? undefined : new Secret(value);
  const text = fromFile.replace(/\r?\n$/, ''); // `echo pw > file` and most editors add one
  if (text.length === 0) throw new ConfigError(fileVar.name, `expected ${fileVar.expects}; the file ${JSON.stringify(readVar(fileVar, env))} is empty`);
  return new Secret(text);
}

export function loadKafkaSecurity(env: Env): KafkaSecurity {
  const tlsOn = readVar(S.KAFKA_TLS, env);
  const ca = readFileOf(S.KAFKA_TLS_CA_FILE, env, 'pem');
  const cert = readFileOf(S.KAFKA_TLS_CERT_FILE, env, 'pem');
  const key = readFileOf(S.KAFKA_TLS_KEY_FILE, env, 'pem');
  for (const [v, x] of [
    [S.KAFKA_TLS_CA_FILE, ca],
    [S.KAFKA_TLS_CERT_FILE, cert],
    [S.KAFKA_TLS_KEY_FILE, key],
  ] as const) {
    if (x !== undefined && !tlsOn)
      throw new ConfigError(v.name, `is set but ${S.KAFKA_TLS.name} is not true; set ${S.KAFKA_TLS.name}=true to connect over TLS`);
  }
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? S.KAFKA_TLS_CERT_FILE : S.KAFKA_TLS_KEY_FILE;
    throw new ConfigError(
      missing.name,
      `expected ${missing.expects} too: a client certificate needs both ${S.KAFKA_TLS_CERT_FILE.name} and ${S.KAFKA_TLS_KEY_FILE.name}`,
    );
  }
  const out: KafkaSecurity = tlsOn ? { tls: { ca, cert, key } } : {};
  const mechanism = readVar(S.KAFKA_SASL_MECHANISM, env);
  const username = readVar(S.KAFKA_SASL_USERNAME, env);
  const password = readSecret(S.KAFKA_SASL_PASSWORD, S.KAFKA_SASL_PASSWORD_FILE, env);
  if (mechanism === 'none') {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError(S.KAFKA_SASL_MECHANISM.name, `expected one of plain, scram-sha-256, scram-sha-512 when a SASL user or password is set; it is none`);
    }
    return out;
  }
  if (username === undefined)
    throw new ConfigError(
      S.KAFKA_SASL_USERNAME.name,
      `expected ${S.KAFKA_SASL_USERNAME.expects} when ${S.KAFKA_SASL_MECHANISM.name}=${mechanism}; it is not set`,
    );
  if (password === undefined)
    throw new ConfigError(
      S.KAFKA_SASL_PASSWORD_FILE.name,
      `expected ${S.KAFKA_SASL_PASSWORD_FILE.name} or ${S.KAFKA_SASL_PASSWORD.name} when ${S.KAFKA_SASL_MECHANISM.name}=${mechanism}; neither is set`,
    );
  return { ...out, sasl: { mechanism, username, password } };
}

export function loadRegistrySecurity(env: Env, url: string): HttpSecurity {
  const ca = readFileOf(S.SCHEMA_REGISTRY_CA_FILE, env, 'pem');
  if (ca !== undefined && !url.startsWith('https:')) {
    throw new ConfigError(S.SCHEMA_REGISTRY_CA_FILE.name, `is set but FORESIGHT_SCHEMA_REGISTRY_URL is not https:// (${JSON.stringify(url)})`);
  }
  const username = readVar(S.SCHEMA_REGISTRY_USERNAME, env);
  const password = readSecret(S.SCHEMA_REGISTRY_PASSWORD, S.SCHEMA_REGISTRY_PASSWORD_FILE, env);
  if ((username === undefined) !== (password === undefined)) {
    const missing = username === undefined ? S.SCHEMA_REGISTRY_USERNAME : S.SCHEMA_REGISTRY_PASSWORD_FILE;
    throw new ConfigError(
      missing.name,
      `expected ${missing.expects}: basic auth needs a user and a password (${S.SCHEMA_REGISTRY_PASSWORD.name} or ${S.SCHEMA_REGISTRY_PASSWORD_FILE.name})`,
    );
  }
  return { ca, auth: username !== undefined ? { username, password: password! } : undefined };
}

export function loadRedisSecurity(env: Env, url: string): RedisSecurity {
  const ca = readFileOf(S.REDIS_TLS_CA_FILE, env, 'pem');
  if (ca !== undefined && !url.startsWith('rediss:')) throw new ConfigError(S.REDIS_TLS_CA_FILE.name, `is set but FORESIGHT_REDIS_URL is not rediss:// (TLS)`);
  const username = readVar(S.REDIS_USERNAME, env);
  const password = readSecret(S.REDIS_PASSWORD, S.REDIS_PASSWORD_FILE, env);
  if (username !== undefined && password === undefined) {
    throw new ConfigError(
      S.REDIS_PASSWORD_FILE.name,
      `expected ${S.REDIS_PASSWORD_FILE.name} or ${S.REDIS_PASSWORD.name} when ${S.REDIS_USERNAME.name} is set; neither is set`,
    );
  }
  return { ca, username, password };
}
