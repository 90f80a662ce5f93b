/** kafkajs clients, with kafkajs's own log lines routed into our structured logs. */
import { createRequire } from 'node:module';
import { Kafka, logLevel, type KafkaConfig as KafkajsConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/config.js';
import type { Logger } from '../telemetry/log.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/**
 * Messages of the broker error codes that kafkajs itself marks retriable (its protocol error
 * table: GROUP_COORDINATOR_NOT_AVAILABLE on a fresh broker, NOT_LEADER_OR_FOLLOWER right after
 * a topic is created, ...). kafkajs logs every such response at ERROR before it retries; the
 * retry normally succeeds, so these lines are expected and transient: they go to debug. If
 * the retries run out, the operation's own error still reaches the caller and is logged there.
 */
const RETRIABLE_BROKER_MESSAGES: ReadonlySet<string> = (() => {
  try {
    const table = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: { message: string; retriable: boolean }[] };
    return new Set(table.errorCodes.filter((e) => e.retriable).map((e) => e.message));
  } catch {
    return new Set([
      'The group coordinator is not available',
      'This is not the correct coordinator for this group',
      'There is no leader for this topic-partition as we are in the middle of a leadership election',
    ]);
  }
})();

/**
 * Whether a kafkajs log entry is one the service says better itself: a broker response that
 * kafkajs will retry, a topic-creation race that ensureTopics retries, or a SASL authentication failure (which kafkajs logs on every attempt;
 * the service stops with one line naming the variables to check, service-runtime/auth-failure.ts).
 */
export function isTransientKafkaLog(entry: Record<string, unknown>, message = ''): boolean {
  if (typeof entry.error === 'string' && RETRIABLE_BROKER_MESSAGES.has(entry.error)) return true;
  // CreateTopics racing another creator (TOPIC_ALREADY_EXISTS, a fresh broker): ensureTopics retries and reports a real failure itself
  if (entry.error === 'Topic creation errors') return true;
  return /authentication failed/i.test(typeof entry.error === 'string' ? entry.error : message);
}

/**
 * Messages of the responses that mean the consumer group is rebalancing (kafkajs's protocol
 * error table, type REBALANCE_IN_PROGRESS: "The group is rebalancing, so a rejoin is needed").
 * kafkajs's connection logs every failed response at ERROR (network/connection.js); a heartbeat
 * or offset commit answered so while a member joins or leaves is how Kafka tells the others to
 * rejoin, and kafkajs does (consumer/runner.js logs "The group is rebalancing, re-joining" at
 * WARN). Expected while processors start, stop or scale, so at most a warning: a group that
 * keeps rebalancing still shows, and a rejoin that fails is logged at ERROR by kafkajs itself.
 */
const REBALANCING_MESSAGES: ReadonlySet<string> = (() => {
  try {
    const table = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; message: string }[] };
    const found = table.errorCodes.filter((e) => e.type === 'REBALANCE_IN_PROGRESS').map((e) => e.message);
    if (found.length > 0) return new Set(found);
  } catch {
    // kafkajs's internals moved: fall back to the message of kafkajs 2.2.4
  }
  return new Set(['The group is rebalancing, so a rejoin is needed']);
})();

/** Whether a kafkajs log entry reports that the consumer group is rebalancing (see REBALANCING_MESSAGES). */
export function isRebalancingKafkaLog(entry: Record<string, unknown>): boolean {
  return typeof entry.error === 'string' && REBALANCING_MESSAGES.has(entry.error);
}

/**
 * kafkajs's log function, writing into `log` (a child with component "kafkajs"): transient
 * lines at debug, group rebalances at most at warn, everything else at kafkajs's own level.
 */
export function kafkajsLogCreator(log: Logger): (entry: LogEntry) => void {
  const child = log.child({ component: 'kafkajs' });
  return ({ level, log: entry }: LogEntry) => {
    const { message, ...rest } = entry;
    if (isTransientKafkaLog(rest, message)) child.debug(rest, message);
    else if (level <= logLevel.WARN && isRebalancingKafkaLog(rest)) child.warn(rest, message);
    else if (level <= logLevel.ERROR) child.error(rest, message);
    else if (level === logLevel.WARN) child.warn(rest, message);
    else child.debug(rest, message);
  };
}

/** kafkajs's `ssl` and `sasl` options from the configuration (config/security.ts). */
export function kafkaSecurityOptions(cfg: KafkaConfig): Pick<KafkajsConfig, 'ssl' | 'sasl'> {
  const sec = cfg.security;
  if (!sec) return {};
  const out: Pick<KafkajsConfig, 'ssl' | 'sasl'> = {};
  if (sec.tls) {
    const { ca, cert, key } = sec.tls;
    out.ssl = ca === undefined && cert === undefined ? true : { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert, key } : {}) };
  }
  if (sec.sasl) {
    const { mechanism, username, password } = sec.sasl;
    // (kafkajs types SASLOptions as a union per mechanism; all three take user and password)
    out.sasl = { mechanism, username, password: password.reveal() } as SASLOptions;
  }
  return out;
}

export function createKafka(cfg: KafkaConfig, log: Logger, clientSuffix: string): Kafka {
  return new Kafka({
    brokers: cfg.brokers,
    ...kafkaSecurityOptions(cfg),
    clientId: `${cfg.clientId}-${clientSuffix}`,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator: () => kafkajsLogCreator(log),
  });
}
