/**
 * Online forecast quality of one workload, one closed step at a time (pure; the tracker keeps
 * the state in Redis): the forecaster's raw forecast at the policy quantile, made at each step,
 * is checked once its horizon has passed against the realised peak (from the history, as the
 * recalibration does). The rolling figures are exponentially weighted over a span of event time
 * (FORESIGHT_QUALITY_WINDOW_MS, α = step / span), bias-corrected (sums of weights kept), so the
 * first checks already give a mean:
 *   - pinball loss at the quantile, and coverage (share with realised ≤ forecast);
 *   - under-provisioned share: closed steps whose demand exceeded the capacity in force.
 * Drift: rolling coverage outside the band (quantile ± tolerance, capped to [0, 1]) for longer
 * than the drift period; said once per excursion, again only after coverage came back in band.
 */
import { realisedPeak } from '../scoring/recalibration.js';
import { pinball } from './figures.js';

export interface QualityState {
  /** forecasts at the quantile made at step ends atMs, not yet checked */
  pending: { atMs: number; f: number }[];
  /** exponentially weighted sums: weight, pinball loss, covered; and for the under-provisioned share its own weight and sum */
  w: number;
  loss: number;
  covered: number;
  checked: number;
  uw: number;
  under: number;
  /** when rolling coverage left the band (event time), while it is out */
  outSince?: number;
  /** the excursion already alerted */
  alerted?: boolean;
}

export const emptyQuality = (): QualityState => ({ pending: [], w: 0, loss: 0, covered: 0, checked: 0, uw: 0, under: 0 });

export interface QualityStep {
  stepEndMs: number;
  /** forecaster history ending with the closed step */
  history: ArrayLike<number>;
  /** the raw forecast at the quantile made now */
  forecast: number;
  quantile: number;
  /** capacity in force during the closed step, in the demand's unit; undefined when unknown */
  capacity: number | undefined;
  stepMs: number;
  horizon: number;
  /** α of the exponential weighting (step / span) */
  alpha: number;
  /** the checks needed before coverage is judged against the band */
  minChecks: number;
  band: [number, number];
  driftPeriodMs: number;
}

/** The rolling figures; null until there is something to average. */
export interface QualityFigures {
  pinballLoss: number | null;
  coverage: number | null;
  underProvisionedShare: number | null;
}

export function figuresOf(s: QualityState): QualityFigures {
  return {
    pinballLoss: s.w > 0 ? s.loss / s.w : null,
    coverage: s.w > 0 ? s.covered / s.w : null,
    underProvisionedShare: s.uw > 0 ? s.under / s.uw : null,
  };
}

/** The band coverage is expected in: the quantile ± the tolerance, within [0, 1]. */
export function coverageBand(quantile: number, tolerance: number): [number, number] {
  return [Math.max(0, quantile - tolerance), Math.min(1, quantile + tolerance)];
}

/**
 * One closed step: checks the forecasts whose horizon passed, moves the rolling figures, keeps
 * the new forecast pending. `drift` is set on the step at which the excursion has lasted the
 * drift period (once per excursion), with when it began.
 */
export interface QualityResult {
  state: QualityState;
  /** the forecasts checked at this step: made at atMs, the forecast and the realised peak */
  checked: { atMs: number; forecast: number; realised: number }[];
  drift?: { since: number; coverage: number };
}

export function qualityStep(prev: QualityState, s: QualityStep): QualityResult {
  const state: QualityState = { ...prev, pending: [] };
  const checked: QualityResult['checked'] = [];
  const decay = (x: number): number => x * (1 - s.alpha);
  for (const p of prev.pending) {
    if (p.atMs + s.horizon * s.stepMs > s.stepEndMs) {
      state.pending.push(p);
      continue;
    }
    const y = realisedPeak(s.history, s.stepEndMs, p.atMs, s.stepMs, s.horizon);
    if (y === undefined) continue; // its horizon left the history (a gap): dropped unchecked
    state.w = decay(state.w) + s.alpha;
    state.loss = decay(state.loss) + s.alpha * pinball(s.quantile, y, p.f);
    state.covered = decay(state.covered) + s.alpha * (y <= p.f ? 1 : 0);
    state.checked += 1;
    checked.push({ atMs: p.atMs, forecast: p.f, realised: y });
  }
  if (s.capacity !== undefined) {
    const closed = s.history[s.history.length - 1];
    state.uw = decay(state.uw) + s.alpha;
    state.under = decay(state.under) + s.alpha * (closed > s.capacity ? 1 : 0);
  }
  if (Number.isFinite(s.forecast)) state.pending.push({ atMs: s.stepEndMs, f: s.forecast });

  const coverage = figuresOf(state).coverage;
  if (coverage === null || state.checked < s.minChecks) return { state, checked };
  const out = coverage < s.band[0] || coverage > s.band[1];
  if (!out) {
    delete state.outSince;
    delete state.alerted;
    return { state, checked };
  }
  state.outSince ??= s.stepEndMs;
  if (!state.alerted && s.stepEndMs - state.outSince >= s.driftPeriodMs) {
    state.alerted = true;
    return { state, checked, drift: { since: state.outSince, coverage } };
  }
  return { state, checked };
}
