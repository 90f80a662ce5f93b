/**
 * The recommendation loop's per-workload state for one scored batch: read once for every key
 * the batch needs (one pipelined round trip), changed in memory as the batch's steps are
 * decided in event-time order, written back once (one pipelined round trip) after the batch's
 * recommendations are on the topic. Hashes of strings, each with a 60-day expiry.
 *
 * The write-back sends only what changed against what Redis holds (the fields as read, then as
 * written): HSET of the changed fields, HDEL of those that went (Redis removes a hash whose last
 * field goes). The expiry is set when a key is created and otherwise refreshed at most once per
 * EXPIRY_REFRESH_MS per key (an ExpiryMemo the loop keeps across batches): a hash expires
 * between 59 and 60 days after its last write, instead of a full PEXPIRE per key and step.
 *
 * Several partitions write one hash (a workload's series land on different partitions, handled
 * by one processor at once or by several processors: redis-keys.ts says who writes which field):
 * each field has one writing series, so sending only the fields changed keeps every writer's
 * changes. Hence never DEL a hash that looks empty here (it would drop fields another partition
 * added since the read); and a hash that another partition emptied in between is created again
 * by this HSET: a write that only adds fields to an existing hash also sends PEXPIRE (not its NX form: Redis 7 only), so
 * the hash does not live forever (a write that changes a field it held needs none: no other
 * series removes that field; that is the common case, a step's decision, and costs nothing more).
 */
import type { Redis } from './redis-client.js';
import type { ReplicaState } from '../policy/decide-replicas.js';

export const STATE_TTL_MS = 60 * 24 * 3_600_000;
/** How often an existing key's expiry is set again (wall clock), at most. */
export const EXPIRY_REFRESH_MS = 24 * 3_600_000;
/** Keys remembered by an ExpiryMemo; past that it starts over (each key's next write sets its expiry). */
export const MAX_EXPIRY_KEYS = 500_000;

/** When this process last set each state key's expiry (wall clock), across batches. */
export class ExpiryMemo {
  private readonly at = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Does a key that exists need its expiry set again? */
  due(key: string): boolean {
    const t = this.at.get(key);
    return t === undefined || this.now() - t >= EXPIRY_REFRESH_MS;
  }

  /** The key's expiry was set now. */
  set(key: string): void {
    if (this.at.size >= MAX_EXPIRY_KEYS && !this.at.has(key)) this.at.clear();
    this.at.set(key, this.now());
  }

  forget(key: string): void {
    this.at.delete(key);
  }
}

export class BatchState {
  private readonly values = new Map<string, Record<string, string>>();
  private readonly dirty = new Set<string>();
  /** each key's fields and values as Redis holds them (as read, then as written): a write sends only what changed */
  private readonly stored = new Map<string, Record<string, string>>();
  /** string keys written in place at flush (SETRANGE), each with its expiry */
  private readonly ranges: { key: string; offset: number; bytes: Buffer; ttlMs: number }[] = [];

  constructor(
    private readonly redis: Redis,
    /** the loop's memo of expiries set (none: every write sets the expiry) */
    private readonly expiries?: ExpiryMemo,
  ) {}

  /** Reads the keys not read yet, in one round trip. */
  async load(keys: Iterable<string>): Promise<void> {
    const missing = new Set<string>();
    for (const k of keys) if (!this.values.has(k)) missing.add(k);
    if (missing.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const k of missing) pipeline.hgetall(k);
    const replies = (await pipeline.exec()) ?? [];
    let i = 0;
    for (const k of missing) {
      const [err, v] = replies[i++] ?? [];
      if (err) throw err;
      const read = (v as Record<string, string> | null) ?? {};
      this.stored.set(k, read);
      this.values.set(k, { ...read });
    }
  }

  get(key: string): Record<string, string> {
    const v = this.values.get(key);
    if (!v) throw new Error(`state ${key} was not loaded`);
    return v;
  }

  set(key: string, fields: Record<string, string>): void {
    Object.assign(this.get(key), fields);
    this.dirty.add(key);
  }

  /** Replaces the whole hash (not written when it holds the same fields and values). */
  replace(key: string, fields: Record<string, string>): void {
    const was = this.get(key);
    let n = 0;
    let same = true;
    for (const f in fields) {
      n++;
      if (was[f] !== fields[f]) {
        same = false;
        break;
      }
    }
    if (same && n === Object.keys(was).length) return;
    this.values.set(key, fields);
    this.dirty.add(key);
  }

  delete(key: string, field: string): void {
    const v = this.get(key);
    if (field in v) {
      delete v[field];
      this.dirty.add(key);
    }
  }

  /** Writes `bytes` at `offset` of the string `key` with the flush (SETRANGE), and its expiry of `ttlMs` when due (a key written by one series: recommend/day-peaks-store.ts). */
  setRange(key: string, offset: number, bytes: Buffer, ttlMs: number): void {
    this.ranges.push({ key, offset, bytes, ttlMs });
  }

  /** Writes the changed hashes back in one round trip (the changed fields, the fields that went, the expiry when due), and the ranges. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0 && this.ranges.length === 0) return;
    const pipeline = this.redis.pipeline();
    let commands = 0;
    const expiring: string[] = [];
    for (const r of this.ranges) {
      pipeline.setrange(r.key, r.offset, r.bytes);
      commands++;
      if (!expiring.includes(r.key) && (!this.expiries || this.expiries.due(r.key))) {
        pipeline.pexpire(r.key, r.ttlMs);
        commands++;
        expiring.push(r.key);
      }
    }
    this.ranges.length = 0;
    const written: [string, Record<string, string>][] = [];
    for (const k of this.dirty) {
      const v = this.values.get(k)!;
      const was = this.stored.get(k)!;
      const changed: string[] = [];
      let fields = 0;
      let added = 0;
      for (const f in v) {
        fields++;
        if (was[f] !== v[f]) {
          changed.push(f, v[f]);
          if (was[f] === undefined) added++;
        }
      }
      let wasFields = 0;
      const gone: string[] = [];
      for (const f in was) {
        wasFields++;
        if (!(f in v)) gone.push(f);
      }
      // HDEL, not DEL, even of the last field: another partition may have added fields since the read
      if (gone.length > 0) {
        pipeline.hdel(k, ...gone);
        commands++;
      }
      if (fields === 0) this.expiries?.forget(k);
      else {
        if (changed.length > 0) {
          pipeline.hset(k, ...changed);
          commands++;
        }
        // a key created now gets its expiry; an existing one when the memo says it is due
        if (wasFields === 0 || !this.expiries || this.expiries.due(k)) {
          pipeline.pexpire(k, STATE_TTL_MS);
          commands++;
          expiring.push(k);
        } else if (changed.length > 0) {
          // a write that only adds fields may create the hash again (another partition emptied it since
          // the read): it sets the expiry (a plain PEXPIRE: its NX form needs Redis 7). One that changes
          // a field this series wrote cannot: only this series removes that field, so the hash still holds it.
          if (added === changed.length / 2) {
            pipeline.pexpire(k, STATE_TTL_MS);
            commands++;
            expiring.push(k);
          }
        }
      }
      written.push([k, { ...v }]);
    }
    if (commands > 0) for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    for (const [k, v] of written) this.stored.set(k, v);
    for (const k of expiring) this.expiries?.set(k);
    this.dirty.clear();
  }
}

/**
 * The decision engine's per-workload state as the hash `<prefix>:rec:{<workload>}`:
 * minReplicas, maxReplicas, atMs (the last published proposal and its event time), id (its
 * recommendation id), decidedAt (the end of the last step decided), cutSince and maxCutSince (the
 * stabilisation windows' starts of minReplicas and maxReplicas), logScale (the adaptive
 * calibration's log multiplier), bases (JSON: the other candidate bases' multipliers,
 * last capacities and trailing costs, and the candidate in use: policy/base-selection.ts), tighten and tightenedBy (the tightening a regressed outcome
 * left, and that outcome's recommendation id), recalibration (JSON: the forecaster's per-series log
 * multipliers and the forecasts awaiting their check).
 */
export function replicaStateOf(fields: Record<string, string>): ReplicaState {
  const num = (k: string): number | undefined => (fields[k] === undefined ? undefined : Number(fields[k]));
  return {
    level: num('minReplicas'),
    maxReplicas: num('maxReplicas'),
    atMs: num('atMs'),
    decidedAtMs: num('decidedAt'),
    cutSince: num('cutSince'),
    maxCutSince: num('maxCutSince'),
    logScale: num('logScale') ?? 0,
    bases: fields.bases ? (JSON.parse(fields.bases) as ReplicaState['bases']) : undefined,
    tighten: num('tighten'),
    tightenedBy: fields.tightenedBy,
    recalibration: fields.recalibration ? (JSON.parse(fields.recalibration) as ReplicaState['recalibration']) : { logMult: [0, 0, 0], pending: [] },
  };
}

export function replicaStateFields(s: ReplicaState, id: string | undefined): Record<string, string> {
  const out: Record<string, string> = { logScale: String(s.logScale), recalibration: JSON.stringify(s.recalibration) };
  if (s.bases !== undefined) out.bases = JSON.stringify(s.bases);
  if (s.level !== undefined) out.minReplicas = String(s.level);
  if (s.maxReplicas !== undefined) out.maxReplicas = String(s.maxReplicas);
  if (s.atMs !== undefined) out.atMs = String(s.atMs);
  if (s.cutSince !== undefined) out.cutSince = String(s.cutSince);
  if (s.maxCutSince !== undefined) out.maxCutSince = String(s.maxCutSince);
  if (s.decidedAtMs !== undefined) out.decidedAt = String(s.decidedAtMs);
  if (s.tighten !== undefined) out.tighten = String(s.tighten);
  if (s.tightenedBy !== undefined) out.tightenedBy = s.tightenedBy;
  if (id !== undefined) out.id = id;
  return out;
}
