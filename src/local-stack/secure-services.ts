/**
 * The secured local stack (`stack up --secure`): the same three services as the plain stack,
 * each on its own port and folder so both run side by side, with
 *
 *   Kafka     a SASL_SSL listener (SCRAM-SHA-256/512 users created at storage format time,
 *             PLAIN users in the listener's JAAS); the controller listener stays plaintext on
 *             loopback; the broker talks to itself over SASL_SSL as `admin`.
 *   Redis     TLS only (`tls-port`, no plaintext port), the default user off, an ACL user.
 *   Registry  Apicurio over HTTPS (Quarkus `quarkus.http.ssl.*`, a PKCS12 keystore), plain
 *             HTTP off, and HTTP basic auth on /apis/* from Quarkus's embedded user realm
 *             (the properties-file realm is built into Apicurio 3.0.9), so no identity server.
 *
 * Settings holding passwords go in 0600 files, never on a command line.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Secret } from '../config/secret.js';
import { kafkaAnswers, LOADING_PROBE_MS, redisAnswers, redisState, registryAnswers } from './probes.js';
import { ensureSecureMaterial, KAFKA_ADMIN_USER, readStackSecret, SECURE_USER, securePaths, writePrivate, type SecretName } from './secure-material.js';
import { kafkaProperties, type StackVariant } from './services.js';
import type { StackConfig } from './stack-config.js';

/** undefined until `stack up --secure` generated the material: the probe then says "not answering" */
function secretOrUndefined(cfg: StackConfig, name: SecretName): string | undefined {
  try {
    return readStackSecret(cfg, name);
  } catch {
    return undefined;
  }
}

function caOrUndefined(cfg: StackConfig): string | undefined {
  try {
    return readFileSync(securePaths(cfg).caPem, 'utf8');
  } catch {
    return undefined;
  }
}

export function secureVariant(cfg: StackConfig): StackVariant {
  const p = securePaths(cfg);
  const confDir = path.join(cfg.dir, 'conf');
  const registryBase = `https://127.0.0.1:${cfg.registryPort}/apis/ccompat/v7`;
  const redisConf = path.join(confDir, 'redis.conf');
  const registryConf = path.join(confDir, 'registry.properties');
  const secret = (name: SecretName): string => readStackSecret(cfg, name);
  return {
    prepare(progress) {
      ensureSecureMaterial(cfg, progress);
    },
    redis: {
      address: `rediss://127.0.0.1:${cfg.redisPort}`,
      async probe() {
        const ca = caOrUndefined(cfg);
        const password = secretOrUndefined(cfg, 'redis');
        if (ca === undefined || password === undefined) return false;
        return redisAnswers('127.0.0.1', cfg.redisPort, 2_000, { ca, username: SECURE_USER, password });
      },
      async loading() {
        const ca = caOrUndefined(cfg);
        const password = secretOrUndefined(cfg, 'redis');
        if (ca === undefined || password === undefined) return false;
        return (await redisState('127.0.0.1', cfg.redisPort, LOADING_PROBE_MS, { ca, username: SECURE_USER, password })) === 'loading';
      },
      args(dataDir) {
        writePrivate(
          redisConf,
          `# Written by \`foresight stack up --secure\`; edits are overwritten.
bind 127.0.0.1
port 0
tls-port ${cfg.redisPort}
tls-cert-file ${p.serverPem}
tls-key-file ${p.serverKey}
tls-ca-cert-file ${p.caPem}
tls-auth-clients no
dir ${dataDir}
daemonize no
appendonly yes
appendfsync everysec
auto-aof-rewrite-percentage 400
save ""
protected-mode yes
user default off
user ${SECURE_USER} on >${secret('redis')} ~* &* +@all
`,
        );
        return [redisConf];
      },
      // redis-server rewrites its process title to "redis-server 127.0.0.1:<tls-port>": the conf path does not survive
      marker: `:${cfg.redisPort}`,
    },
    kafka: {
      address: `sasl_ssl://127.0.0.1:${cfg.kafkaPort}`,
      async probe() {
        const ca = caOrUndefined(cfg);
        const password = secretOrUndefined(cfg, 'kafka');
        if (ca === undefined || password === undefined) return false;
        return kafkaAnswers(`127.0.0.1:${cfg.kafkaPort}`, 3_000, { ssl: { ca }, sasl: { mechanism: 'scram-sha-512', username: SECURE_USER, password } });
      },
      properties: (logDirs) => secureKafkaProperties(cfg, logDirs),
      formatArgs() {
        // SCRAM credentials live in the metadata log: created here, before the first start
        const users: [string, string][] = [
          [KAFKA_ADMIN_USER, secret('kafka-admin')],
          [SECURE_USER, secret('kafka')],
        ];
        return users.flatMap(([name, pw]) => ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${name},password=${pw}]`]));
      },
    },
    registry: {
      address: registryBase,
      async probe() {
        const ca = caOrUndefined(cfg);
        const password = secretOrUndefined(cfg, 'registry');
        if (ca === undefined || password === undefined) return false;
        return registryAnswers(registryBase, 2_000, { ca, auth: { username: SECURE_USER, password: new Secret(password) } });
      },
      args() {
        writePrivate(
          registryConf,
          `# Written by \`foresight stack up --secure\`; edits are overwritten.
quarkus.http.insecure-requests=disabled
quarkus.http.port=0
quarkus.http.ssl-port=${cfg.registryPort}
quarkus.http.ssl.certificate.key-store-file=${p.serverP12}
quarkus.http.ssl.certificate.key-store-file-type=PKCS12
quarkus.http.ssl.certificate.key-store-password=${secret('keystore')}
quarkus.http.auth.basic=true
quarkus.security.users.embedded.enabled=true
quarkus.security.users.embedded.plain-text=true
quarkus.security.users.embedded.users.${SECURE_USER}=${secret('registry')}
quarkus.security.users.embedded.roles.${SECURE_USER}=sr-admin
quarkus.http.auth.permission.api.paths=/apis/*
quarkus.http.auth.permission.api.policy=authenticated
`,
        );
        return [`-Dquarkus.config.locations=${registryConf}`];
      },
    },
  };
}

/** The plain stack's broker settings with a SASL_SSL listener in place of PLAINTEXT. */
function secureKafkaProperties(cfg: StackConfig, logDirs: string): string {
  const p = securePaths(cfg);
  const replaced = new Set(['listeners', 'advertised.listeners', 'inter.broker.listener.name', 'listener.security.protocol.map']);
  const base = kafkaProperties(cfg, logDirs)
    .split('\n')
    .filter((l) => !replaced.has(l.split('=')[0]))
    .join('\n');
  const admin = readStackSecret(cfg, 'kafka-admin');
  const scram = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${KAFKA_ADMIN_USER}" password="${admin}";`;
  const plain = `org.apache.kafka.common.security.plain.PlainLoginModule required username="${KAFKA_ADMIN_USER}" password="${admin}" user_${KAFKA_ADMIN_USER}="${admin}" user_${SECURE_USER}="${readStackSecret(cfg, 'kafka')}";`;
  const store = readStackSecret(cfg, 'keystore');
  return `${base}
# The secured stack (\`stack up --secure\`): clients and the broker itself on SASL_SSL; the controller on loopback.
listeners=SASL_SSL://127.0.0.1:${cfg.kafkaPort},CONTROLLER://127.0.0.1:${cfg.controllerPort}
advertised.listeners=SASL_SSL://127.0.0.1:${cfg.kafkaPort}
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${scram}
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${scram}
listener.name.sasl_ssl.plain.sasl.jaas.config=${plain}
ssl.keystore.type=PKCS12
ssl.keystore.location=${p.serverP12}
ssl.keystore.password=${store}
ssl.key.password=${store}
ssl.truststore.type=PKCS12
ssl.truststore.location=${p.truststoreP12}
ssl.truststore.password=${store}
ssl.client.auth=none
ssl.endpoint.identification.algorithm=https
`;
}
