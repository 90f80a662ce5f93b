/**
 * Span and metric attribute names, as constants (never string literals at call sites).
 * Messaging names follow OpenTelemetry's messaging semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/messaging/kafka/).
 */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const MESSAGING_SYSTEM_KAFKA = 'kafka';

export const ATTR_FORESIGHT_REASON = 'foresight.deadletter.reason';
export const ATTR_FORESIGHT_APPLIED = 'foresight.batch.applied';
export const ATTR_FORESIGHT_REJECTED = 'foresight.batch.rejected';
export const ATTR_FORESIGHT_SKIPPED = 'foresight.batch.skipped_duplicates';
