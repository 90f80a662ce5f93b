/**
 * Cost windows in Redis, per billing partition (hash tag {<topic>:<partition>}):
 *
 *   <prefix>:{t:p}:cost:<scope>:<yyyymm>          hash: hour index → cost (month to date: the hours before the time asked)
 *   <prefix>:{t:p}:price:<pool>:<unit>:<yyyymm>   hash: "cost", "quantity" → unit price = cost / quantity;
 *                                                  "currency:<ISO 4217>" → rows billed in it;
 *                                                  "cq"/"ccontracted", "oq"/"ocost" → quantity and cost of the
 *                                                  usage a commitment covered / did not
 *   <prefix>:{t:p}:price:<pool>:<unit>:h<yyyymmdd> hash: "c<hour>"/"o<hour>" → that hour's quantity, kept nine days
 *
 * A scope's figures are the sum over the billing topics and their partitions (rows of one
 * scope may sit in several). Reads scan keys: they serve policies, not the hot path. Writes go through applyCosts-n.lua, one call per batch.
 */
import type { Redis } from './redis-client.js';
import { ForesightError } from '../util/errors.js';
import {
  committedUnit,
  dayOf,
  HOURLY_PRICE_DAYS_READ,
  INSTANCE_HOUR,
  monthExpireAt,
  monthOf,
  SPREAD_PREFIX,
  type CostIncrement,
  type PoolPrices,
  type UnitKind,
} from './billing.js';
import { loadScript, ScriptStatus } from './scripts.js';
import { appliedOffsetKey, costHashKey, costHashName, priceHashName, priceHoursHashName, readAppliedOffset, type PartitionRef } from './redis-keys.js';
import type { ApplyOutcome } from './window-store.js';

const HOUR = 3_600_000;
/**
 * An hour's cost field: `<hour>` usage, `s<hour>` a row spread over more than a day (billing.ts
 * costIncrements). Hashes written before month to date was summed also hold a "total", not read.
 */
const HOUR_FIELD = /^s?(\d+)$/;
const hourOf = (field: string): number | undefined => {
  const m = HOUR_FIELD.exec(field);
  return m ? Number(m[1]) : undefined;
};
/** How far back the run rate looks for a scope's newest hour with cost: billing rows arrive hours to days late. */
export const BILLING_LAG_MAX_HOURS = 7 * 24;
const UNIT_PRICE_KEYS = [
  ['cpu-core-hour', 'cpuCoreHour'],
  ['memory-gib-hour', 'memoryGibHour'],
  ['gpu-hour', 'gpuHour'],
] as const;

/**
 * The index of the newest hour with usage, not below `floor` (a monthly fee spread over the month
 * fills every hour up to now and says nothing of how late the usage is billed); without any usage,
 * of the newest hour with any cost. Read both by the budgets' run rate (CostStore.spend) and by
 * spend anomalies (recommend/spend-anomalies.ts spendHistory). Undefined when none is found.
 */
export function newestBilledHour(all: readonly number[], usage: readonly number[] | undefined, floor: number): number | undefined {
  const seen = usage?.some((v) => v !== 0) ? usage : all;
  let newest = all.length - 1;
  while (newest > floor && seen[newest] === 0) newest--;
  return newest >= 0 && seen[newest] !== 0 ? newest : undefined;
}

/** The sum of a month's hour fields (hour index → cost) of the hours that begin before `ms`. */
function sumBefore(fields: Map<string, number>, ms: number): number {
  let sum = 0;
  for (const [f, v] of fields) {
    const h = hourOf(f);
    if (h !== undefined && h * HOUR < ms) sum += v;
  }
  return sum;
}

/** A scope's spend at a time: what budgets project the month's end from. */
export interface Spend {
  /**
   * month to date up to `asOfMs` (0 when not billed): the hours after it are the projection's, so
   * a monthly fee's hours between the newest usage and the time asked are counted once
   */
  monthToDate: number;
  /** cost per hour over the 24 hours ending at the scope's newest hour with cost (0 without one in BILLING_LAG_MAX_HOURS) */
  hourlyRunRate: number;
  /**
   * Where the figures end and the projection of the rest of the month starts: the end of the
   * newest hour with cost (the hours after it are not billed yet, not free), not before the
   * month's start; the time asked when no hour has cost.
   */
  asOfMs: number;
  /** whether a billing row of the scope's month has arrived (else the spend is unknown, not zero) */
  billed: boolean;
}

type RawApply = (numKeys: number, args: (string | number)[]) => Promise<[number, ...unknown[]]>;

export class CostStore {
  private readonly apply: RawApply;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** every billing input topic with its partition count: reads address keys directly, no SCAN */
    private readonly billingTopics: { topic: string; partitions: number }[],
  ) {
    this.apply = loadScript(redis, 'applyCosts-n') as RawApply;
  }

  appliedOffset(p: PartitionRef): Promise<bigint> {
    return readAppliedOffset(this.redis, this.prefix, p);
  }

  async applyBatch(p: PartitionRef, expected: bigint, newOffset: string, increments: CostIncrement[]): Promise<ApplyOutcome> {
    const keys: string[] = [appliedOffsetKey(this.prefix, p)];
    const index = new Map<string, number>();
    const expireAt: number[] = [];
    const triples: (string | number)[] = [];
    for (const inc of increments) {
      const key = costHashKey(this.prefix, p, inc.hash);
      let i = index.get(key);
      if (i === undefined) {
        keys.push(key);
        i = keys.length;
        index.set(key, i);
        expireAt.push(inc.expireAtMs ?? monthExpireAt(inc.month));
      }
      triples.push(i, inc.field, String(inc.delta));
    }
    const args: (string | number)[] = keys.slice();
    args.push(expected.toString(), newOffset);
    for (const e of expireAt) args.push(e);
    for (const t of triples) args.push(t);
    const res = await this.apply(keys.length, args);
    if (res[0] === ScriptStatus.APPLIED) return { status: 'applied', merged: Number(res[1]), created: 0, roundTrips: 1 };
    if (res[0] === ScriptStatus.STALE) return { status: 'stale', storedOffset: BigInt(String(res[1])) };
    throw new ForesightError(
      'REDIS_SCRIPT_FAILED',
      `applyCosts-n.lua returned ${JSON.stringify(res)}${res[0] === ScriptStatus.MALFORMED ? ' (MALFORMED: the packed argument did not parse)' : ''}`,
    );
  }

  /**
   * Where billing stands: the applied offset of every billing partition, in one round trip. Every
   * write of cost or price hashes moves one of them (applyCosts-n.lua sets it in the same call), so
   * figures read under one stamp still hold while the stamp reads the same (Money's price memo).
   */
  async stamp(): Promise<string> {
    if (this.billingTopics.length === 0) return '';
    const pipeline = this.redis.pipeline();
    for (const { topic, partitions } of this.billingTopics)
      for (let p = 0; p < partitions; p++) pipeline.get(appliedOffsetKey(this.prefix, { topic, partition: p }));
    const parts: string[] = [];
    for (const [err, v] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      parts.push((v as string | null) ?? '-');
    }
    return parts.join(',');
  }

  private async sumOver(suffix: string): Promise<Map<string, number>> {
    const pipeline = this.redis.pipeline();
    for (const { topic, partitions } of this.billingTopics) {
      for (let p = 0; p < partitions; p++) pipeline.hgetall(costHashKey(this.prefix, { topic, partition: p }, suffix));
    }
    const out = new Map<string, number>();
    for (const [err, h] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      for (const [f, v] of Object.entries(h as Record<string, string>)) out.set(f, (out.get(f) ?? 0) + Number(v));
    }
    return out;
  }

  /** Month-to-date cost of a scope ("ns:<cluster>/<ns>", "workload:<cluster>/<ns>/<kind>/<name>", "team:<t>"). */
  async monthToDate(scope: string, atMs = Date.now()): Promise<number> {
    return (await this.billedMonthToDate(scope, atMs)) ?? 0;
  }

  /**
   * Month-to-date cost of a scope: its hours of the month of `atMs` that begin before `atMs`
   * (a row spread over later hours, a monthly fee, counts only its hours so far), or undefined
   * when no billing row of the scope has arrived for that month (unknown, not zero).
   */
  async billedMonthToDate(scope: string, atMs = Date.now()): Promise<number | undefined> {
    const fields = await this.sumOver(costHashName(scope, monthOf(atMs)));
    return fields.size === 0 ? undefined : sumBefore(fields, atMs);
  }

  /**
   * A scope's spend at `atMs`: the run rate of the last 24 billed hours up to the newest hour with
   * cost (billing delay does not read as a drop to zero), as spend anomalies read their history
   * (recommend/spend-anomalies.ts spendHistory), and month to date up to the end of that hour, where
   * the projection takes over: each hour is counted once.
   */
  async spend(scope: string, atMs: number): Promise<Spend> {
    const month = await this.sumOver(costHashName(scope, monthOf(atMs)));
    const fromHour = Math.floor(atMs / HOUR) - BILLING_LAG_MAX_HOURS - 24;
    const { all: hours, usage } = await this.hourlyParts(scope, fromHour * HOUR, atMs);
    const newest = newestBilledHour(hours, usage, 24);
    const d = new Date(atMs);
    const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const lastDay = newest !== undefined ? hours.slice(newest - 23, newest + 1) : [];
    // the end of the newest billed hour, also when the time asked falls inside it (that hour's cost is counted whole,
    // so the run rate starts after it); within the month of the time asked
    const asOfMs = newest !== undefined ? Math.max(monthStart, Math.min(monthEnd - 1, (fromHour + newest + 1) * HOUR)) : atMs;
    return {
      // up to where the figures end, not the time asked: a fee's hours after the newest usage are the run rate's to count
      monthToDate: sumBefore(month, asOfMs),
      hourlyRunRate: lastDay.reduce((a, x) => a + x, 0) / 24,
      asOfMs,
      billed: month.size > 0,
    };
  }

  /** Hourly cost of a scope for the hours [fromMs, toMs), oldest first (0 for hours without cost). */
  async hourly(scope: string, fromMs: number, toMs: number): Promise<number[]> {
    return (await this.hourlyParts(scope, fromMs, toMs)).all;
  }

  /**
   * Hourly cost of a scope for the hours [fromMs, toMs), oldest first: `all` of it, and `usage`
   * (without the rows spread over more than a day, which fill every hour up to now: the newest
   * hour of usage is how far billing has arrived).
   */
  async hourlyParts(scope: string, fromMs: number, toMs: number): Promise<{ all: number[]; usage: number[] }> {
    const from = Math.floor(fromMs / HOUR);
    const to = Math.ceil(toMs / HOUR);
    const months = new Set<string>();
    for (let h = from; h < to; h++) months.add(monthOf(h * HOUR));
    const all = new Array<number>(to - from).fill(0);
    const usage = new Array<number>(to - from).fill(0);
    for (const m of months) {
      for (const [f, v] of await this.sumOver(costHashName(scope, m))) {
        const h = hourOf(f);
        if (h === undefined || h < from || h >= to) continue;
        all[h - from] += v;
        if (!f.startsWith(SPREAD_PREFIX)) usage[h - from] += v;
      }
    }
    return { all, usage };
  }

  /** Unit price (cost per unit) of a node pool or resource (poolPrices), or undefined without one. */
  async unitPrice(pool: string, unit: UnitKind, atMs = Date.now()): Promise<number | undefined> {
    return (await this.poolPrices(pool, atMs))[UNIT_PRICE_KEYS.find(([u]) => u === unit)![1]];
  }

  /**
   * A pool's unit prices (CPU core-hour, GiB-hour, GPU-hour), each from the month of `atMs`, else
   * from the month before (early in a month its rows may not have arrived yet, a unit at a time),
   * with the rows' currency. Rows of one pool in several currencies cannot be added up: its prices
   * are then unknown and `currencies` names them. Where commitments cover part of a unit's usage, its
   * figures at the margin (`committed`) from that month and the hours billed on the day of `atMs`
   * and the days before (HOURLY_PRICE_DAYS_READ; so a memo of them per pool and day holds: money.ts prices).
   */
  async poolPrices(pool: string, atMs = Date.now()): Promise<PoolPrices> {
    const d = new Date(atMs);
    const [current, previous] = [monthOf(atMs), monthOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - 1)];
    const out: PoolPrices = { pool };
    const currencies = new Set<string>();
    const used = new Set<string>();
    // the hourly quantities of the day asked and the days before it (committedUnit), read where a month has covered usage
    const days = Array.from({ length: HOURLY_PRICE_DAYS_READ }, (_, i) => dayOf(atMs - i * 24 * HOUR));
    for (const [unit, key] of UNIT_PRICE_KEYS) {
      for (const month of [current, previous]) {
        const h = await this.sumOver(priceHashName(pool, unit, month));
        const q = h.get('quantity') ?? 0;
        const cost = h.get('cost') ?? 0;
        // credits larger than the month's usage cost (windows/billing.ts) give no price, not a negative one
        if (!(q > 0) || cost < 0) continue;
        out[key] = cost / q;
        // where commitments cover part of the usage: the price at the margin (money/cost-model.ts changeCost)
        if ((h.get('cq') ?? 0) > 0 || (h.get('uq') ?? 0) > 0) {
          const hourly = await Promise.all(days.map((day) => this.sumOver(priceHoursHashName(pool, unit, day))));
          const committed = committedUnit(h, hourly);
          if (committed) (out.committed ??= {})[key] = committed;
        }
        for (const f of h.keys()) if (f.startsWith('currency:')) currencies.add(f.slice('currency:'.length));
        used.add(month);
        break;
      }
    }
    const month = used.has(previous) && !used.has(current) ? previous : current;
    const period = `${month.slice(0, 4)}-${month.slice(4)}`;
    if (used.size === 0) {
      // no unit price: say whether the pool is billed per instance-hour (windows/billing.ts billsInstanceHours)
      for (const m of [current, previous]) if (((await this.sumOver(priceHashName(pool, INSTANCE_HOUR, m))).get('rows') ?? 0) > 0) out.perInstanceHour = true;
    }
    if (currencies.size > 1) return { pool, period, currencies: [...currencies].sort() };
    return { ...out, period, ...(currencies.size === 1 ? { currency: [...currencies][0] } : {}) };
  }
}
