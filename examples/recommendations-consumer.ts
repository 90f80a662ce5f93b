/**
 * Example: a subscriber of Foresight's recommendations (recommendations.v1), for teams that
 * want to act on them in their own tools (a chat bot, a ticket, a FinOps report) instead of,
 * or next to, the git-committer.
 *
 * Values are Avro in the Confluent wire format; the registry client fetches the writer schema
 * by the id in each message, so this keeps working when Foresight adds optional fields.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7 \
 *     node dist/examples/recommendations-consumer.js [--max N]
 *
 * Uses only kafkajs and @kafkajs/confluent-schema-registry (no Foresight code): copy it.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';

/** The fields this subscriber reads (schemas/Recommendation.avsc has them all, documented). */
interface Recommendation {
  id: string;
  type: string;
  namespace: string;
  kind: string;
  name: string;
  container: string | null;
  changes: { field: string; current: string | null; proposed: string }[];
  monthlyCostDelta: number | null;
  currency: string;
  /** set when no price was known: then monthlyCostDelta means nothing (never read it as 0) */
  costUnknown?: string | null;
  critical: boolean;
  createdAt: number | Date;
}

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const topic = process.env.TOPIC ?? 'recommendations.v1';
const groupId = process.env.GROUP_ID ?? 'recommendations-subscriber';
const maxIndex = process.argv.indexOf('--max');
const max = maxIndex > 0 ? Number(process.argv[maxIndex + 1]) : Infinity;

function describe(r: Recommendation): string {
  const target = `${r.namespace}/${r.kind}/${r.name}${r.container ? ` (${r.container})` : ''}`;
  const changes = r.changes.map((c) => `${c.field} ${c.current ?? '(unset)'}→${c.proposed}`).join(', ');
  const cost = r.costUnknown
    ? r.costUnknown
    : r.monthlyCostDelta === null || r.monthlyCostDelta === undefined
      ? 'cost unknown'
      : `${r.monthlyCostDelta >= 0 ? '+' : ''}${r.monthlyCostDelta.toFixed(2)} ${r.currency}/month`;
  return `${r.type} ${target}: ${changes}; ${cost}${r.critical ? '; needs review' : ''} [${r.id}]`;
}

async function main(): Promise<void> {
  const kafka = new Kafka({ brokers, clientId: groupId, logLevel: logLevel.WARN });
  const registry = new SchemaRegistry({ host: registryUrl });
  const consumer = kafka.consumer({ groupId });
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
      try {
        const r = (await registry.decode(message.value)) as Recommendation;
        console.log(describe(r));
      } catch (err) {
        console.error(`skipping a message that does not decode: ${(err as Error).message}`);
      }
      if (++seen >= max) setImmediate(() => void stop());
    },
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
