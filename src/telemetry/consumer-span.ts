/**
 * The span of one consumed Kafka batch, as every Foresight consumer opens it: a CONSUMER span
 * `process <topic>` with the messaging attributes of the OpenTelemetry semantic conventions
 * and links to the producers' spans (batchLinks, capped), not one span per message — after
 * opentelemetry-js-contrib's instrumentation-kafkajs.
 */
import { SpanKind, type Span, type Tracer } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import { batchLinks } from './propagation.js';
import * as S from './semconv.js';

export function startBatchSpan(
  tracer: Tracer,
  batch: { topic: string; partition: number; messages: Pick<KafkaMessage, 'headers'>[] },
  consumerGroup: string,
): Span {
  return tracer.startSpan(`process ${batch.topic}`, {
    kind: SpanKind.CONSUMER,
    links: batchLinks(batch.messages.map((m) => m.headers)),
    attributes: {
      [S.ATTR_MESSAGING_SYSTEM]: S.MESSAGING_SYSTEM_KAFKA,
      [S.ATTR_MESSAGING_DESTINATION_NAME]: batch.topic,
      [S.ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(batch.partition),
      [S.ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [S.ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: batch.messages.length,
      [S.ATTR_MESSAGING_CONSUMER_GROUP_NAME]: consumerGroup,
    },
  });
}
