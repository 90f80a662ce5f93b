/**
 * Reading configuration from the environment: each variable is declared once, with a zod
 * schema, a default and a description (the README's configuration table and the
 * docker-compose test read the same declarations). Validation happens once, at start-up,
 * and an error names the variable and what it expects.
 */
import { z } from 'zod';
import { ConfigError } from '../util/errors.js';

export interface EnvVar<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  readonly defaultValue: string | undefined;
  readonly description: string;
  /** What a valid value looks like, for error messages. */
  readonly expects: string;
  /** A password or key: an error never shows its value. */
  readonly secret?: boolean;
}

export function envVar<T>(name: string, schema: z.ZodType<T>, defaultValue: string | undefined, expects: string, description: string): EnvVar<T> {
  return { name, schema, defaultValue, expects, description };
}

/** A variable holding a secret: its value is never shown in an error (nor anywhere else). */
export function secretVar(name: string, expects: string, description: string): EnvVar<string | undefined> {
  return { name, schema: z.string().min(1).optional(), defaultValue: undefined, expects, description, secret: true };
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Parses one variable; an empty string counts as unset. */
export function readVar<T>(v: EnvVar<T>, env: Env): T {
  const raw = env[v.name];
  const value = raw === undefined || raw === '' ? v.defaultValue : raw;
  const result = v.schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const shown = value === undefined ? 'it is not set' : v.secret ? `got a value of ${value.length} characters` : `got ${JSON.stringify(value)}`;
    throw new ConfigError(v.name, `expected ${v.expects}; ${shown}${issue?.message ? ` (${issue.message})` : ''}`);
  }
  return result.data;
}

// ---- reusable value schemas -------------------------------------------------------------

export const port = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().positive();
export const nonEmpty = z.string().trim().min(1);
export const topicName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'letters, digits, ".", "_" and "-" only');
export const url = z.string().url();
export const hostPortList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  )
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port')).min(1));
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
