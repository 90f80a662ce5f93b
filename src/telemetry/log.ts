/**
 * Structured JSON logs (pino) on stderr, so that stdout stays free for command output
 * (benchmarks print their JSON figures there).
 *
 * No secret reaches a log line: every line passes through `scrub` (pino's `streamWrite` hook,
 * the last step before the stream), which replaces each known secret value wherever it is — a
 * field, an error message, a response body that echoes a token — by `[REDACTED]`. Known secrets:
 * the values of FORESIGHT_* variables named *_TOKEN, *_PASSWORD, *_SECRET; passwords in URLs
 * of any FORESIGHT_* variable (FORESIGHT_GITOPS_REMOTE, FORESIGHT_REDIS_URL, …); the contents of
 * files named by FORESIGHT_*_{PASSWORD,TOKEN,SECRET,KEY}_FILE; and whatever code registers with
 * `addSecret` (secrets read elsewhere). Values shorter than 4 characters are not scrubbed: they
 * cannot be told apart from ordinary text.
 */
import { readFileSync, statSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const MIN_SECRET = 4;
const REDACTED = '[REDACTED]';
const secrets = new Set<string>();
/** longest first, so that a secret containing another is replaced whole */
let ordered: string[] = [];

/** Registers a secret value: from now on it is replaced in every log line and scrubbed error. */
export function addSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET) return;
  // as it is, as it appears inside a JSON string, and URL-encoded (in a logged URL)
  for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
    if (form.length >= MIN_SECRET) secrets.add(form);
    if (form.includes('\n')) for (const line of form.split('\n')) if (line.trim().length >= 16) secrets.add(line.trim());
  }
  ordered = [...secrets].sort((a, b) => b.length - a.length);
}

/** `text` with every known secret replaced. */
export function scrub(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.replaceAll(s, REDACTED);
  return out;
}

/** The secrets that configuration variables carry (see the header). */
export function addSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('FORESIGHT_') || !v) continue;
    if (/_(TOKEN|PASSWORD|SECRET)$/.test(k)) addSecret(v);
    if (/_(PASSWORD|TOKEN|SECRET|KEY)_FILE$/.test(k)) addSecret(readSmallFile(v)?.trim());
    for (const m of v.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^/\s@]+)@/gi)) {
      addSecret(m[1]);
      addSecret(safeDecode(m[1]));
    }
  }
}

function readSmallFile(p: string): string | undefined {
  try {
    return statSync(p).size <= 64 * 1024 ? readFileSync(p, 'utf8') : undefined;
  } catch {
    return undefined; // the configuration reports a missing file; the log does not
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createLogger(service: string, level = process.env.FORESIGHT_LOG_LEVEL ?? 'info', destination: DestinationStream = pino.destination(2)): Logger {
  addSecretsFromEnv();
  return pino({ name: service, level, base: { service }, hooks: { streamWrite: scrub } }, destination);
}
