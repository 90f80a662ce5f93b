/**
 * The three services of the local stack and how each is prepared, started and probed.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ForesightError } from '../util/errors.js';
import { APICURIO_JAR, KAFKA_LIBS, ensureApicurio, ensureKafkaLibs, ensureRedisServer } from './artifacts.js';
import { alertmanagerSpec, prometheusSpec } from './observability-services.js';
import { kafkaAnswers, LOADING_PROBE_MS, redisAnswers, redisState, registryAnswers } from './probes.js';
import { redisClusterSpecs, redisClusterStarted } from './redis-cluster.js';
import type { ServiceName, ServiceSpec } from './service-spec.js';
import { REDIS_DURABILITY_ARGS, type StackConfig } from './stack-config.js';

/**
 * What differs between the plain and the secured stack (secure-services.ts): addresses,
 * probes, and the settings each service starts with. Prepared lazily, at `prepare`.
 */
export interface StackVariant {
  redis: { address: string; probe(): Promise<boolean>; loading(): Promise<boolean>; args(dataDir: string): string[]; marker: string };
  kafka: { address: string; probe(): Promise<boolean>; properties(logDirs: string): string; formatArgs(): string[] };
  registry: { address: string; probe(): Promise<boolean>; args(): string[] };
  /** runs once before the services are prepared (certificates, passwords) */
  prepare?(progress: (msg: string) => void): void;
}

export function plainVariant(cfg: StackConfig): StackVariant {
  const registryBase = `http://127.0.0.1:${cfg.registryPort}/apis/ccompat/v7`;
  return {
    redis: {
      address: `redis://127.0.0.1:${cfg.redisPort}`,
      probe: () => redisAnswers('127.0.0.1', cfg.redisPort),
      loading: async () => (await redisState('127.0.0.1', cfg.redisPort, LOADING_PROBE_MS)) === 'loading',
      // Append-only file so that windows and applied offsets survive a Redis restart.
      args: (dataDir) => ['--bind', '127.0.0.1', '--port', String(cfg.redisPort), '--dir', dataDir, '--daemonize', 'no', ...REDIS_DURABILITY_ARGS],
      marker: `:${cfg.redisPort}`,
    },
    kafka: {
      address: `127.0.0.1:${cfg.kafkaPort}`,
      probe: () => kafkaAnswers(`127.0.0.1:${cfg.kafkaPort}`),
      properties: (logDirs) => kafkaProperties(cfg, logDirs),
      formatArgs: () => [],
    },
    registry: {
      address: registryBase,
      probe: () => registryAnswers(registryBase),
      args: () => [`-Dquarkus.http.port=${cfg.registryPort}`],
    },
  };
}

/**
 * The stack's services; with --redis-cluster three cluster masters instead of the single
 * Redis; with --observability also Prometheus and Alertmanager. Either also when an earlier
 * `up` with the flag left their pid files, so that `status` and `down` cover them.
 */
export function serviceSpecs(cfg: StackConfig, variant: StackVariant = plainVariant(cfg)): ServiceSpec[] {
  const redis = cfg.redisCluster ? redisClusterSpecs(cfg) : [redisSpec(cfg, variant), ...(redisClusterStarted(cfg) ? redisClusterSpecs(cfg) : [])];
  const specs = [...redis, kafkaSpec(cfg, variant), registrySpec(cfg, variant)];
  for (const spec of [prometheusSpec(cfg), alertmanagerSpec(cfg)]) {
    if (cfg.observability || existsSync(spec.pidFile)) specs.push(spec);
  }
  return specs;
}

function files(cfg: StackConfig, name: ServiceName): { logFile: string; pidFile: string } {
  return { logFile: path.join(cfg.logDir, `${name}.log`), pidFile: path.join(cfg.runDir, `${name}.pid`) };
}

function redisSpec(cfg: StackConfig, variant: StackVariant): ServiceSpec {
  const dataDir = path.join(cfg.dataDir, 'redis');
  const v = variant.redis;
  return {
    name: 'redis',
    address: v.address,
    ...files(cfg, 'redis'),
    readyTimeoutMs: 15_000,
    ports: [{ port: cfg.redisPort, flag: '--redis-port' }],
    probe: v.probe,
    loading: v.loading,
    prepare(progress) {
      const bin = ensureRedisServer(progress);
      mkdirSync(dataDir, { recursive: true });
      return { cmd: bin, args: v.args(dataDir), marker: v.marker };
    },
  };
}

/**
 * Kafka 4.x in KRaft combined mode (one node is broker and controller), single-node
 * replication settings for the internal topics so nothing waits for replicas.
 */
function kafkaSpec(cfg: StackConfig, variant: StackVariant): ServiceSpec {
  const confDir = path.join(cfg.dir, 'conf');
  const logDirs = path.join(cfg.dataDir, 'kafka');
  const propsFile = path.join(confDir, 'server.properties');
  const log4jFile = path.join(confDir, 'log4j2.properties');
  return {
    name: 'kafka',
    address: variant.kafka.address,
    ...files(cfg, 'kafka'),
    readyTimeoutMs: 90_000,
    ports: [
      { port: cfg.kafkaPort, flag: '--kafka-port' },
      { port: cfg.controllerPort, flag: '--controller-port' },
    ],
    probe: variant.kafka.probe,
    prepare(progress) {
      ensureKafkaLibs(progress);
      mkdirSync(confDir, { recursive: true });
      // 0600: the secured stack's file holds the broker's keystore password and SASL settings
      writeFileSync(propsFile, variant.kafka.properties(logDirs), { mode: 0o600 });
      writeFileSync(log4jFile, LOG4J2_PROPERTIES);
      const classpath = `${KAFKA_LIBS}/*`;
      const jvm = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', classpath];
      if (!existsSync(path.join(logDirs, 'meta.properties'))) {
        progress('kafka: formatting KRaft storage (first start)...');
        const clusterIdFile = path.join(cfg.dir, 'kafka-cluster-id');
        // (an id starting with '-', written by an earlier version, is replaced: the storage was never formatted with it)
        const kept = existsSync(clusterIdFile) ? readFileSync(clusterIdFile, 'utf8').trim() : '';
        const clusterId = kept && !kept.startsWith('-') ? kept : kafkaClusterId();
        writeFileSync(clusterIdFile, clusterId + '\n');
        try {
          execFileSync(
            'java',
            [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, '--ignore-formatted', ...variant.kafka.formatArgs()],
            { stdio: 'pipe' },
          );
        } catch (err) {
          throw new ForesightError(
            'STACK_START_FAILED',
            `kafka: formatting storage in ${logDirs} failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`,
          );
        }
      }
      return { cmd: 'java', args: [...jvm, 'kafka.Kafka', propsFile], marker: propsFile };
    },
  };
}

/**
 * A random cluster id as Kafka's StorageTool random-uuid prints it: 16 bytes, URL-safe base64,
 * no padding, and (as Kafka's Uuid.randomUuid) never starting with '-', which the tool's
 * argument parser would take for an option (`--cluster-id: expected one argument`, 1 start in 64).
 */
export function kafkaClusterId(random: () => string = randomUUID): string {
  for (;;) {
    const id = Buffer.from(random().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaProperties(cfg: StackConfig, logDirs: string): string {
  return `# Written by \`foresight stack up\`; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${cfg.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${cfg.kafkaPort},CONTROLLER://127.0.0.1:${cfg.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${cfg.kafkaPort}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${logDirs}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
log.segment.bytes=67108864
`;
}

const LOG4J2_PROPERTIES = `# Written by \`foresight stack up\`.
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=WARN
logger.kafkaorg.name=org.apache.kafka
logger.kafkaorg.level=WARN
logger.started.name=kafka.server.KafkaRaftServer
logger.started.level=INFO
`;

/**
 * Apicurio Registry with H2 storage in a file of the stack's data folder, so that schema ids
 * survive a restart: Kafka keeps yesterday's messages, and they name their writer schema by id
 * (with in-memory storage a restarted registry handed out the ids again in another order, and
 * old messages decoded against the wrong schema). Its Confluent-compatible API is at /apis/ccompat/v7.
 */
function registrySpec(cfg: StackConfig, variant: StackVariant): ServiceSpec {
  return {
    name: 'registry',
    address: variant.registry.address,
    ...files(cfg, 'registry'),
    readyTimeoutMs: 120_000,
    ports: [{ port: cfg.registryPort, flag: '--registry-port' }],
    probe: variant.registry.probe,
    prepare(progress) {
      ensureApicurio(progress);
      mkdirSync(path.join(cfg.dataDir, 'registry'), { recursive: true });
      const marker = `-Dforesight.stack=${cfg.dir}`;
      const args = [
        '-Xms128m',
        '-Xmx384m',
        marker,
        ...variant.registry.args(),
        '-Dquarkus.http.host=127.0.0.1',
        '-Dapicurio.storage.kind=sql',
        '-Dapicurio.storage.sql.kind=h2',
        `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(cfg.dataDir, 'registry', 'registry_db')}`,
        '-Dquarkus.log.level=WARN',
        '-Dquarkus.log.category."io.quarkus".level=INFO',
        '-jar',
        APICURIO_JAR,
      ];
      return { cmd: 'java', args, marker };
    },
  };
}
