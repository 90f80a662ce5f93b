/**
 * Known future events (the product brief's "external factors"): `policies/events.yaml` in the
 * GitOps repository declares campaigns, launches or sales that will raise demand, so that
 * capacity rises before they start and returns after them.
 *
 *   apiVersion: foresight.dev/v1
 *   kind: Events
 *   events:
 *     - name: black-friday
 *       start: "2026-11-27T00:00:00Z"     # ISO 8601 with a time zone
 *       end: "2026-11-30T00:00:00Z"
 *       scope: { namespace: shop }         # and/or team, workload (its name), labels ({k: v}, all must match); none = all
 *       multiplier: 2.5                    # expected demand / usual demand (1 < m ≤ 100)
 *       warmupMinutes: 30                  # optional: raise this long before the forecast horizon reaches the start
 *
 * The forecast of a series in scope is multiplied while the event overlaps the forecast's
 * horizon plus the warm-up: from start − (horizon + warm-up) to end. Overlapping events: the
 * largest multiplier. Errors name the file, the line and the field. Pure: text in, events out.
 */
import { LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import type { Forecast } from '../scoring/forecaster.js';
import { dayExists } from '../util/iso-time.js';
import { MAX_YAML_ALIASES, tooLarge } from '../util/yaml-limits.js';
import { nodeAt, PolicyError } from './policy-loader.js';

/** The events file's path inside the policies folder (it is not a policy file). */
export const EVENTS_FILE = 'events.yaml';

export const isEventsFile = (repoPath: string): boolean => repoPath.split('/').pop() === EVENTS_FILE;

const instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/, 'an ISO 8601 time with a zone, e.g. 2026-11-27T00:00:00Z')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a valid time')
  .refine(dayExists, 'no such day: the month is shorter'); // Date.parse would read 2026-11-31 as December 1st
const name = z.string().min(1).max(253);

const eventSchema = z
  .object({
    name,
    start: instant,
    end: instant,
    scope: z
      .object({ namespace: name, team: name, workload: name, labels: z.record(z.string().min(1).max(317), z.string().max(63)) })
      .strict()
      .partial()
      .default({}),
    multiplier: z.number().gt(1).max(100),
    warmupMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(0),
  })
  .strict()
  .refine((e) => Date.parse(e.end) > Date.parse(e.start), { message: 'end must be after start', path: ['end'] });

const eventsFileSchema = z.object({ apiVersion: z.literal('foresight.dev/v1'), kind: z.literal('Events'), events: z.array(eventSchema).max(1000) }).strict();

export interface KnownEvent {
  name: string;
  startMs: number;
  endMs: number;
  scope: { namespace?: string; team?: string; workload?: string; labels?: Record<string, string> };
  multiplier: number;
  warmupMs: number;
}

export function parseEventsFile(file: string, text: string): KnownEvent[] {
  const large = tooLarge(text);
  if (large) throw new PolicyError(file, 1, '', large);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0)
    throw new PolicyError(file, lines.linePos(doc.errors[0].pos[0]).line, '', `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const res = eventsFileSchema.safeParse(doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }));
  if (!res.success) {
    const issue = res.error.issues[0];
    const node = nodeAt(doc.contents as Node, issue.path);
    const unknown = issue.code === 'unrecognized_keys' ? ` (${(issue as { keys?: string[] }).keys?.join(', ')})` : '';
    throw new PolicyError(file, node?.range ? lines.linePos(node.range[0]).line : 1, issue.path.join('.') || '(document)', `${issue.message}${unknown}`);
  }
  return res.data.events.map((e) => ({
    name: e.name,
    startMs: Date.parse(e.start),
    endMs: Date.parse(e.end),
    scope: e.scope,
    multiplier: e.multiplier,
    warmupMs: e.warmupMinutes * 60_000,
  }));
}

export interface EventTarget {
  namespace: string;
  /** the workload's name */
  workload: string;
  team?: string;
  /** the workload's labels (from the GitOps manifest) */
  labels?: Record<string, string>;
}

/** The events that raise the forecast made at `stepEndMs` for the next `horizonMs`, and their multiplier (1: none). */
export function eventMultiplier(
  events: readonly KnownEvent[],
  who: EventTarget,
  stepEndMs: number,
  horizonMs: number,
): { multiplier: number; events: string[] } {
  let multiplier = 1;
  const names: string[] = [];
  for (const e of events) {
    if (e.scope.namespace !== undefined && e.scope.namespace !== who.namespace) continue;
    if (e.scope.workload !== undefined && e.scope.workload !== who.workload) continue;
    if (e.scope.team !== undefined && e.scope.team !== who.team) continue;
    if (e.scope.labels && Object.entries(e.scope.labels).some(([k, v]) => who.labels?.[k] !== v)) continue;
    if (stepEndMs + horizonMs + e.warmupMs <= e.startMs || stepEndMs >= e.endMs) continue;
    names.push(e.name);
    multiplier = Math.max(multiplier, e.multiplier);
  }
  return { multiplier, events: names };
}

export function raised(f: Forecast, multiplier: number): Forecast {
  return multiplier === 1 ? f : { q50: f.q50 * multiplier, q90: f.q90 * multiplier, q99: f.q99 * multiplier };
}
