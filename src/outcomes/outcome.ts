/**
 * What a change Foresight proposed did once it was in force (issue 13): the figures of equal
 * windows before and after the moment the change appeared in the GitOps checkout, the forecast's
 * quality over the after window, and a verdict. Published on outcomes.v1 (Avro `ChangeOutcome`,
 * whose generated type this is, with the verdict narrowed) and kept in Redis (store.ts) for
 * `foresight report`.
 *
 * A figure that cannot be computed is null, never 0 (for cost: `costUnknown` says why).
 */
import type { ChangeOutcome as ChangeOutcomeRecord, OutcomeWindow as OutcomeWindowRecord } from '../codec/generated-types.js';

/** `secondaryOverShare` is optional: windows recorded before it existed have none. */
export type OutcomeWindow = Omit<OutcomeWindowRecord, 'secondaryOverShare'> & Partial<Pick<OutcomeWindowRecord, 'secondaryOverShare'>>;

/** A string in the Avro schema: enum symbols cannot hold the '-' of insufficient-data. */
export type OutcomeVerdict = 'saved' | 'neutral' | 'regressed' | 'insufficient-data';

/** `measure` is optional: outcomes recorded before it existed (HPA changes) have none. */
export interface ChangeOutcome extends Omit<ChangeOutcomeRecord, 'verdict' | 'measure' | 'before' | 'after'> {
  verdict: OutcomeVerdict;
  measure?: string;
  before: OutcomeWindow;
  after: OutcomeWindow;
}
