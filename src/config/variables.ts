/**
 * Every environment variable Foresight reads, in one place. Each module's config
 * (config/index.ts) is built from these; the README lists them; docker-compose.yml is tested
 * against them.
 */
import { z } from 'zod';
import { envVar, hostPortList, logLevel, nonEmpty, port, positiveInt, topicName, url } from './env.js';
import { SECURITY_VARIABLES } from './security-variables.js';

export const KAFKA_BROKERS = envVar(
  'FORESIGHT_KAFKA_BROKERS',
  hostPortList,
  '127.0.0.1:9092',
  'a comma-separated list of host:port',
  'Kafka bootstrap brokers.',
);
export const KAFKA_CLIENT_ID = envVar('FORESIGHT_KAFKA_CLIENT_ID', nonEmpty, 'foresight', 'a non-empty string', 'Kafka client id prefix.');
export const KAFKA_SESSION_TIMEOUT_MS = envVar(
  'FORESIGHT_KAFKA_SESSION_TIMEOUT_MS',
  positiveInt.min(6000).max(300000),
  '30000',
  "an integer of milliseconds in [6000, 300000] (the broker's group.min/max.session.timeout.ms)",
  'Consumer group session timeout.',
);
export const KAFKA_HEARTBEAT_INTERVAL_MS = envVar(
  'FORESIGHT_KAFKA_HEARTBEAT_INTERVAL_MS',
  positiveInt,
  '3000',
  'a positive integer of milliseconds, below a third of the session timeout',
  'Consumer heartbeat interval.',
);

export const TOPIC_METRICS = envVar('FORESIGHT_TOPIC_METRICS', topicName, 'metrics.v1', 'a Kafka topic name', 'Input topic of workload metric samples.');
export const TOPIC_BILLING = envVar('FORESIGHT_TOPIC_BILLING', topicName, 'billing.v1', 'a Kafka topic name', 'Input topic of FOCUS billing rows.');
export const TOPIC_RECOMMENDATIONS = envVar(
  'FORESIGHT_TOPIC_RECOMMENDATIONS',
  topicName,
  'recommendations.v1',
  'a Kafka topic name',
  "Output topic of recommendations (the committer's input).",
);
export const TOPIC_ALERTS = envVar('FORESIGHT_TOPIC_ALERTS', topicName, 'alerts.v1', 'a Kafka topic name', 'Output topic of anomaly alerts.');
export const TOPIC_OUTCOMES = envVar(
  'FORESIGHT_TOPIC_OUTCOMES',
  topicName,
  'outcomes.v1',
  'a Kafka topic name',
  'Output topic of change outcomes (what each change Foresight proposed did once in force).',
);
export const TOPIC_DEADLETTER = envVar(
  'FORESIGHT_TOPIC_DEADLETTER',
  topicName,
  'deadletter.v1',
  'a Kafka topic name',
  'Dead-letter topic: every rejected message, with its reason and original bytes.',
);
export const DEADLETTER_MAX_BYTES = envVar(
  'FORESIGHT_DEADLETTER_MAX_BYTES',
  positiveInt.min(16_384).max(8_388_608),
  '262144',
  "an integer of bytes in [16384, 8388608], below the dead-letter topic's max.message.bytes",
  "Largest dead letter produced: above it, the original key and value are cut to a prefix and the dead letter records their lengths and SHA-256 (default 256 KiB, well below Kafka's 1 MB default max.message.bytes).",
);
export const TOPIC_PARTITIONS = envVar(
  'FORESIGHT_TOPIC_PARTITIONS',
  positiveInt.max(1024),
  '6',
  'an integer in [1, 1024]',
  'Partitions for topics Foresight creates when they are missing.',
);

export const SCHEMA_REGISTRY_URL = envVar(
  'FORESIGHT_SCHEMA_REGISTRY_URL',
  url,
  'http://127.0.0.1:8081/apis/ccompat/v7',
  'an http(s) URL of a Confluent-compatible API',
  'Schema Registry (Confluent API; for Apicurio the /apis/ccompat/v7 path).',
);

export const REDIS_URL = envVar(
  'FORESIGHT_REDIS_URL',
  z.string().regex(/^rediss?:\/\/.+/, 'redis:// or rediss:// URL'),
  'redis://127.0.0.1:6379',
  'a redis:// or rediss:// URL',
  'Redis holding the windows and applied offsets.',
);
export const REDIS_CLUSTER_NODES = envVar(
  'FORESIGHT_REDIS_CLUSTER_NODES',
  hostPortList.optional(),
  undefined,
  'comma-separated host:port of Redis Cluster nodes',
  'Set to use a Redis Cluster (a few of its nodes; the client discovers the rest and follows MOVED/ASK and failovers) instead of the one Redis of FORESIGHT_REDIS_URL, whose scheme (rediss:// for TLS) still applies to every node, with FORESIGHT_REDIS_USERNAME/PASSWORD(_FILE).',
);
export const REDIS_KEY_PREFIX = envVar(
  'FORESIGHT_REDIS_KEY_PREFIX',
  z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'letters, digits, "_", "." or "-"'),
  'fs',
  'a short key prefix of letters, digits, "_", "." or "-"',
  'Prefix of every Redis key Foresight writes.',
);

export const PROCESSOR_GROUP = envVar(
  'FORESIGHT_PROCESSOR_GROUP',
  nonEmpty,
  'foresight-processor',
  'a non-empty consumer group id',
  'Consumer group of the processor.',
);
export const COMMITTER_GROUP = envVar(
  'FORESIGHT_COMMITTER_GROUP',
  nonEmpty,
  'foresight-committer',
  'a non-empty consumer group id',
  'Consumer group of the committer.',
);

export const HTTP_HOST = envVar(
  'FORESIGHT_HTTP_HOST',
  nonEmpty,
  '127.0.0.1',
  'an interface address such as 127.0.0.1 or 0.0.0.0',
  'Address of the health, readiness and Prometheus endpoint.',
);
export const HTTP_PORT = envVar(
  'FORESIGHT_HTTP_PORT',
  port,
  '9464',
  'a TCP port in [0, 65535] (0 picks a free one)',
  'Port of /healthz, /readyz and /metrics.',
);
export const LOG_LEVEL = envVar(
  'FORESIGHT_LOG_LEVEL',
  logLevel,
  'info',
  'one of fatal, error, warn, info, debug, trace, silent',
  'Log level of the JSON logs (stderr).',
);
export const OTLP_ENDPOINT = envVar(
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  url.optional(),
  undefined,
  'an http(s) URL of an OTLP/HTTP receiver, or unset',
  'Where traces are exported (OTLP over HTTP, /v1/traces is appended); unset keeps traces in-process only.',
);

export const INPUTS = envVar(
  'FORESIGHT_INPUTS',
  z.string().optional(),
  undefined,
  'a comma-separated list of topic=format, format one of avro-metric, avro-billing, otlp-proto, otlp-json, prometheus-json, focus-json',
  'Which topics the processor reads and how each is decoded; default: the metrics topic as avro-metric and the billing topic as avro-billing.',
);
export const ALLOWED_LATENESS_MS = envVar(
  'FORESIGHT_ALLOWED_LATENESS_MS',
  z.coerce.number().int().min(0),
  '600000',
  'a non-negative integer of milliseconds',
  'How far behind the newest event of its series an event may arrive and still be applied; later ones are dead-lettered as late.',
);
export const MAX_FUTURE_SKEW_MS = envVar(
  'FORESIGHT_MAX_FUTURE_SKEW_MS',
  z.coerce.number().int().min(0),
  '300000',
  'a non-negative integer of milliseconds',
  "How far ahead of the processor's clock an event time may be (clock-skew rejection).",
);
export const MAX_EVENT_AGE_MS = envVar(
  'FORESIGHT_MAX_EVENT_AGE_MS',
  z.coerce.number().int().positive(),
  String(35 * 24 * 3600 * 1000),
  'a positive integer of milliseconds',
  "How far behind the processor's clock an event time may be (default 35 days, the longest window's retention).",
);
export const PARTITIONS_CONCURRENTLY = envVar(
  'FORESIGHT_PARTITIONS_CONCURRENTLY',
  positiveInt.max(64),
  '3',
  'an integer in [1, 64]',
  'Partitions the processor works on at the same time (each in order); overlaps decoding with Redis calls.',
);
export const FETCH_LINGER_MS = envVar(
  'FORESIGHT_FETCH_LINGER_MS',
  z.coerce.number().int().min(0).max(5_000),
  '0',
  'an integer of milliseconds in [0, 5000]',
  "How long the broker may hold the processor's fetch to gather up to 1 MiB (0: answer as soon as anything is there). Bigger batches cost less CPU per event; every event may wait up to this long.",
);
export const FETCH_MAX_BYTES = envVar(
  'FORESIGHT_FETCH_MAX_BYTES',
  z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024),
  String(4 * 1024 * 1024),
  'an integer of bytes in [1024, 67108864]',
  "The most bytes of one partition the processor's fetch returns, counted as stored (a gzip topic brings several times more). Smaller bounds the memory of a catch-up; larger batches cost less CPU per event (a batch holding several samples of a series merges them before Redis: 16 MiB halves a catch-up's CPU per event on a topic of one sample per message).",
);
export const BATCH_MAX_EVENTS = envVar(
  'FORESIGHT_BATCH_MAX_EVENTS',
  z.coerce.number().int().min(1).max(10_000_000),
  '100000',
  'an integer in [1, 10000000]',
  'The most Kafka messages of one partition the processor applies in one Redis call: a larger fetched batch is applied in slices of this many, in order. Bounds how long one call holds Redis (about 50 µs per distinct series in it) whatever the fetch holds (FORESIGHT_FETCH_MAX_BYTES counts bytes as stored).',
);
export const REPLAY_HISTORY = envVar(
  'FORESIGHT_REPLAY_HISTORY',
  z.enum(['true', 'false']).transform((v) => v === 'true'),
  'false',
  'true or false',
  'Accept any event time (replaying history): turns the clock-skew checks off.',
);

export const EXECUTION_PROVIDERS = envVar(
  'FORESIGHT_EXECUTION_PROVIDERS',
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['cuda', 'cpu'])).min(1)),
  'cuda,cpu',
  'a comma-separated list of cuda and cpu, tried in order',
  'ONNX Runtime execution providers for the models, tried in order; a missing CUDA falls back to the next with one log line.',
);

export const RECOMMEND = envVar(
  'FORESIGHT_RECOMMEND',
  z.enum(['true', 'false']).transform((v) => v === 'true'),
  'true',
  'true or false',
  'Score due series and publish recommendations and alerts from the processor (false: ingest only).',
);
export const POLICY_REPO = envVar(
  'FORESIGHT_POLICY_REPO',
  z.string().min(1).optional(),
  undefined,
  'the path of a Git checkout, or unset',
  'GitOps repository holding the policy files (reloaded when its HEAD moves); unset: built-in default policy only.',
);
export const POLICY_REFRESH_MS = envVar(
  'FORESIGHT_POLICY_REFRESH_MS',
  positiveInt.min(100).max(3_600_000),
  '10000',
  'an integer of milliseconds in [100, 3600000]',
  'How often the processor checks its policy checkout for a new HEAD (and pulls it, with FORESIGHT_POLICY_PULL): policies, current values, and changes coming in force.',
);
export const POLICY_PULL = envVar(
  'FORESIGHT_POLICY_PULL',
  z.enum(['true', 'false']).transform((v) => v === 'true'),
  'false',
  'true or false',
  'Pull (fast-forward only) the policy checkout from its upstream before each check; for a local checkout. In Kubernetes git-sync moves the checkout: leave false.',
);
export const OUTCOME_PERIOD_MS = envVar(
  'FORESIGHT_OUTCOME_PERIOD_MS',
  positiveInt.min(300_000).max(86_400_000).multipleOf(300_000),
  '86400000',
  'a whole number of 5-minute steps in milliseconds, 300000 to 86400000 (the windows keep 5-minute buckets for 48 h: before and after windows must both fit)',
  'Event time after a change comes in force at which its outcome is decided; the before and after windows are this long (default 24 h).',
);
export const QUALITY_WINDOW_MS = envVar(
  'FORESIGHT_QUALITY_WINDOW_MS',
  positiveInt.min(300_000).max(30 * 86_400_000),
  '86400000',
  'an integer of milliseconds in [300000, 2592000000]',
  'Span of the rolling forecast-quality figures per workload (pinball loss, coverage, under-provisioned share): exponentially weighted over this much event time (default 24 h).',
);
export const DRIFT_PERIOD_MS = envVar(
  'FORESIGHT_DRIFT_PERIOD_MS',
  positiveInt.min(300_000).max(30 * 86_400_000),
  '21600000',
  'an integer of milliseconds in [300000, 2592000000]',
  "How long a workload's rolling coverage may stay outside the policy's band before a drift alert (default 6 h of event time).",
);
export const DRIFT_COVERAGE_TOLERANCE = envVar(
  'FORESIGHT_DRIFT_COVERAGE_TOLERANCE',
  z.coerce.number().gt(0).lt(1),
  '0.05',
  'a number in (0, 1)',
  "Half-width of the coverage band: rolling coverage must stay within the policy's quantile ± this (capped at 1).",
);
export const POLICY_PATH = envVar(
  'FORESIGHT_POLICY_PATH',
  z
    .string()
    .regex(/^[^/][^]*$/, 'a path inside the repository')
    .refine((p) => !p.split('/').includes('..'), 'no ".."'),
  'policies',
  'a relative path inside the repository, without ".."',
  'Folder of the policy files in the GitOps repository.',
);

const branchName = z.string().regex(/^(?!\/|.*\/\/|.*\.\.|.*\/$)[A-Za-z0-9._/-]{1,200}$/, 'a Git branch name');
export const GITOPS_BACKEND = envVar(
  'FORESIGHT_GITOPS_BACKEND',
  z.enum(['local', 'github']),
  'local',
  'local or github',
  'Where the committer writes: a Git repository by path or URL (local), or GitHub through its REST API.',
);
export const GITOPS_REMOTE = envVar(
  'FORESIGHT_GITOPS_REMOTE',
  z.string().min(1).optional(),
  undefined,
  'a path or URL of a Git repository',
  'The GitOps repository the local backend clones and pushes to (the committer needs it when the backend is local).',
);
export const GITOPS_WORKDIR = envVar(
  'FORESIGHT_GITOPS_WORKDIR',
  nonEmpty,
  '.foresight/gitops-work',
  'a directory path',
  "The local backend's working clone (created on first use; one per committer instance).",
);
export const GITOPS_BRANCH = envVar(
  'FORESIGHT_GITOPS_BRANCH',
  branchName,
  'main',
  'a Git branch name',
  'Target branch: routine changes are committed to it, pull requests are opened against it.',
);
export const GITOPS_MAPPING = envVar(
  'FORESIGHT_GITOPS_MAPPING',
  z
    .string()
    .regex(/^[^/][^]*$/, 'a path inside the repository')
    .refine((p) => !p.split('/').includes('..'), 'no ".."'),
  'foresight-mapping.yaml',
  'a relative path inside the repository, without ".."',
  'Mapping file of the GitOps repository (folders to search, pinned files, Helm values paths); optional in the repository.',
);
export const GIT_AUTHOR = envVar(
  'FORESIGHT_GIT_AUTHOR',
  z.string().regex(/^\s*[^<>]+?\s*<[^<>\s]+@[^<>\s]+>\s*$/, 'Name <email>'),
  'Foresight <foresight@localhost>',
  'a "Name <email>" author',
  "Author (and committer) of Foresight's commits.",
);
export const COMMIT_WINDOW_MS = envVar(
  'FORESIGHT_COMMIT_WINDOW_MS',
  z.coerce.number().int().min(0).max(60_000),
  '2000',
  'an integer of milliseconds in [0, 60000]',
  "Recommendations for one workload arriving within this window become one commit (the committer's fetch lingers this long).",
);
export const PR_LABELS = envVar(
  'FORESIGHT_PR_LABELS',
  z.string().transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
  'foresight,finops',
  'a comma-separated list of labels',
  'Labels put on the pull requests of critical changes.',
);
export const GITHUB_REPOSITORY = envVar(
  'FORESIGHT_GITHUB_REPOSITORY',
  z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name')
    .optional(),
  undefined,
  'owner/name of a GitHub repository',
  'The GitOps repository on GitHub (the committer needs it when the backend is github).',
);
export const GITHUB_API_URL = envVar(
  'FORESIGHT_GITHUB_API_URL',
  url,
  'https://api.github.com',
  'an http(s) URL of the GitHub REST API',
  'GitHub REST API root (GitHub Enterprise Server: https://HOST/api/v3).',
);
export const GITHUB_TOKEN = envVar(
  'FORESIGHT_GITHUB_TOKEN',
  z.string().min(1).optional(),
  undefined,
  'a GitHub token with contents and pull-requests write access',
  'Token of the github backend; read from the environment (a Kubernetes Secret), never logged.',
);

export const ALERTMANAGER_URL = envVar(
  'FORESIGHT_ALERTMANAGER_URL',
  url.optional(),
  undefined,
  'an http(s) URL of Alertmanager, e.g. http://alertmanager:9093',
  'Alertmanager that the alert bridge posts to (its /api/v2/alerts); the bridge needs it.',
);
export const ALERT_BRIDGE_GROUP = envVar(
  'FORESIGHT_ALERT_BRIDGE_GROUP',
  nonEmpty,
  'foresight-alert-bridge',
  'a non-empty consumer group id',
  'Consumer group of the alert bridge.',
);
export const ALERT_RESOLVE_AFTER_MS = envVar(
  'FORESIGHT_ALERT_RESOLVE_AFTER_MS',
  z.coerce
    .number()
    .int()
    .min(60_000)
    .max(7 * 24 * 3600 * 1000),
  '3600000',
  'an integer of milliseconds in [60000, 604800000]',
  'How long a posted alert stays firing in Alertmanager unless it is posted again (its endsAt).',
);
export const ALERT_LINK_BASE = envVar(
  'FORESIGHT_ALERT_LINK_BASE',
  url.optional(),
  undefined,
  'an http(s) URL, or unset',
  'Base of the link put on each alert (generatorURL = base/namespace/Kind%2Fname), e.g. your dashboard; unset: no link.',
);

/** All variables, in documentation order. */
export const ALL_VARIABLES = [
  KAFKA_BROKERS,
  KAFKA_CLIENT_ID,
  KAFKA_SESSION_TIMEOUT_MS,
  KAFKA_HEARTBEAT_INTERVAL_MS,
  TOPIC_METRICS,
  TOPIC_BILLING,
  TOPIC_RECOMMENDATIONS,
  TOPIC_ALERTS,
  TOPIC_OUTCOMES,
  TOPIC_DEADLETTER,
  DEADLETTER_MAX_BYTES,
  TOPIC_PARTITIONS,
  SCHEMA_REGISTRY_URL,
  REDIS_URL,
  REDIS_CLUSTER_NODES,
  REDIS_KEY_PREFIX,
  PROCESSOR_GROUP,
  COMMITTER_GROUP,
  INPUTS,
  PARTITIONS_CONCURRENTLY,
  FETCH_LINGER_MS,
  FETCH_MAX_BYTES,
  BATCH_MAX_EVENTS,
  ALLOWED_LATENESS_MS,
  MAX_FUTURE_SKEW_MS,
  MAX_EVENT_AGE_MS,
  REPLAY_HISTORY,
  EXECUTION_PROVIDERS,
  RECOMMEND,
  POLICY_REPO,
  POLICY_REFRESH_MS,
  POLICY_PULL,
  OUTCOME_PERIOD_MS,
  QUALITY_WINDOW_MS,
  DRIFT_PERIOD_MS,
  DRIFT_COVERAGE_TOLERANCE,
  POLICY_PATH,
  GITOPS_BACKEND,
  GITOPS_REMOTE,
  GITOPS_WORKDIR,
  GITOPS_BRANCH,
  GITOPS_MAPPING,
  GIT_AUTHOR,
  COMMIT_WINDOW_MS,
  PR_LABELS,
  GITHUB_REPOSITORY,
  GITHUB_API_URL,
  GITHUB_TOKEN,
  ALERTMANAGER_URL,
  ALERT_BRIDGE_GROUP,
  ALERT_RESOLVE_AFTER_MS,
  ALERT_LINK_BASE,
  HTTP_HOST,
  HTTP_PORT,
  LOG_LEVEL,
  OTLP_ENDPOINT,
  ...SECURITY_VARIABLES,
] as const;
