/**
 * The variables of secured connections: TLS and SASL for Kafka, TLS and basic auth for the
 * schema registry, TLS and an ACL user for Redis. Every password can instead be read from a
 * file (`…_FILE`, e.g. a mounted Kubernetes Secret); a password variable's value is never
 * shown in an error or a log line. All unset: plaintext, unauthenticated connections.
 */
import { z } from 'zod';
import { envVar, nonEmpty, secretVar } from './env.js';

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const file = z.string().min(1).optional();
const fileExpects = 'the path of a readable PEM file, or unset';

export const KAFKA_TLS = envVar('FORESIGHT_KAFKA_TLS', bool, 'false', 'true or false', 'Connect to Kafka over TLS (a SSL or SASL_SSL listener).');
export const KAFKA_TLS_CA_FILE = envVar(
  'FORESIGHT_KAFKA_TLS_CA_FILE',
  file,
  undefined,
  fileExpects,
  "CA certificate(s) that signed the brokers' certificates (PEM); unset: the system's CAs. Needs FORESIGHT_KAFKA_TLS=true.",
);
export const KAFKA_TLS_CERT_FILE = envVar(
  'FORESIGHT_KAFKA_TLS_CERT_FILE',
  file,
  undefined,
  fileExpects,
  'Client certificate (PEM) for mutual TLS; set together with FORESIGHT_KAFKA_TLS_KEY_FILE.',
);
export const KAFKA_TLS_KEY_FILE = envVar(
  'FORESIGHT_KAFKA_TLS_KEY_FILE',
  file,
  undefined,
  'the path of a readable PEM private key, or unset',
  'Private key (PEM, unencrypted) of the client certificate.',
);
export const KAFKA_SASL_MECHANISM = envVar(
  'FORESIGHT_KAFKA_SASL_MECHANISM',
  z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']),
  'none',
  'one of none, plain, scram-sha-256, scram-sha-512',
  'SASL mechanism of the Kafka listener (with TLS: SASL_SSL; without: SASL_PLAINTEXT).',
);
export const KAFKA_SASL_USERNAME = envVar(
  'FORESIGHT_KAFKA_SASL_USERNAME',
  nonEmpty.optional(),
  undefined,
  'a SASL user name',
  'SASL user; required when FORESIGHT_KAFKA_SASL_MECHANISM is not none.',
);
export const KAFKA_SASL_PASSWORD = secretVar('FORESIGHT_KAFKA_SASL_PASSWORD', 'a SASL password', 'SASL password (prefer FORESIGHT_KAFKA_SASL_PASSWORD_FILE).');
export const KAFKA_SASL_PASSWORD_FILE = envVar(
  'FORESIGHT_KAFKA_SASL_PASSWORD_FILE',
  file,
  undefined,
  'the path of a readable file holding the password',
  'File holding the SASL password (a trailing newline is ignored).',
);

export const SCHEMA_REGISTRY_CA_FILE = envVar(
  'FORESIGHT_SCHEMA_REGISTRY_CA_FILE',
  file,
  undefined,
  fileExpects,
  "CA certificate(s) of the registry's https:// URL (PEM); unset: the system's CAs.",
);
export const SCHEMA_REGISTRY_USERNAME = envVar(
  'FORESIGHT_SCHEMA_REGISTRY_USERNAME',
  nonEmpty.optional(),
  undefined,
  'a user name, or unset',
  'HTTP basic auth user of the schema registry.',
);
export const SCHEMA_REGISTRY_PASSWORD = secretVar(
  'FORESIGHT_SCHEMA_REGISTRY_PASSWORD',
  'a password',
  'HTTP basic auth password of the schema registry (prefer FORESIGHT_SCHEMA_REGISTRY_PASSWORD_FILE).',
);
export const SCHEMA_REGISTRY_PASSWORD_FILE = envVar(
  'FORESIGHT_SCHEMA_REGISTRY_PASSWORD_FILE',
  file,
  undefined,
  'the path of a readable file holding the password',
  'File holding the registry password.',
);

export const REDIS_USERNAME = envVar(
  'FORESIGHT_REDIS_USERNAME',
  nonEmpty.optional(),
  undefined,
  'an ACL user name, or unset',
  'Redis ACL user (AUTH username password); unset with a password: the default user.',
);
export const REDIS_PASSWORD = secretVar('FORESIGHT_REDIS_PASSWORD', 'a password', 'Redis password (prefer FORESIGHT_REDIS_PASSWORD_FILE).');
export const REDIS_PASSWORD_FILE = envVar(
  'FORESIGHT_REDIS_PASSWORD_FILE',
  file,
  undefined,
  'the path of a readable file holding the password',
  'File holding the Redis password.',
);
export const REDIS_TLS_CA_FILE = envVar(
  'FORESIGHT_REDIS_TLS_CA_FILE',
  file,
  undefined,
  fileExpects,
  "CA certificate(s) of a rediss:// server (PEM); unset: the system's CAs.",
);

export const SECURITY_VARIABLES = [
  KAFKA_TLS,
  KAFKA_TLS_CA_FILE,
  KAFKA_TLS_CERT_FILE,
  KAFKA_TLS_KEY_FILE,
  KAFKA_SASL_MECHANISM,
  KAFKA_SASL_USERNAME,
  KAFKA_SASL_PASSWORD,
  KAFKA_SASL_PASSWORD_FILE,
  SCHEMA_REGISTRY_CA_FILE,
  SCHEMA_REGISTRY_USERNAME,
  SCHEMA_REGISTRY_PASSWORD,
  SCHEMA_REGISTRY_PASSWORD_FILE,
  REDIS_USERNAME,
  REDIS_PASSWORD,
  REDIS_PASSWORD_FILE,
  REDIS_TLS_CA_FILE,
] as const;
