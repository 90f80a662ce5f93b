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
import { SampleReader } from './sample-reader.js';

export type Decoded = { kind: 'metric'; samples: MetricSample[] } | { kind: 'billing'; rows: BillingRecord[] };
/**
 * Synchronous where it can be (the hot path), a promise where it must wait (a new schema id).
 * Avro metric samples also carry `samples`, the short path for samples of our own schema
 * (sample-reader.ts); ingest tries it first and falls back to the decoder.
 */
export type MessageDecoder = ((value: Buffer | null) => Decoded | Promise<Decoded>) & { samples?: SampleReader };

function avroDecoder<T>(codec: AvroCodec, name: 'MetricSample' | 'BillingRecord', wrap: (value: T) => Decoded): MessageDecoder {
  return (v) => {
    const now = codec.decodeCached<T>(v, name);
    return now !== undefined ? wrap(now) : codec.decode<T>(v, name).then(wrap);
  };
}

export function decoderFor(format: InputFormat, codec: AvroCodec): MessageDecoder {
  switch (format) {
    case 'avro-metric':
      return Object.assign(
        avroDecoder<MetricSample>(codec, 'MetricSample', (s) => ({ kind: 'metric', samples: [s] })),
        { samples: new SampleReader(codec.idOf('MetricSample')) },
      );
    case 'avro-billing':
      return avroDecoder<BillingRecord>(codec, 'BillingRecord', (r) => ({ kind: 'billing', rows: [r] }));
    case 'prometheus-json':
      return (v) => ({ kind: 'metric', samples: decodePrometheusJson(v) });
    case 'focus-json':
      return (v) => ({ kind: 'billing', rows: decodeFocusJson(v) });
    case 'otlp-json':
      return (v) => ({ kind: 'metric', samples: decodeOtlpJson(v) });
    case 'otlp-proto':
      return (v) => ({ kind: 'metric', samples: decodeOtlpProto(v) });
  }
}

/** Whether a format carries billing rows (as opposed to metric samples). */
export function isBillingFormat(format: InputFormat): boolean {
  return format === 'avro-billing' || format === 'focus-json';
}
