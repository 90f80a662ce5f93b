/**
 * The life of a change Foresight proposed, per workload and track (one per kind of change and
 * the series that follows it: tracker.ts), one closed step at a time (pure; the
 * tracker keeps it in Redis): published → pending → in force (the GitOps checkout shows it) →
 * decided, `periodMs` of event time later, or earlier when a newer change comes in force (its
 * after window then ends there, and the before window is shortened alike). A pending change
 * that never lands is replaced by the next one published.
 */
import type { Recommendation } from '../codec/generated-types.js';
import { quantileForRisk } from '../policy/policy-schema.js';
import { pinball } from './figures.js';

/** A published change followed until its outcome is decided. */
export interface Tracked {
  rec: Pick<Recommendation, 'id' | 'modelVersion' | 'type' | 'cluster' | 'namespace' | 'kind' | 'name' | 'container' | 'changes' | 'currency'> &
    Partial<Pick<Recommendation, 'rules'>>;
  sloRisk: number;
  /** the workload's node pool when the change was published, and for SPOT the pool it moves to (measures.ts prices each window in its pool) */
  pool?: string;
  poolAfter?: string;
  quantile: number;
  /** event time of the first closed step at which the checkout showed it */
  inForceAt?: number;
  /** forecasts made in the after window and checked: count, pinball loss sum, covered count */
  n?: number;
  loss?: number;
  covered?: number;
}

/** What is followed of a published recommendation. */
export function trackedOf(r: Recommendation, sloRisk: number, pools: { pool: string; poolAfter?: string }): Tracked {
  const { id, modelVersion, type, cluster, namespace, kind, name, container, changes, currency, rules } = r;
  return {
    rec: { id, modelVersion, type, cluster, namespace, kind, name, container, changes, currency, rules },
    sloRisk,
    quantile: quantileForRisk(sloRisk),
    ...pools,
  };
}

export interface Lifecycle {
  pending?: Tracked;
  inForce?: Tracked;
}

export interface LifecycleStep {
  stepEndMs: number;
  periodMs: number;
  /** the forecasts checked at this step (quality.ts) */
  checked: { atMs: number; forecast: number; realised: number }[];
  /** does the checkout show the pending change now? */
  landed: boolean;
  /** a change published at this step */
  published?: Tracked;
}

/** One step: the next state, and the changes to decide now with the end of their after window. */
export function advance(prev: Lifecycle, s: LifecycleStep): { next: Lifecycle; decide: { tracked: Tracked; endMs: number }[] } {
  const decide: { tracked: Tracked; endMs: number }[] = [];
  let inForce = prev.inForce && { ...prev.inForce };
  let pending = prev.pending;
  if (inForce?.inForceAt !== undefined) {
    const start = inForce.inForceAt;
    for (const c of s.checked.filter((x) => x.atMs >= start && x.atMs < start + s.periodMs)) {
      inForce.n = (inForce.n ?? 0) + 1;
      inForce.loss = (inForce.loss ?? 0) + pinball(inForce.quantile, c.realised, c.forecast);
      inForce.covered = (inForce.covered ?? 0) + (c.realised <= c.forecast ? 1 : 0);
    }
  }
  if (pending && s.landed) {
    // a newer change in force ends the earlier one's after window now
    if (inForce?.inForceAt !== undefined && s.stepEndMs > inForce.inForceAt) decide.push({ tracked: inForce, endMs: s.stepEndMs });
    inForce = { ...pending, inForceAt: s.stepEndMs };
    pending = undefined;
  }
  if (inForce?.inForceAt !== undefined && s.stepEndMs >= inForce.inForceAt + s.periodMs) {
    decide.push({ tracked: inForce, endMs: inForce.inForceAt + s.periodMs });
    inForce = undefined;
  }
  if (s.published) pending = s.published;
  return { next: { pending, inForce }, decide };
}
