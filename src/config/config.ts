/**
 * The typed configuration of each module, built from the environment once at start-up.
 * Cross-field rules live here (heartbeat below a third of the session timeout, as Kafka's
 * consumer documentation advises).
 */
import { ConfigError } from '../util/errors.js';
import { readVar, type Env } from './env.js';
import { loadKafkaSecurity, loadRedisSecurity, loadRegistrySecurity, type HttpSecurity, type KafkaSecurity, type RedisSecurity } from './security.js';
import * as V from './variables.js';

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** TLS and SASL (config/security.ts); absent: plaintext */
  security?: KafkaSecurity;
}

export interface TopicsConfig {
  metrics: string;
  billing: string;
  recommendations: string;
  alerts: string;
  outcomes: string;
  deadletter: string;
  partitions: number;
}

export interface RedisConfig {
  url: string;
  /** Redis Cluster seed nodes (FORESIGHT_REDIS_CLUSTER_NODES): when set, the Cluster client is used and url gives only the scheme */
  clusterNodes?: { host: string; port: number }[];
  keyPrefix: string;
  /** ACL user, password, TLS CA (config/security.ts) */
  security?: RedisSecurity;
}

export interface RegistryConfig {
  url: string;
  /** TLS CA and basic auth (config/security.ts) */
  security?: HttpSecurity;
}

export interface TelemetryConfig {
  httpHost: string;
  httpPort: number;
  logLevel: string;
  otlpEndpoint: string | undefined;
}

export const INPUT_FORMATS = ['avro-metric', 'avro-billing', 'otlp-proto', 'otlp-json', 'prometheus-json', 'focus-json'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface IngestConfig {
  /** topic → how its messages are decoded */
  inputs: Map<string, InputFormat>;
  allowedLatenessMs: number;
  maxFutureSkewMs: number;
  maxEventAgeMs: number;
  replayHistory: boolean;
  partitionsConcurrently: number;
  /** FORESIGHT_FETCH_LINGER_MS: 0 = no broker-side linger */
  fetchLingerMs: number;
  /** FORESIGHT_FETCH_MAX_BYTES: the most bytes of one partition per fetch */
  fetchMaxBytes: number;
  /** FORESIGHT_BATCH_MAX_EVENTS: the most events of one partition applied in one Redis call */
  batchMaxEvents: number;
}

/** Outcomes of changes and online forecast quality (src/outcomes/). */
export interface OutcomesConfig {
  /** event time after a change is in force at which its outcome is decided; the windows' length */
  periodMs: number;
  /** span of the rolling quality figures (exponential weighting) */
  qualityWindowMs: number;
  /** how long coverage may stay out of band before a drift alert */
  driftPeriodMs: number;
  /** half-width of the coverage band around the policy quantile */
  coverageTolerance: number;
}

export interface ServiceConfig {
  kafka: KafkaConfig;
  topics: TopicsConfig;
  registryUrl: string;
  /** largest dead letter produced, in bytes (FORESIGHT_DEADLETTER_MAX_BYTES) */
  deadLetterMaxBytes: number;
  registry: RegistryConfig;
  redis: RedisConfig;
  telemetry: TelemetryConfig;
  processorGroup: string;
  committerGroup: string;
  ingest: IngestConfig;
  recommend: {
    enabled: boolean;
    policyRepo: string | undefined;
    policyPath: string;
    mappingFile: string;
    providers: ('cuda' | 'cpu')[];
    /** how often the policy checkout is checked (and pulled when `pull`) */
    policyRefreshMs: number;
    pull: boolean;
  };
  outcomes: OutcomesConfig;
}

export function loadKafkaConfig(env: Env): KafkaConfig {
  const cfg = {
    brokers: readVar(V.KAFKA_BROKERS, env),
    clientId: readVar(V.KAFKA_CLIENT_ID, env),
    sessionTimeoutMs: readVar(V.KAFKA_SESSION_TIMEOUT_MS, env),
    heartbeatIntervalMs: readVar(V.KAFKA_HEARTBEAT_INTERVAL_MS, env),
    security: loadKafkaSecurity(env),
  };
  if (cfg.heartbeatIntervalMs * 3 > cfg.sessionTimeoutMs) {
    throw new ConfigError(
      V.KAFKA_HEARTBEAT_INTERVAL_MS.name,
      `expected at most a third of ${V.KAFKA_SESSION_TIMEOUT_MS.name} (${cfg.sessionTimeoutMs} ms); got ${cfg.heartbeatIntervalMs}`,
    );
  }
  return cfg;
}

export function loadTopicsConfig(env: Env): TopicsConfig {
  const topics = {
    metrics: readVar(V.TOPIC_METRICS, env),
    billing: readVar(V.TOPIC_BILLING, env),
    recommendations: readVar(V.TOPIC_RECOMMENDATIONS, env),
    alerts: readVar(V.TOPIC_ALERTS, env),
    outcomes: readVar(V.TOPIC_OUTCOMES, env),
    deadletter: readVar(V.TOPIC_DEADLETTER, env),
    partitions: readVar(V.TOPIC_PARTITIONS, env),
  };
  const inputs = [topics.metrics, topics.billing, topics.recommendations];
  if (inputs.includes(topics.deadletter)) {
    throw new ConfigError(V.TOPIC_DEADLETTER.name, `expected a topic that is not also an input topic; got ${JSON.stringify(topics.deadletter)}`);
  }
  return topics;
}

export function loadIngestConfig(env: Env, topics: TopicsConfig): IngestConfig {
  const spec = readVar(V.INPUTS, env) ?? `${topics.metrics}=avro-metric,${topics.billing}=avro-billing`;
  const inputs = new Map<string, InputFormat>();
  for (const item of spec
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [topic, format] = item.split('=').map((x) => x.trim());
    if (!topic || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || !INPUT_FORMATS.includes(format as InputFormat)) {
      throw new ConfigError(V.INPUTS.name, `expected ${V.INPUTS.expects}; got ${JSON.stringify(item)}`);
    }
    if (topic === topics.deadletter) throw new ConfigError(V.INPUTS.name, `the dead-letter topic ${topic} cannot be an input`);
    inputs.set(topic, format as InputFormat);
  }
  if (inputs.size === 0) throw new ConfigError(V.INPUTS.name, `expected at least one topic=format; got ${JSON.stringify(spec)}`);
  return {
    inputs,
    allowedLatenessMs: readVar(V.ALLOWED_LATENESS_MS, env),
    maxFutureSkewMs: readVar(V.MAX_FUTURE_SKEW_MS, env),
    maxEventAgeMs: readVar(V.MAX_EVENT_AGE_MS, env),
    replayHistory: readVar(V.REPLAY_HISTORY, env),
    partitionsConcurrently: readVar(V.PARTITIONS_CONCURRENTLY, env),
    fetchLingerMs: readVar(V.FETCH_LINGER_MS, env),
    fetchMaxBytes: readVar(V.FETCH_MAX_BYTES, env),
    batchMaxEvents: readVar(V.BATCH_MAX_EVENTS, env),
  };
}

export function loadRedisConfig(env: Env): RedisConfig {
  const url = readVar(V.REDIS_URL, env);
  const nodes = readVar(V.REDIS_CLUSTER_NODES, env);
  const clusterNodes = nodes?.map((hp) => {
    const i = hp.lastIndexOf(':');
    const port = Number(hp.slice(i + 1));
    if (port < 1 || port > 65535) {
      throw new ConfigError(
        V.REDIS_CLUSTER_NODES.name,
        `expected ${V.REDIS_CLUSTER_NODES.expects}; got ${JSON.stringify(env[V.REDIS_CLUSTER_NODES.name])} (port ${port} of ${hp} is not in 1-65535)`,
      );
    }
    return { host: hp.slice(0, i), port };
  });
  return { url, ...(clusterNodes ? { clusterNodes } : {}), keyPrefix: readVar(V.REDIS_KEY_PREFIX, env), security: loadRedisSecurity(env, url) };
}

export function loadConfig(env: Env = process.env): ServiceConfig {
  const topics = loadTopicsConfig(env);
  const registryUrl = readVar(V.SCHEMA_REGISTRY_URL, env);
  return {
    kafka: loadKafkaConfig(env),
    topics,
    registryUrl,
    deadLetterMaxBytes: readVar(V.DEADLETTER_MAX_BYTES, env),
    registry: { url: registryUrl, security: loadRegistrySecurity(env, registryUrl) },
    redis: loadRedisConfig(env),
    telemetry: {
      httpHost: readVar(V.HTTP_HOST, env),
      httpPort: readVar(V.HTTP_PORT, env),
      logLevel: readVar(V.LOG_LEVEL, env),
      otlpEndpoint: readVar(V.OTLP_ENDPOINT, env),
    },
    processorGroup: readVar(V.PROCESSOR_GROUP, env),
    committerGroup: readVar(V.COMMITTER_GROUP, env),
    ingest: loadIngestConfig(env, topics),
    recommend: {
      enabled: readVar(V.RECOMMEND, env),
      policyRepo: readVar(V.POLICY_REPO, env),
      policyPath: readVar(V.POLICY_PATH, env),
      mappingFile: readVar(V.GITOPS_MAPPING, env),
      providers: readVar(V.EXECUTION_PROVIDERS, env),
      policyRefreshMs: readVar(V.POLICY_REFRESH_MS, env),
      pull: readVar(V.POLICY_PULL, env),
    },
    outcomes: {
      periodMs: readVar(V.OUTCOME_PERIOD_MS, env),
      qualityWindowMs: readVar(V.QUALITY_WINDOW_MS, env),
      driftPeriodMs: readVar(V.DRIFT_PERIOD_MS, env),
      coverageTolerance: readVar(V.DRIFT_COVERAGE_TOLERANCE, env),
    },
  };
}

export interface CommitterConfig {
  backend: 'local' | 'github';
  local?: { remote: string; workdir: string };
  github?: { repository: string; apiUrl: string; token: string };
  branch: string;
  mappingFile: string;
  policiesPath: string;
  author: { name: string; email: string };
  labels: string[];
  commitWindowMs: number;
}

/** The committer's own settings; the backend's required variables are checked here, by name. */
export function loadCommitterConfig(env: Env = process.env): CommitterConfig {
  const backend = readVar(V.GITOPS_BACKEND, env);
  const authorText = readVar(V.GIT_AUTHOR, env);
  const m = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(authorText)!;
  const base = {
    backend,
    branch: readVar(V.GITOPS_BRANCH, env),
    mappingFile: readVar(V.GITOPS_MAPPING, env),
    policiesPath: readVar(V.POLICY_PATH, env),
    author: { name: m[1], email: m[2] },
    labels: readVar(V.PR_LABELS, env),
    commitWindowMs: readVar(V.COMMIT_WINDOW_MS, env),
  };
  if (backend === 'local') {
    const remote = readVar(V.GITOPS_REMOTE, env);
    if (!remote) throw new ConfigError(V.GITOPS_REMOTE.name, `expected ${V.GITOPS_REMOTE.expects} when ${V.GITOPS_BACKEND.name}=local; it is not set`);
    return { ...base, local: { remote, workdir: readVar(V.GITOPS_WORKDIR, env) } };
  }
  const repository = readVar(V.GITHUB_REPOSITORY, env);
  if (!repository)
    throw new ConfigError(V.GITHUB_REPOSITORY.name, `expected ${V.GITHUB_REPOSITORY.expects} when ${V.GITOPS_BACKEND.name}=github; it is not set`);
  const token = readVar(V.GITHUB_TOKEN, env);
  if (!token) throw new ConfigError(V.GITHUB_TOKEN.name, `expected ${V.GITHUB_TOKEN.expects} when ${V.GITOPS_BACKEND.name}=github; it is not set`);
  return { ...base, github: { repository, apiUrl: readVar(V.GITHUB_API_URL, env), token } };
}

export interface AlertBridgeConfig {
  alertmanagerUrl: string;
  group: string;
  resolveAfterMs: number;
  linkBase: string | undefined;
}

/** The alert bridge's own settings. */
export function loadAlertBridgeConfig(env: Env = process.env): AlertBridgeConfig {
  const alertmanagerUrl = readVar(V.ALERTMANAGER_URL, env);
  if (!alertmanagerUrl) throw new ConfigError(V.ALERTMANAGER_URL.name, `expected ${V.ALERTMANAGER_URL.expects}; it is not set`);
  return {
    alertmanagerUrl,
    group: readVar(V.ALERT_BRIDGE_GROUP, env),
    resolveAfterMs: readVar(V.ALERT_RESOLVE_AFTER_MS, env),
    linkBase: readVar(V.ALERT_LINK_BASE, env),
  };
}
