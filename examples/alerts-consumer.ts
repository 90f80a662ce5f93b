/**
 * Example: an alerting consumer of Foresight's anomaly alerts (alerts.v1), e.g. to page
 * through your own system when you do not run Alertmanager (with Alertmanager, run
 * `foresight alert-bridge` instead).
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7 \
 *     node dist/examples/alerts-consumer.js [--max N] [--min-severity WARNING]
 *
 * Alerts are keyed by workload and carry a deterministic id: a consumer that may see an
 * alert twice (at-least-once delivery) de-duplicates by id, as below.
 * Uses only kafkajs and @kafkajs/confluent-schema-registry (no Foresight code): copy it.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';

/** The fields this consumer reads (schemas/AnomalyAlert.avsc has them all, documented). */
interface AnomalyAlert {
  id: string;
  severity: 'INFO' | 'WARNING' | 'CRITICAL';
  namespace: string;
  kind: string;
  name: string;
  metric: string;
  eventTime: number | Date;
  value: number;
  score: number;
  threshold: number;
}

const SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'] as const;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const topic = process.env.TOPIC ?? 'alerts.v1';
const groupId = process.env.GROUP_ID ?? 'alerts-consumer';
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const max = Number(arg('--max') ?? Infinity);
const minSeverity = SEVERITIES.indexOf((arg('--min-severity') ?? 'INFO') as (typeof SEVERITIES)[number]);
if (minSeverity < 0) {
  console.error(`--min-severity: expected one of ${SEVERITIES.join(', ')}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const kafka = new Kafka({ brokers, clientId: groupId, logLevel: logLevel.WARN });
  const registry = new SchemaRegistry({ host: registryUrl });
  const consumer = kafka.consumer({ groupId });
  const seenIds = new Set<string>(); // a real consumer keeps these in its own store, with a TTL
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const stop = async (): Promise<void> => {
    await consumer.disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      seen++;
      try {
        const a = (await registry.decode(message.value)) as AnomalyAlert;
        if (seenIds.has(a.id) || SEVERITIES.indexOf(a.severity) < minSeverity) return;
        seenIds.add(a.id);
        const at = new Date(a.eventTime).toISOString();
        console.log(
          `${a.severity} ${a.namespace}/${a.kind}/${a.name} ${a.metric}=${a.value} at ${at} (score ${a.score.toFixed(3)} ≥ ${a.threshold}) [${a.id}]`,
        );
      } catch (err) {
        console.error(`skipping a message that does not decode: ${(err as Error).message}`);
      } finally {
        if (seen >= max) setImmediate(() => void stop());
      }
    },
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
