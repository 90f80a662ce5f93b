/**
 * How much history a series needs after a hole in its partition's windows (Redis lost state
 * that Kafka no longer held; windows/state-marks.ts) before the loop scores it again: the
 * longest window any decision for it reads, so no model input and no rule spans the hole.
 * That is the forecaster's day of 5-minute steps (SPOT's day of hourly means too; the anomaly
 * detector reads only the steps after the hole: recommend/loop.ts), or the policy's `resources.windowHours` or `idle.hours` when longer.
 * With the default policy: 24 hours of event time after the first event rebuilt.
 */
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { DAY } from '../scoring/features.js';

const STEP_MS = 300_000;
const HOUR_MS = 3_600_000;

export function evidenceNeededMs(policy: Pick<ResolvedPolicy, 'resources' | 'idle'>): number {
  return Math.max(DAY * STEP_MS, policy.resources.windowHours * HOUR_MS, policy.idle.hours * HOUR_MS);
}

/** Has the series enough history after the hole that ends at `holeEndMs` to be scored at `stepEndMs`? */
export function enoughEvidence(holeEndMs: number | undefined, stepEndMs: number, policy: Pick<ResolvedPolicy, 'resources' | 'idle'>): boolean {
  return holeEndMs === undefined || stepEndMs - holeEndMs >= evidenceNeededMs(policy);
}
