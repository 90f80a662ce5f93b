/**
 * Deterministic recommendation ids: the same workload, change type, proposed values, forecast
 * (fractions rounded to 4 significant digits so float noise does not make a new id), model
 * version and step (event time) always give the same id; redelivery and replays are then
 * idempotent downstream, and two decisions at different steps never share one (a capped raise
 * repeated hours later, with a forecast equal to 4 digits, did).
 */
import crypto from 'node:crypto';

/**
 * The JSON text of a value with object keys sorted, integers exact (event times are integers of
 * 13 digits: rounded, every step of ~11 days read alike), other numbers rounded to 4 significant
 * digits and non-finite ones as strings, written directly into one string (no rounded copy of
 * the value, no list of parts per object). undefined for what JSON leaves out.
 */
function canonicalJson(v: unknown): string | undefined {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return JSON.stringify(v);
    return Number.isFinite(v) ? JSON.stringify(Number(v.toPrecision(4))) : JSON.stringify(String(v));
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + (canonicalJson(v[i]) ?? 'null');
    return s + ']';
  }
  if (v && typeof v === 'object') {
    let s = '{';
    for (const k of sortedKeys(v)) {
      const json = canonicalJson((v as Record<string, unknown>)[k]);
      if (json !== undefined) s += (s.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + json;
    }
    return s + '}';
  }
  return JSON.stringify(v) as string | undefined;
}

/** An object's keys in the order of Array.prototype.sort (UTF-16 code units), sorted in place (sort() allocates a work array per call). */
function sortedKeys(v: object): string[] {
  const keys = Object.keys(v);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > k; j--) keys[j + 1] = keys[j];
    keys[j + 1] = k;
  }
  return keys;
}

/** SHA-256 in hex: the one-shot crypto.hash where Node has it (20.12 on), else a Hash object. */
const sha256 =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text: string): string => crypto.hash('sha256', text, 'hex')
    : (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** `at`: the step (event time, ms) the decision was made at, for decisions that a later step may repeat with the same values. */
export function recommendationId(parts: { workload: string; type: string; changes: unknown; forecast: unknown; modelVersion: string; at?: number }): string {
  return sha256(canonicalJson(parts)!).slice(0, 32);
}
