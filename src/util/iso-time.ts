/**
 * The one home for reading ISO 8601 / RFC 3339 date-times from input (billing rows, adapter
 * samples, the events file, CSV traces). Date.parse alone is not enough: it reads a day past
 * its month's end as one of the next month's (2026-11-31 as December 1st, 2026-02-29 as March
 * 1st), and what it makes of a string that is not ISO 8601 is implementation-defined
 * (ECMA-262 §21.4.3.2, Date.parse: "Unrecognizable Strings or dates containing illegal element
 * values in the format String shall cause Date.parse to return NaN" holds only for the ISO
 * format).
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/** Why the leading YYYY-MM-DD is no day of the calendar ("November 2026 has 30 days"), or undefined when it is one or the text does not start with a date. */
export function impossibleDay(text: string): string | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [y, month, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return `there is no month ${m[2]}`;
  const days = new Date(Date.UTC(y, month, 0)).getUTCDate();
  return d >= 1 && d <= days ? undefined : `${MONTHS[month - 1]} ${y} has ${days} days`;
}

/** Is the leading YYYY-MM-DD a day of the calendar? */
export function dayExists(text: string): boolean {
  return impossibleDay(text) === undefined;
}

/** A date-time without a zone: "2026-11-29T21:40", "2026-11-29 21:40:05.5". */
const ZONELESS = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * The instant of an ISO 8601 date-time in milliseconds, or why it is none, worded to follow
 * "… is": not starting with YYYY-MM-DD, not parseable, or a day its month does not have. A
 * date-time without a zone is UTC (FOCUS's times are UTC; Date.parse would read it in the
 * machine's zone). Other notations Date.parse knows ("Sun, 01 Nov 2026 00:00:00 GMT") are
 * refused on purpose: the formats read here are ISO 8601 / RFC 3339 by their specifications, and
 * what Date.parse makes of anything else depends on the engine.
 */
export function parseIsoTime(text: string): number | { problem: string } {
  const notIso = { problem: 'not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ)' };
  if (!ISO_DATE.test(text)) return notIso;
  const noDay = impossibleDay(text);
  if (noDay !== undefined) return { problem: `no day of the calendar (${noDay})` };
  const ms = Date.parse(ZONELESS.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isNaN(ms) ? notIso : ms;
}
