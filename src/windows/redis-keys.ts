/**
 * Every Redis key Foresight writes, named in one place. All start with the configured prefix
 * (FORESIGHT_REDIS_KEY_PREFIX) and carry a hash tag {…}, so each script call and each
 * multi-key read touches one Redis Cluster slot.
 *
 * Per source partition (tag {<topic>:<partition>}; window-store.ts, cost-store.ts, state-marks.ts):
 *   <prefix>:{t:p}:applied                      string  last applied offset (both stores check it)
 *   <prefix>:{t:p}:series                       zset    seriesId → watermark (newest event ms)
 *   <prefix>:{t:p}:w2:<seriesId>:<m|f|h|q>:<chunk> hash bucket offset in chunk → packed bucket (w2: the v2
 *                                               bucket form; v1 keys under :w: are never read and expire)
 *   <prefix>:{t:p}:cost:<scope>:<yyyymm>        hash    hour index → cost (cost-store.ts)
 *   <prefix>:{t:p}:price:<pool>:<unit>:<yyyymm> hash    "cost", "quantity", "currency:<ISO 4217>"; "cq"/"ccontracted" and
 *                                               "oq"/"ocost": usage a commitment covered / did not (cost-store.ts)
 *   <prefix>:{t:p}:price:<pool>:<unit>:h<yyyymmdd> hash "c<hour>"/"o<hour>": that hour's covered / other quantity,
 *                                               kept nine days (windows/billing.ts committedUnit)
 *   <prefix>:{t:p}:rebuild | :incomplete        the lost-state marks (state-marks.ts)
 * Per workload (tag {<workload>}; recommend/). metrics.v1 is keyed by series, so a workload's series are
 * scored on different partitions (at once in one processor, or in two): each field below has ONE writing
 * series, and the batch state (batch-state.ts) writes back only the fields it changed, never DEL.
 *   <prefix>:rec:{<workload>}                   hash    decision engine state and last HPA proposal; written by
 *                                               the replicas demand series only (its HPA steps, its outcomes' recalibration)
 *   <prefix>:rec:{<workload>}:<proposal>:<container|->  hash  last proposal of an hourly or model-server type
 *                                               (recommend/publish-once.ts lists the one series deciding each)
 *   <prefix>:rec:{<workload>}:decider:model-server  string  the model server's deciding demand series, when
 *                                               several carry its demand metric (lua/claimDecider-1.lua)
 *   <prefix>:rec:{<workload>}:days              string  daily peaks of the replicas demand series, a ring of 400 days × 3 bytes
 *                                               (policy/day-peaks.ts; recommend/day-peaks-store.ts): known events `like` a past day
 *   <prefix>:rec:{<workload>}:outcome           hash    the changes awaiting their outcome and online forecast quality
 *                                               (outcomes/tracker.ts): pending:<track>, inForce:<track> by the track's
 *                                               series; quality, calm by the replicas demand series
 *                                               (pinned by test/unit/outcomes/tracks.test.ts)
 * Per series and per budget scope:
 *   <prefix>:alert:{<seriesId>}                 string  event time until which alerts are suppressed (one series: one partition)
 *   <prefix>:spend:{<scope>}                    hash    spend anomalies: last scored hour, end of suppression; every
 *                                               workload of the scope checks it: claimed atomically (lua/claimSpendHour-1.lua)
 *   <prefix>:budget:{<scope>}:<period>          string  the BUDGET recommendation of the period (once: SET NX)
 * Global:
 *   <prefix>:outcomes                           hash    recommendation id → ChangeOutcome JSON (outcomes/store.ts)
 * The one-shot commands (history export, report) find partitions by SCAN with the patterns below.
 */
import type { Redis } from './redis-client.js';

export interface PartitionRef {
  topic: string;
  partition: number;
}

export function partitionTag(prefix: string, p: PartitionRef): string {
  return `${prefix}:{${p.topic}:${p.partition}}`;
}

export function appliedOffsetKey(prefix: string, p: PartitionRef): string {
  return `${partitionTag(prefix, p)}:applied`;
}

/** The last offset of the partition applied to Redis, or -1. */
export async function readAppliedOffset(redis: Redis, prefix: string, p: PartitionRef): Promise<bigint> {
  const v = await redis.get(appliedOffsetKey(prefix, p));
  return v === null ? -1n : BigInt(v);
}

export function seriesZsetKey(prefix: string, p: PartitionRef): string {
  return `${partitionTag(prefix, p)}:series`;
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** SCAN pattern of every partition's series zset under `prefix`. */
export function seriesZsetPattern(prefix: string): string {
  return `${globEscape(prefix)}:{*}:series`;
}

/** The partition of a key that seriesZsetPattern found, or undefined when it is another prefix's. */
export function parseSeriesZsetKey(prefix: string, key: string): PartitionRef | undefined {
  const k = parseAnySeriesZsetKey(key);
  return k && k.prefix === prefix ? k.ref : undefined;
}

/** The prefix and partition of any prefix's series zset key (seriesZsetPattern('*')). */
export function parseAnySeriesZsetKey(key: string): { prefix: string; ref: PartitionRef } | undefined {
  const m = /^(.*):\{(.+):(\d+)\}:series$/.exec(key);
  return m ? { prefix: m[1], ref: { topic: m[2], partition: Number(m[3]) } } : undefined;
}

export function windowChunkKey(prefix: string, p: PartitionRef, seriesId: string, resolutionTag: string, chunk: number): string {
  return `${partitionTag(prefix, p)}:w2:${seriesId}:${resolutionTag}:${chunk}`;
}

export function costHashKey(prefix: string, p: PartitionRef, hash: string): string {
  return `${partitionTag(prefix, p)}:${hash}`;
}

/** The name of a scope's cost hash of a month (`<yyyymm>`), for costHashKey. */
export function costHashName(scope: string, month: string): string {
  return `cost:${scope}:${month}`;
}

/** The name of a pool's unit price hash of a month (`<yyyymm>`), for costHashKey. */
export function priceHashName(pool: string, unit: string, month: string): string {
  return `price:${pool}:${unit}:${month}`;
}

/** The name of a pool's hourly quantities of a unit on a day (`<yyyymmdd>`), for costHashKey (windows/billing.ts committedUnit). */
export function priceHoursHashName(pool: string, unit: string, day: string): string {
  return `price:${pool}:${unit}:h${day}`;
}

/** SCAN pattern of every partition's cost and price hashes of a month under `prefix`. */
export function monthCostHashPattern(prefix: string, month: string): string {
  return `${globEscape(prefix)}:{*}:*:${month}`;
}

/** A key that monthCostHashPattern found: its partition, kind and name (the scope, or `<pool>:<unit>`); undefined when it is another prefix's. */
export function parseCostHashKey(prefix: string, key: string): { ref: PartitionRef; kind: 'cost' | 'price'; name: string } | undefined {
  const m = /^(.*):\{(.+):(\d+)\}:(cost|price):(.+):(\d{6})$/.exec(key);
  return m && m[1] === prefix ? { ref: { topic: m[2], partition: Number(m[3]) }, kind: m[4] as 'cost' | 'price', name: m[5] } : undefined;
}

export function rebuildKey(prefix: string, p: PartitionRef): string {
  return `${partitionTag(prefix, p)}:rebuild`;
}

export function incompleteKey(prefix: string, p: PartitionRef): string {
  return `${partitionTag(prefix, p)}:incomplete`;
}

export function workloadStateKey(prefix: string, workload: string): string {
  return `${prefix}:rec:{${workload}}`;
}

export function proposalKey(prefix: string, workload: string, type: string, container: string | null): string {
  return `${workloadStateKey(prefix, workload)}:${type}:${container ?? '-'}`;
}

/** The series holding a role of the workload (decider-claim.ts): `model-server` decides a model server's HPA, SPOT and GPU sharing. */
export function deciderKey(prefix: string, workload: string, role: string): string {
  return `${workloadStateKey(prefix, workload)}:decider:${role}`;
}

/** The workload's daily peaks (policy/day-peaks.ts: a ring of DAYS_KEPT days), written by its replicas demand series. */
export function dayPeaksKey(prefix: string, workload: string): string {
  return `${workloadStateKey(prefix, workload)}:days`;
}

export function outcomeTrackKey(prefix: string, workload: string): string {
  return `${workloadStateKey(prefix, workload)}:outcome`;
}

export function alertSuppressionKey(prefix: string, seriesId: string): string {
  return `${prefix}:alert:{${seriesId}}`;
}

/** Spend anomalies of a cost scope: hash of the last scored hour and the end of its alert suppression. */
export function spendAnomalyKey(prefix: string, scope: string): string {
  return `${prefix}:spend:{${scope}}`;
}

export function budgetReportKey(prefix: string, scope: string, period: string): string {
  return `${prefix}:budget:{${scope}}:${period}`;
}

export function outcomesKey(prefix: string): string {
  return `${prefix}:outcomes`;
}
