/**
 * Lua scripts, one per file in src/windows/lua/<verbNoun>-<numKeys>.lua ("n" when the number
 * of keys varies), each opening with its contract (KEYS, ARGV, returns). Shared functions live
 * in lua/includes/ and are pulled in by a `--@include <name>` line. Each script is registered
 * once per connection with ioredis's defineCommand (EVALSHA, falling back to EVAL) and called
 * only through typed wrappers (window-store.ts, cost-store.ts, spend-claim.ts, decider-claim.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from './redis-client.js';
import { PROJECT_ROOT } from '../util/paths.js';

export const LUA_DIR = path.join(PROJECT_ROOT, 'src', 'windows', 'lua');

export function scriptSource(name: string): string {
  const src = readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8');
  return src.replace(/^--@include (\w+)\s*$/gm, (_, inc: string) => readFileSync(path.join(LUA_DIR, 'includes', `${inc}.lua`), 'utf8'));
}

/** Defines the script on the connection (once) and returns its raw caller. */
export function loadScript(redis: Redis, name: string): (...args: unknown[]) => Promise<unknown> {
  const command = name.replace(/-(\d+|n)$/, '').replace(/[^a-zA-Z0-9]/g, '');
  const numKeys = /-(\d+)$/.exec(name)?.[1];
  const r = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  if (!r[command]) {
    redis.defineCommand(command, { lua: scriptSource(name), ...(numKeys ? { numberOfKeys: Number(numKeys) } : {}) });
  }
  return (...args: unknown[]) => r[command](...args);
}

/**
 * The status codes the apply scripts return first (their headers list them): the one place
 * TypeScript names them. Negative codes are failures, as in BullMQ's scripts.
 */
export const ScriptStatus = {
  /** the batch was applied; the offset moved */
  APPLIED: 1,
  /** the packed argument does not parse (a bug on the Node side, never retried) */
  MALFORMED: -1,
  /** the stored applied offset is not the expected one: another writer, or a redelivery */
  STALE: -3,
} as const;
