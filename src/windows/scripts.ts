/**
 * Lua scripts, one per file in src/windows/lua/<verbNoun>-<numKeys>.lua, each registered once
 * with ioredis's defineCommand (EVALSHA, falling back to EVAL) and called only through the
 * typed wrappers below. Negative return codes map to typed errors.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { ForesightError } from '../util/errors.js';
import { PROJECT_ROOT } from '../util/paths.js';

const LUA_DIR = path.join(PROJECT_ROOT, 'src', 'windows', 'lua');

export enum ScriptError {
  BadEvents = -1,
  BadOffset = -2,
}

type RawApplyTotals = (k1: string, k2: string, events: string, lastOffset: string) => Promise<[number, number, string] | number>;

interface ScriptedRedis {
  applyTotals?: RawApplyTotals;
}

const scripted = (redis: Redis): ScriptedRedis => redis as unknown as ScriptedRedis;

export function defineScripts(redis: Redis): void {
  if (scripted(redis).applyTotals) return;
  redis.defineCommand('applyTotals', { numberOfKeys: 2, lua: readFileSync(path.join(LUA_DIR, 'applyTotals-2.lua'), 'utf8') });
}

export interface TotalsEvent {
  offset: string;
  seriesId: string;
  value: number;
}

export interface ApplyResult {
  applied: number;
  skipped: number;
  appliedOffset: bigint;
}

export async function applyTotals(redis: Redis, keys: { applied: string; totals: string }, events: TotalsEvent[], lastOffset: string): Promise<ApplyResult> {
  const packed = JSON.stringify(events.map((e) => [Number(e.offset), e.seriesId, e.value]));
  const res = await scripted(redis).applyTotals!(keys.applied, keys.totals, packed, lastOffset);
  if (typeof res === 'number') {
    throw new ForesightError('REDIS_SCRIPT_FAILED', `applyTotals-2.lua failed with ${ScriptError[res] ?? res}`);
  }
  return { applied: Number(res[0]), skipped: Number(res[1]), appliedOffset: BigInt(res[2]) };
}
