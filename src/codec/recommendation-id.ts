/**
 * Deterministic recommendation ids: the same workload, change type, proposed values, forecast
 * (rounded to 4 significant digits so float noise does not make a new id) and model version
 * always give the same id; redelivery and replays are then idempotent downstream.
 */
import { createHash } from 'node:crypto';

function canonical(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? Number(v.toPrecision(4)) : String(v);
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

export function recommendationId(parts: { workload: string; type: string; changes: unknown; forecast: unknown; modelVersion: string }): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(parts)))
    .digest('hex')
    .slice(0, 32);
}
