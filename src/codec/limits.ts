/**
 * Explicit bounds on what one input message may hold, so that a hostile or broken producer
 * costs one dead letter, never a stuck partition: every decoder runs inside these limits, and
 * anything beyond them is rejected as `undecodable` before it is parsed.
 *
 * - MAX_MESSAGE_BYTES: a value larger than this is not decoded. 4 MiB: four times Kafka's
 *   default max.message.bytes and the OpenTelemetry Collector Kafka exporter's default
 *   producer.max_message_bytes (and the processor's default fetch per partition,
 *   FORESIGHT_FETCH_MAX_BYTES).
 * - MAX_JSON_DEPTH: JSON nested deeper than this (objects and arrays) is not parsed. Our JSON
 *   formats need at most ~12 levels (OTLP/JSON with a nested attribute value); 64 leaves room
 *   while keeping every recursive walk (JSON.parse, protobufjs's fromObject and verify,
 *   String() of an array) far from the stack limit.
 */
import { RejectedMessage } from '../util/errors.js';

export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const MAX_JSON_DEPTH = 64;

/** Rejects a value over MAX_MESSAGE_BYTES (all formats). */
export function checkMessageSize(value: Buffer | null): void {
  if (value && value.length > MAX_MESSAGE_BYTES) {
    throw new RejectedMessage('undecodable', `message value is ${value.length} bytes; the processor decodes at most ${MAX_MESSAGE_BYTES} (4 MiB)`);
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of objects and arrays in JSON text, outside strings, with the byte
 * offset where it first passes `limit` (a linear scan without recursion; stops there).
 */
export function jsonDepthExceeds(bytes: Buffer, limit: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return undefined;
}

/** JSON.parse within MAX_MESSAGE_BYTES and MAX_JSON_DEPTH; anything else is `undecodable`. */
export function parseJsonMessage(value: Buffer | null): unknown {
  const bytes = value ?? Buffer.alloc(0);
  checkMessageSize(bytes);
  const at = jsonDepthExceeds(bytes, MAX_JSON_DEPTH);
  if (at !== undefined) throw new RejectedMessage('undecodable', `JSON nested deeper than ${MAX_JSON_DEPTH} levels (at byte ${at})`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new RejectedMessage('undecodable', `not JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}
