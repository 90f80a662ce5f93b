/**
 * Billing rows as JSON objects with FOCUS 1.2 column names (as FOCUS exports are written by
 * AWS, Azure, GCP and OCI). Date-times are ISO 8601 strings or epoch milliseconds; decimals
 * may be numbers or strings; Tags is an object or a JSON-encoded object. The row is then held
 * to the BillingRecord Avro schema, so the same checks apply to JSON and Avro rows.
 */
import { RejectedMessage } from '../util/errors.js';
import { parseIsoTime } from '../util/iso-time.js';
import type { BillingRecord } from './generated-types.js';
import { parseJsonMessage } from './limits.js';
import { avroType } from './schemas.js';

const TIMES = ['BillingPeriodStart', 'BillingPeriodEnd', 'ChargePeriodStart', 'ChargePeriodEnd'] as const;
const DECIMALS = ['BilledCost', 'ContractedCost', 'EffectiveCost', 'ListCost'] as const;
const NULLABLE_DECIMALS = ['PricingQuantity', 'ConsumedQuantity'] as const;
const NULLABLE_STRINGS = [
  'BillingAccountName',
  'ChargeClass',
  'ChargeDescription',
  'PricingUnit',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'ConsumedUnit',
  'CommitmentDiscountId',
  'CommitmentDiscountStatus',
  'PricingCategory',
] as const;

function time(v: unknown, col: string): number {
  const t = typeof v === 'number' ? v : typeof v === 'string' ? parseIsoTime(v) : { problem: 'not a date-time' };
  if (typeof t !== 'number') throw new RejectedMessage('invalid-field', `${col} ${JSON.stringify(v)} is ${t.problem}`);
  if (!Number.isFinite(t)) throw new RejectedMessage('invalid-field', `${col} ${JSON.stringify(v)} is not a date-time`);
  return t;
}

function decimal(v: unknown, col: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isNaN(n)) throw new RejectedMessage('invalid-field', `${col} ${JSON.stringify(v)} is not a number`);
  return n;
}

export function decodeFocusJson(value: Buffer | null): BillingRecord[] {
  const row = parseJsonMessage(value) as Record<string, unknown>;
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new RejectedMessage('undecodable', 'expected one JSON object per message');
  const out: Record<string, unknown> = { ...row };
  for (const c of TIMES) out[c] = time(row[c], c);
  for (const c of DECIMALS) out[c] = decimal(row[c], c);
  for (const c of NULLABLE_DECIMALS) out[c] = row[c] === undefined || row[c] === null || row[c] === '' ? null : decimal(row[c], c);
  for (const c of NULLABLE_STRINGS) out[c] = row[c] === undefined || row[c] === '' ? null : row[c];
  let tags: unknown = row.Tags ?? {};
  if (typeof tags === 'string') {
    try {
      tags = parseJsonMessage(Buffer.from(tags));
    } catch {
      throw new RejectedMessage('invalid-field', 'Tags is a string but not a JSON object');
    }
  }
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) throw new RejectedMessage('invalid-field', 'Tags is not an object');
  out.Tags = Object.fromEntries(
    Object.entries(tags as Record<string, unknown>).map(([k, v]) => {
      // tag values are strings; a nested value would be flattened by String(), recursively
      if (typeof v === 'object' && v !== null)
        throw new RejectedMessage('invalid-field', `tag ${JSON.stringify(k.slice(0, 100))} is not a string, number or boolean`);
      return [k, String(v)];
    }),
  );
  const type = avroType('BillingRecord');
  const paths: string[] = [];
  const clean = Object.fromEntries(Object.entries(out).filter(([k]) => (type as unknown as { fields: { name: string }[] }).fields.some((f) => f.name === k)));
  if (!type.isValid(clean, { errorHook: (p) => paths.push(p.join('.')) })) {
    throw new RejectedMessage('invalid-field', `not a FOCUS row: missing or invalid column(s) ${paths.slice(0, 5).join(', ')}`);
  }
  return [clean as unknown as BillingRecord];
}
