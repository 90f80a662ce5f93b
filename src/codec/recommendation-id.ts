/**
 * Deterministic recommendation ids: the same workload, change type, proposed values, forecast
 * (fractions rounded to 4 significant digits so float noise does not make a new id), model
 * version and step (event time) always give the same id; redelivery and replays are then
 * idempotent downstream, and two decisions at different steps never share one (a capped raise
 * repeated hours later, with a forecast equal to 4 digits, did).
 */
import { createHash } from 'node:crypto';

/**
 * The JSON text of a value with object keys sorted, integers exact (event times are integers of
 * 13 digits: rounded, every step of ~11 days read alike), other numbers rounded to 4 significant
 * digits and non-finite ones as strings, written directly (no rounded copy of the value is
 * built). undefined for what JSON leaves out.
 */
function canonicalJson(v: unknown): string | undefined {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return JSON.stringify(v);
    return Number.isFinite(v) ? JSON.stringify(Number(v.toPrecision(4))) : JSON.stringify(String(v));
  }
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x) ?? 'null').join(',')}]`;
  if (v && typeof v === 'object') {
    const fields: string[] = [];
    for (const k of Object.keys(v).sort()) {
      const json = canonicalJson((v as Record<string, unknown>)[k]);
      if (json !== undefined) fields.push(`${JSON.stringify(k)}:${json}`);
    }
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(v) as string | undefined;
}

/** `at`: the step (event time, ms) the decision was made at, for decisions that a later step may repeat with the same values. */
export function recommendationId(parts: { workload: string; type: string; changes: unknown; forecast: unknown; modelVersion: string; at?: number }): string {
  return createHash('sha256').update(canonicalJson(parts)!).digest('hex').slice(0, 32);
}
