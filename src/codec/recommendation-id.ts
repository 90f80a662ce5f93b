/**
 * Deterministic recommendation ids: the same workload, change type, proposed values, forecast
 * (rounded to 4 significant digits so float noise does not make a new id) and model version
 * always give the same id; redelivery and replays are then idempotent downstream.
 */
import { createHash } from 'node:crypto';

/**
 * The JSON text of a value with object keys sorted and numbers rounded to 4 significant digits
 * (non-finite ones as strings), written directly (no rounded copy of the value is built): what
 * JSON.stringify gives for that copy, so ids do not change. undefined for what JSON leaves out.
 */
function canonicalJson(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(Number(v.toPrecision(4))) : JSON.stringify(String(v));
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

export function recommendationId(parts: { workload: string; type: string; changes: unknown; forecast: unknown; modelVersion: string }): string {
  return createHash('sha256').update(canonicalJson(parts)!).digest('hex').slice(0, 32);
}
