/**
 * The demo's billing: a sample of FOCUS rows for one hour of a node pool (data/samples, one
 * JSON object a line, `#` comments), repeated for each of the `hours` hours before `endMs`
 * so that the pool's unit prices are known in the month the demo's events fall in.
 * Each row goes through the FOCUS JSON decoder, so the sample is held to the same checks as
 * rows a processor reads from a topic.
 */
import { readFileSync } from 'node:fs';
import type { BillingRecord } from '../codec/generated-types.js';
import { decodeFocusJson } from '../codec/focus-json.js';
import { ForesightError } from '../util/errors.js';

const HOUR = 3_600_000;

/**
 * The whole hours billed when the demo's events move on from `fromMs` to `toMs` (the hours
 * before the hour of `toMs` that the rows up to `fromMs` did not bill), so that each hour is
 * billed once: demoBillingRows(file, toMs, billedHoursBetween(fromMs, toMs), cluster).
 */
export function billedHoursBetween(fromMs: number, toMs: number): number {
  return Math.max(0, Math.floor(toMs / HOUR) - Math.floor(fromMs / HOUR));
}

export function demoBillingRows(file: string, endMs: number, hours: number, cluster: string): BillingRecord[] {
  const template = readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => ({ l: l.trim(), line: i + 1 }))
    .filter(({ l }) => l !== '' && !l.startsWith('#'))
    .map(({ l, line }) => {
      try {
        return decodeFocusJson(Buffer.from(l))[0];
      } catch (err) {
        throw new ForesightError('CONFIG_INVALID', `${file}:${line}: ${(err as Error).message}`);
      }
    });
  const last = Math.floor(endMs / HOUR) * HOUR;
  const out: BillingRecord[] = [];
  for (let h = hours; h >= 1; h--) {
    const start = last - h * HOUR;
    const d = new Date(start);
    for (const row of template) {
      out.push({
        ...row,
        ChargePeriodStart: start,
        ChargePeriodEnd: start + HOUR,
        BillingPeriodStart: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
        BillingPeriodEnd: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
        Tags: { ...row.Tags, 'k8s.cluster.name': cluster },
      });
    }
  }
  return out;
}
