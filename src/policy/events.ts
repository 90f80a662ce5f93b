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
 *     - name: black-friday-like-last-year
 *       start: "2026-11-27T00:00:00Z"
 *       end: "2026-11-28T00:00:00Z"
 *       like: "2025-11-28"                 # a reference day (or "2025-11-28..2025-11-30", UTC days): the multiplier is how
 *                                          # much busier than usual each workload was then (policy/day-peaks.ts); a
 *                                          # `multiplier` beside it stands in where the workload's history lacks the reference
 *
 * A series in scope is raised while the event overlaps the forecast's horizon plus the warm-up,
 * from start − (horizon + warm-up) to end, to its multiplier × the usual demand
 * (policy/decide-replicas.ts eventDemand). Overlapping events: the
 * largest multiplier. Errors name the file, the line and the field. Pure: text in, events out.
 */
import { LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import type { KnownEventRaise } from './decide-replicas.js';
import { dayExists } from '../util/iso-time.js';
import { DAY_MS, dayOf, MAX_MULTIPLIER, MAX_REFERENCE_AGE_DAYS } from './day-peaks.js';
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
const DAY = /^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$/;
/** `like`: one UTC day or a range of them, "2025-11-28" or "2025-11-28..2025-11-30" */
const reference = z
  .string()
  .regex(DAY, 'a day or a range of days, e.g. "2025-11-28" or "2025-11-28..2025-11-30"')
  .refine((s) => (DAY.exec(s)?.slice(1) ?? []).every((d) => d === undefined || dayExists(`${d}T00:00:00Z`)), 'no such day: the month is shorter')
  .refine((s) => {
    const [, from, to] = DAY.exec(s) ?? [];
    return to === undefined || Date.parse(to) >= Date.parse(from);
  }, 'the range ends before it begins');

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
    multiplier: z.number().gt(1).max(MAX_MULTIPLIER).optional(),
    like: reference.optional(),
    warmupMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(0),
  })
  .strict()
  .refine((e) => Date.parse(e.end) > Date.parse(e.start), { message: 'end must be after start', path: ['end'] })
  .refine((e) => e.multiplier !== undefined || e.like !== undefined, {
    message: 'a multiplier (expected demand / usual demand) or a reference period like "2025-11-28" is needed',
    path: ['multiplier'],
  })
  .refine((e) => e.like === undefined || referenceDays(e.like).toDay < dayOf(Date.parse(e.start) - (e.warmupMinutes ?? 0) * 60_000 - RAISE_LEAD_MS), {
    message: 'the reference period must be over before the raise begins (the start less warmupMinutes and 2 hours: the forecast horizon and the hourly rules)',
    path: ['like'],
  })
  .refine((e) => e.like === undefined || dayOf(Date.parse(e.end) - 1) - referenceDays(e.like).fromDay <= MAX_REFERENCE_AGE_DAYS, {
    message: `the reference period must begin at most ${MAX_REFERENCE_AGE_DAYS} days before the event's last day (the daily peaks are kept ${MAX_REFERENCE_AGE_DAYS} days and the 28 before)`,
    path: ['like'],
  });

/** How long before an event's start (less its warm-up) a raise may begin: the forecast's hour and the hourly rules' hour. */
const RAISE_LEAD_MS = 2 * 3_600_000;

function referenceDays(text: string): { fromDay: number; toDay: number } {
  const [, from, to] = DAY.exec(text) ?? [];
  const fromDay = Date.parse(`${from}T00:00:00Z`) / DAY_MS;
  return { fromDay, toDay: to === undefined ? fromDay : Date.parse(`${to}T00:00:00Z`) / DAY_MS };
}

const eventsFileSchema = z.object({ apiVersion: z.literal('foresight.dev/v1'), kind: z.literal('Events'), events: z.array(eventSchema).max(1000) }).strict();

export interface KnownEvent {
  name: string;
  startMs: number;
  endMs: number;
  scope: { namespace?: string; team?: string; workload?: string; labels?: Record<string, string> };
  /** the declared multiplier; with `like`, what stands in where the history lacks the reference */
  multiplier?: number;
  /** the reference period: its UTC days (policy/day-peaks.ts) */
  like?: { fromDay: number; toDay: number; text: string };
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
    ...(e.multiplier !== undefined ? { multiplier: e.multiplier } : {}),
    ...(e.like !== undefined ? { like: { ...referenceDays(e.like), text: e.like } } : {}),
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

/** The events in the workload's scope whose raise window holds the forecast made at `stepEndMs` for the next `horizonMs`. */
export function eventsInWindow(events: readonly KnownEvent[], who: EventTarget, stepEndMs: number, horizonMs: number): KnownEvent[] {
  return events.filter(
    (e) =>
      (e.scope.namespace === undefined || e.scope.namespace === who.namespace) &&
      (e.scope.workload === undefined || e.scope.workload === who.workload) &&
      (e.scope.team === undefined || e.scope.team === who.team) &&
      !(e.scope.labels && Object.entries(e.scope.labels).some(([k, v]) => who.labels?.[k] !== v)) &&
      stepEndMs + horizonMs + e.warmupMs > e.startMs &&
      stepEndMs < e.endMs,
  );
}

/**
 * The events that raise the forecast made at `stepEndMs` for the next `horizonMs`, and their
 * multiplier (1: none; overlapping events: the largest). A `like` event's multiplier is
 * `likeOf(e)`, what its reference period shows for this workload (policy/day-peaks.ts), else its
 * declared `multiplier`, else it raises nothing; a reference that shows no rise raises nothing.
 */
export function eventMultiplier(
  events: readonly KnownEvent[],
  who: EventTarget,
  stepEndMs: number,
  horizonMs: number,
  likeOf?: (e: KnownEvent) => number | undefined,
): KnownEventRaise {
  let multiplier = 1;
  const names: string[] = [];
  const active: NonNullable<KnownEventRaise['active']> = [];
  let fromMs: number | undefined;
  const multiplierOf = (e: KnownEvent): { m?: number; name: string } => {
    const fromLike = e.like ? likeOf?.(e) : undefined;
    return { m: fromLike ?? e.multiplier, name: fromLike !== undefined ? `${e.name}(like-${e.like!.text})` : e.name };
  };
  for (const e of eventsInWindow(events, who, stepEndMs, horizonMs)) {
    const { m, name } = multiplierOf(e);
    if (m === undefined || m <= 1) continue;
    names.push(name);
    multiplier = Math.max(multiplier, m);
    active.push({ multiplier: m, startMs: e.startMs, endMs: e.endMs, name });
    fromMs = Math.min(fromMs ?? Infinity, raiseStart(e, horizonMs));
  }
  if (fromMs === undefined) return { multiplier, events: names };
  // the workload's events of the last two days too: demand they brought is not usual demand (decide-replicas.ts eventDemand)
  // (and the usual CPU need of sizing.ts is read before the earliest of their raises)
  const periods = eventsInWindow(events, who, stepEndMs - RECENT_MS, RECENT_MS + horizonMs).flatMap((e) => {
    const { m } = multiplierOf(e);
    if (m === undefined || m <= 1) return [];
    fromMs = Math.min(fromMs!, raiseStart(e, horizonMs));
    return [{ multiplier: m, startMs: e.startMs, endMs: e.endMs }];
  });
  return { multiplier, events: names, active, periods, fromMs };
}

/** How far back declared events count as having brought demand (the day-ago window and a day more). */
export const RECENT_MS = 2 * 86_400_000;

/** When an event's raise begins for a forecast of `horizonMs`: its horizon and warm-up reach the start. */
export function raiseStart(e: KnownEvent, horizonMs: number): number {
  return e.startMs - horizonMs - e.warmupMs;
}
