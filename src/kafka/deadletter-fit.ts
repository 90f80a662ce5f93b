/**
 * Dead letters that fit the broker. A dead letter keeps the original key, value and headers
 * byte for byte, but the original may be as large as the input topic allows (several MB)
 * while the dead-letter topic takes Kafka's default 1 MB: a dead letter the broker refuses
 * would fail the batch, again and again. So a dead letter is kept under
 * FORESIGHT_DEADLETTER_MAX_BYTES: above it, key and value are cut to a prefix, headers that
 * do not fit are left out, and the `truncation` field records the original lengths and
 * SHA-256 digests (enough to find and compare the original in the source topic).
 */
import { createHash } from 'node:crypto';
import { avroType } from '../codec/schemas.js';
import type { DeadLetter, DeadLetterTruncation } from '../codec/generated-types.js';

/** Room kept for the Kafka record around the Avro value: wire-format prefix, key, headers, batch overhead. */
export const RECORD_OVERHEAD_BYTES = 1024;
/** A detail longer than this is cut (it may quote the input). */
export const DETAIL_MAX_CHARS = 2000;

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function boundedDetail(detail: string): string {
  return detail.length > DETAIL_MAX_CHARS ? `${detail.slice(0, DETAIL_MAX_CHARS)}… (${detail.length} characters)` : detail;
}

/**
 * The dead letter to produce for `record` and its Avro body: whole when the body fits in
 * `maxBytes` − RECORD_OVERHEAD_BYTES, else truncated (see the header).
 */
export function fitDeadLetter(record: DeadLetter, maxBytes: number): { record: DeadLetter; body: Buffer } {
  const type = avroType('DeadLetter');
  const budget = maxBytes - RECORD_OVERHEAD_BYTES;
  const whole: DeadLetter = { ...record, detail: boundedDetail(record.detail), truncation: null };
  const body = type.toBuffer(whole);
  if (body.length <= budget) return { record: whole, body };

  const { key, value } = record;
  const truncation: DeadLetterTruncation = {
    keyLength: key ? key.length : null,
    keySha256: key ? sha256(key) : null,
    valueLength: value ? value.length : null,
    valueSha256: value ? sha256(value) : null,
    headersDropped: 0,
  };
  // what is left for the original bytes once everything else is written (10 bytes of slack
  // per length prefix: Avro writes lengths as varints)
  const bare = type.toBuffer({ ...whole, key: key && Buffer.alloc(0), value: value && Buffer.alloc(0), headers: {}, truncation }).length;
  let room = Math.max(0, budget - bare - 64);
  // headers first, each whole or not at all, within an eighth of the room
  const headers: Record<string, Buffer> = {};
  let headerRoom = Math.floor(room / 8);
  for (const [name, v] of Object.entries(record.headers)) {
    const size = Buffer.byteLength(name) + v.length + 20;
    if (size <= headerRoom) {
      headers[name] = v;
      headerRoom -= size;
      room -= size;
    } else {
      truncation.headersDropped++;
    }
  }
  // then the key (usually short: whole when it fits in an eighth), then the value
  const keyKept = key ? key.subarray(0, Math.min(key.length, Math.max(Math.floor(room / 8), room - (value?.length ?? 0)))) : null;
  room -= keyKept?.length ?? 0;
  const valueKept = value ? value.subarray(0, Math.min(value.length, room)) : null;
  const fitted: DeadLetter = { ...whole, key: keyKept, value: valueKept, headers, truncation };
  const out = type.toBuffer(fitted);
  if (out.length > budget) throw new Error(`dead letter of ${out.length} bytes exceeds its budget of ${budget} (a bug in fitDeadLetter)`);
  return { record: fitted, body: out };
}
