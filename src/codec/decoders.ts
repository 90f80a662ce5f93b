/**
 * One decoder per input format, chosen per topic by configuration (FORESIGHT_INPUTS), never
 * by guessing from the bytes. A decoder turns one Kafka message into metric samples or
 * billing rows, or throws a RejectedMessage with the reason for the dead letter.
 */
import type { InputFormat } from '../config/config.js';
import type { AvroCodec } from './avro-codec.js';
import { decodeFocusJson } from './focus-json.js';
import type { BillingRecord, MetricSample } from './generated-types.js';
import { decodeOtlpJson, decodeOtlpProto } from './otlp.js';
import { decodePrometheusJson } from './prometheus-json.js';

export type Decoded = { kind: 'metric'; samples: MetricSample[] } | { kind: 'billing'; rows: BillingRecord[] };
export type MessageDecoder = (value: Buffer | null) => Promise<Decoded>;

export function decoderFor(format: InputFormat, codec: AvroCodec): MessageDecoder {
  switch (format) {
    case 'avro-metric':
      return async (v) => ({ kind: 'metric', samples: [await codec.decode<MetricSample>(v, 'MetricSample')] });
    case 'avro-billing':
      return async (v) => ({ kind: 'billing', rows: [await codec.decode<BillingRecord>(v, 'BillingRecord')] });
    case 'prometheus-json':
      return async (v) => ({ kind: 'metric', samples: decodePrometheusJson(v) });
    case 'focus-json':
      return async (v) => ({ kind: 'billing', rows: decodeFocusJson(v) });
    case 'otlp-json':
      return async (v) => ({ kind: 'metric', samples: decodeOtlpJson(v) });
    case 'otlp-proto':
      return async (v) => ({ kind: 'metric', samples: decodeOtlpProto(v) });
  }
}

/** Whether a format carries billing rows (as opposed to metric samples). */
export function isBillingFormat(format: InputFormat): boolean {
  return format === 'avro-billing' || format === 'focus-json';
}
