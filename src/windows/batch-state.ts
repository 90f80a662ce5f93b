/**
 * The recommendation loop's per-workload state for one scored batch: read once for every key
 * the batch needs (one pipelined round trip), changed in memory as the batch's steps are
 * decided in event-time order, written back once (one pipelined round trip) after the batch's
 * recommendations are on the topic. Hashes of strings, each with a 60-day expiry.
 */
import type { Redis } from './redis-client.js';
import type { ReplicaState } from '../policy/decide-replicas.js';

const TTL_MS = 60 * 24 * 3_600_000;

export class BatchState {
  private readonly values = new Map<string, Record<string, string>>();
  private readonly dirty = new Set<string>();
  /** each key's fields as Redis holds them (as read, then as written): a write deletes only the fields that went */
  private readonly stored = new Map<string, string[]>();

  constructor(private readonly redis: Redis) {}

  /** Reads the keys not read yet, in one round trip. */
  async load(keys: Iterable<string>): Promise<void> {
    const missing = [...new Set(keys)].filter((k) => !this.values.has(k));
    if (missing.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const k of missing) pipeline.hgetall(k);
    const replies = (await pipeline.exec()) ?? [];
    missing.forEach((k, i) => {
      const [err, v] = replies[i] ?? [];
      if (err) throw err;
      this.values.set(k, { ...((v as Record<string, string> | null) ?? {}) });
      this.stored.set(k, Object.keys(this.values.get(k)!));
    });
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
    const names = Object.keys(fields);
    if (names.length === Object.keys(was).length && names.every((f) => was[f] === fields[f])) return;
    this.values.set(key, { ...fields });
    this.dirty.add(key);
  }

  delete(key: string, field: string): void {
    const v = this.get(key);
    if (field in v) {
      delete v[field];
      this.dirty.add(key);
    }
  }

  /** Writes the changed hashes back in one round trip (HSET and PEXPIRE, HDEL of the fields that went; DEL when none is left). */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const k of this.dirty) {
      const v = this.values.get(k)!;
      const fields = Object.keys(v);
      if (fields.length === 0) pipeline.del(k);
      else {
        const gone = this.stored.get(k)!.filter((f) => !(f in v));
        if (gone.length > 0) pipeline.hdel(k, ...gone);
        pipeline.hset(k, v);
        pipeline.pexpire(k, TTL_MS);
      }
      this.stored.set(k, fields);
    }
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
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
