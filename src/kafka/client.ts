/** kafkajs clients, with kafkajs's own log lines routed into our structured logs. */
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { KafkaConfig } from '../config/config.js';
import type { Logger } from '../telemetry/log.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export function createKafka(cfg: KafkaConfig, log: Logger, clientSuffix: string): Kafka {
  const child = log.child({ component: 'kafkajs' });
  return new Kafka({
    brokers: cfg.brokers,
    clientId: `${cfg.clientId}-${clientSuffix}`,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      if (level <= logLevel.ERROR) child.error(rest, message);
      else if (level === logLevel.WARN) child.warn(rest, message);
      else child.debug(rest, message);
    },
  });
}
