/**
 * What a change Foresight proposed did once it was in force (issue 13): the figures of equal
 * windows before and after the moment the change appeared in the GitOps checkout, the forecast's
 * quality over the after window, and a verdict. Published on outcomes.v1 (Avro `ChangeOutcome`)
 * and kept in Redis (store.ts) for `foresight report`.
 *
 * A figure that cannot be computed is null, never 0 (for cost: `costUnknown` says why).
 */
export type OutcomeVerdict = 'saved' | 'neutral' | 'regressed' | 'insufficient-data';

/** The figures of one window (before or after the change), all over the same length of event time. */
export interface OutcomeWindow {
  /** Event-time bounds of the window, ms (start inclusive, end exclusive). */
  startMs: number;
  endMs: number;
  /** Intervals (5-minute steps, the mean of their minute buckets) with data in the window. */
  intervals: number;
  /** Share of intervals whose mean demand exceeded the capacity in force; null without data. */
  underProvisionedShare: number | null;
  /** Mean of (capacity − demand) / capacity over the intervals, in [−∞, 1]; null without data. */
  meanSlack: number | null;
  /** Capacity in force × hours, in the capacity's unit (replicas for HPA, cores/GiB for RESOURCES). */
  capacityHours: number | null;
  /** Cost of that capacity from billing prices, in `currency`; null when no price is known. */
  cost: number | null;
}

export interface ChangeOutcome {
  /** The recommendation that proposed the change, and the model version that forecast it. */
  recommendationId: string;
  modelVersion: string;
  type: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  container: string | null;
  /** The changed fields (logical names as in Recommendation.changes) with the values before and in force. */
  fields: { field: string; before: string | null; after: string }[];
  /** Event time the change was first seen in force in the GitOps checkout. */
  inForceAt: number;
  /** Event time the outcome was decided (inForceAt + the configured period). */
  decidedAt: number;
  /** The policy's SLO risk the realised under-provisioned share is judged against. */
  sloRisk: number;
  before: OutcomeWindow;
  after: OutcomeWindow;
  /** Forecast quality over the after window: pinball loss at `quantile`, and the share of intervals at or under the forecast. */
  quantile: number;
  pinballLoss: number | null;
  coverage: number | null;
  currency: string;
  /** Why a cost is null, e.g. 'cost unknown: no billing rows for pool X'; null when both costs are known. */
  costUnknown: string | null;
  verdict: OutcomeVerdict;
  /** One sentence a person can read: why this verdict. */
  explanation: string;
}
