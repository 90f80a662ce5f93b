"""Stages measured on top of anomaly-4 and not adopted (issue 14 §2, third round): reproduces the model card's figures.

    FORESIGHT_NAB_DIR=… python3 training/nab_tried.py    # about 10 minutes on the shared machine; one JSON line last

Every candidate is anomaly-4's terms (training/detector.py `terms`) with one stage added, scored on NAB's 44
development files as serving would alert (serving's one-day suppression). For each: the three profiles at the
serving threshold, the best threshold of one fixed grid (0.14–0.40 by 0.0025, the same for every candidate, since
gated scores have fewer positives and a quantile grid would favour the ungated one), the threshold alone chosen
on four categories and scored on the fifth; then leave one category out over all candidates and thresholds
together (training/nab_cv.py's `loco`), against anomaly-4 alone on the same grid; and nab_cv.py's own measure
(its surprise grid, quantile thresholds) with the stages added as candidates, against nab_cv.py alone. A stage is
adopted only when these held-out figures gain 2 points or more.

The stages (the ideas of the published detectors, our own code):
- likelihood gate: HTM's anomaly likelihood on the raw score, the newest raw score as a z against the mean and
  standard deviation of the last L raw scores; raw × clip(z / zc, 0, 1).
- likelihood term: the mean of the newest 10 raw scores as that z, added as a term w × max(0, z − z0).
- surprise normalised: the surprise term divided by max(1, its 90th percentile over the 576 steps before the
  newest 24 / r0) (per-series noise normalisation: a series that is often surprising weighs its surprises less).
- spread gate: the surprise term × clip(spread of the newest 24 points / (0.5 × the largest hourly spread
  (max − min) of the 168 hours before), 0, 1): a burst no wider than one seen within the week does not count.
- quiet term: w × log(mean prediction error of the 400 before / of the newest 72) (a series that goes quiet or flat).
- second term: raw = the largest term + 0.25 × the second largest (evidence from two terms adds up).
- unseen patterns (CAD OSE's contextual novelty): the share u of the newest m patterns of L consecutive values,
  each put in one of B equal bins over the window's earlier range, that never occur earlier in the window; a term
  w × max(0, u − f0) (with w = 4: f0 0.4 alerts at 10 of 12 unseen, f0 0.5 at 11 of 12).
- log scale: every term on log(1 + x / the first day's median) for series without negative values.
- suppression: the one-day quiet period after an alert as 0.5 or 2 days (a serving parameter, not a candidate).
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detector  # noqa: E402
import nab  # noqa: E402
import nab_cv  # noqa: E402
import nab_eval  # noqa: E402
from detector import _lag, _rolling, _trailing_mean  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

GRID_TH = np.round(np.arange(0.14, 0.40, 0.0025), 4)


def likelihood_z(raw: np.ndarray, window: int, recent: int) -> np.ndarray:
    """The mean of the newest `recent` raw scores as a z against the last `window` raw scores (0 where undefined)."""
    mu = _rolling(raw, window, np.nanmean)
    sd = _rolling(raw, window, np.nanstd)
    with np.errstate(all="ignore"):
        z = (_trailing_mean(raw, recent) - mu) / np.maximum(sd, 0.05)
    return np.nan_to_num(z)


def hourly_spread_max(values: np.ndarray, times: np.ndarray, hours: int = detector.LONG_HOURS) -> np.ndarray:
    """The largest (max − min) of one clock hour among the `hours` whole hours before each point's hour (NaN where none)."""
    h, hmax, hmin = detector.hour_buckets(values, times)
    return np.where(h >= 1, _rolling(hmax - hmin, hours, np.nanmax)[np.maximum(h - 1, 0)], np.nan)


def quiet(values: np.ndarray, recent: int = 72) -> np.ndarray:
    """log(mean prediction error of the SURPRISE_REF before the newest `recent` / of the newest), ≥ 0."""
    x = np.asarray(values, dtype=np.float64)
    err = np.abs(x - _lag(_trailing_mean(x, detector.PRED_STEPS), 1))
    err[np.isnan(err)] = 0.0
    floor = detector.LEVEL_FLOOR * np.abs(_lag(_rolling(x, detector.WINDOW - 1, np.nanmean), 1)) + detector.TINY
    with np.errstate(all="ignore"):
        q = np.log(np.maximum(_lag(_rolling(err, detector.SURPRISE_REF, np.nanmean), recent), floor) / np.maximum(_trailing_mean(err, recent), floor))
    q[(np.minimum(np.arange(len(x)) + 1 - recent, detector.SURPRISE_REF) < detector.MIN_REF) | np.isnan(q)] = 0.0
    return np.maximum(q, 0.0)


def unseen_patterns(values: np.ndarray, steps_per_day: int, bins: int = 6, length: int = 3, recent: int = 12) -> np.ndarray:
    """Contextual novelty (the idea of CAD OSE): the window's values put in `bins` equal bins over the range of its
    points before the newest `recent`; the share of the newest `recent` patterns of `length` consecutive bins that
    never occur among the earlier ones (a point loop: the same per step as serving would compute it)."""
    x = np.asarray(values, dtype=np.float64)
    out = np.zeros(len(x))
    weights = bins ** np.arange(length)[::-1]
    for t in range(steps_per_day, len(x)):
        w = x[max(0, t - detector.WINDOW + 1) : t + 1]
        lo, hi = w[:-recent].min(), w[:-recent].max()
        if hi <= lo:
            continue
        codes = sliding_window_view(np.clip(((w - lo) / (hi - lo) * bins).astype(int), 0, bins - 1), length) @ weights
        out[t] = 1.0 - np.isin(codes[-recent:], codes[:-recent]).mean()
    return out


def anomaly4_raws(files) -> tuple[list[int], list[np.ndarray]]:
    """Each file's steps per day and anomaly-4's raw score (its largest term), zero in the first day (later rounds' base)."""
    P = [nab_eval.steps_per_day(ts) for _, ts, _, _ in files]
    raws = []
    for (_, ts, v, _), p in zip(files, P):
        r = np.maximum.reduce(detector.terms(v, p, detector.long_range(v, ts)))
        r[:p] = 0.0
        raws.append(r)
    return P, raws


def as_score(raw: np.ndarray, p: int) -> np.ndarray:
    """A raw score (anomaly-4's with a stage's term) as the detector's score in [0, 1), zero in the first day."""
    raw = np.nan_to_num(raw, nan=0.0, posinf=0.0)
    raw[:p] = 0.0
    return raw / (raw + detector.Z_HALF)


def candidates(files) -> list[tuple[str, list[np.ndarray]]]:
    P = [nab_eval.steps_per_day(ts) for _, ts, _, _ in files]
    terms = [detector.terms(v, p, detector.long_range(v, ts)) for (_, ts, v, _), p in zip(files, P)]
    raws = [np.maximum.reduce(t) for t in terms]
    for r, p in zip(raws, P):
        r[:p] = 0.0

    def score(raw: np.ndarray, p: int) -> np.ndarray:
        raw = raw.copy()
        raw[:p] = 0.0
        return raw / (raw + detector.Z_HALF)

    out = [("anomaly-4", [score(r, p) for r, p in zip(raws, P)])]
    for window, zc in ((576, 1), (2000, 1), (576, 2)):
        out.append((f"likelihood gate L{window} zc{zc}", [score(r * np.clip(likelihood_z(r, window, 1) / zc, 0, 1), p) for r, p in zip(raws, P)]))
    out.append(("likelihood term L2000 z0 3 w0.6", [score(np.maximum(r, 0.6 * np.maximum(0, likelihood_z(r, 2000, 10) - 3)), p) for r, p in zip(raws, P)]))
    q90 = [np.nan_to_num(_rolling(_lag(t[2], detector.SURPRISE_RECENT), detector.WINDOW, lambda w, axis: np.nanquantile(w, 0.9, axis=axis))) for t in terms]
    for r0 in (1.0, 0.6):
        out.append((f"surprise normalised r0 {r0}", [score(np.maximum.reduce([t[0], t[1], t[2] / np.maximum(1, q / r0)]), p) for t, q, p in zip(terms, q90, P)]))
    gate = []
    for (_, ts, v, _), t, p in zip(files, terms, P):
        with np.errstate(all="ignore"):  # a week of flat hours: no spread to compare with, the gate stays open
            ratio = (_rolling(v, 24, np.nanmax) - _rolling(v, 24, np.nanmin)) / (0.5 * hourly_spread_max(v, ts))
        g = np.clip(np.nan_to_num(ratio, nan=1.0, posinf=1.0), 0, 1)
        gate.append(score(np.maximum.reduce([t[0], t[1], t[2] * g]), p))
    out.append(("spread gate", gate))
    out.append(("quiet term w0.2", [score(np.maximum(r, 0.2 * quiet(v)), p) for r, (_, _, v, _), p in zip(raws, files, P)]))
    out.append(("second term 0.25", [score(np.sort(np.vstack(t), axis=0)[-1] + 0.25 * np.sort(np.vstack(t), axis=0)[-2], p) for t, p in zip(terms, P)]))
    logged = []
    for (_, ts, v, _), p in zip(files, P):
        y = np.log1p(v / max(float(np.median(v[:p])), 1e-9)) if v[:p].min() >= 0 else v
        logged.append(score(np.maximum.reduce(detector.terms(y, p, detector.long_range(y, ts))), p))
    out.append(("log scale", logged))
    for bins, length, recent, cases in ((6, 3, 12, ((0.4, 4), (0.5, 4))), (8, 3, 24, ((0.5, 4),))):
        unseen = [unseen_patterns(v, p, bins, length, recent) for (_, _, v, _), p in zip(files, P)]
        for f0, w in cases:
            label = f"unseen patterns B{bins} L{length} m{recent} f0 {f0} w{w}"
            out.append((label, [score(np.maximum(r, w * np.maximum(0, u - f0)), p) for r, u, p in zip(raws, unseen, P)]))
    return out


def profiles_at(files, scored, threshold: float) -> dict:
    return {name: round(nab_eval.corpus(files, scored, profile, threshold)[0], 2) for name, profile in nab.PROFILES.items()}


def swept(files, scored) -> tuple[float, float]:
    return max((nab_eval.corpus(files, scored, nab.PROFILES["standard"], float(th))[0], float(th)) for th in GRID_TH)


def main() -> None:
    files = nab_eval.load()
    cands = candidates(files)
    rows = {}
    for label, scored in cands:
        best, th = swept(files, scored)
        rows[label] = {"at_serving_threshold": profiles_at(files, scored, detector.THRESHOLD), "swept": [round(best, 2), round(th, 4)],
                       "held_out_threshold_only": nab_cv.loco(files, [(label, scored)], GRID_TH)["held_out_standard"]}
        print(label, json.dumps(rows[label]), flush=True)
    base = cands[0][1]
    saved = nab_eval.SUPPRESS_S
    for days in (0.5, 2.0):
        nab_eval.SUPPRESS_S = days * 86400
        nab_eval.detections.__defaults__ = (nab_eval.SUPPRESS_S,)
        best, th = swept(files, base)
        rows[f"suppression {days} d"] = {"at_serving_threshold": profiles_at(files, base, detector.THRESHOLD), "swept": [round(best, 2), round(th, 4)],
                                         "held_out_threshold_only": nab_cv.loco(files, [("anomaly-4", base)], GRID_TH)["held_out_standard"]}
        print(f"suppression {days} d", json.dumps(rows[f"suppression {days} d"]), flush=True)
    nab_eval.SUPPRESS_S = saved
    nab_eval.detections.__defaults__ = (saved,)
    together = nab_cv.loco(files, cands, GRID_TH)
    alone = nab_cv.loco(files, cands[:1], GRID_TH)
    patterns = nab_cv.loco(files, cands[:1] + [c for c in cands if c[0].startswith("unseen patterns")], GRID_TH)
    # as training/nab_cv.py measures (its surprise grid, each candidate's own quantile thresholds), with the stages added
    grid = [(list(cfg), nab_cv.scored_with(files, cfg)) for cfg in nab_cv.GRID]
    cv_alone = nab_cv.loco(files, grid)["held_out_standard"]
    cv_with = nab_cv.loco(files, grid + cands[1:])
    print(json.dumps({"candidates": rows, "held_out_all_candidates": together, "held_out_anomaly4_and_patterns": patterns,
                      "held_out_anomaly4_alone": alone["held_out_standard"], "nab_cv_with_the_stages": cv_with, "nab_cv_alone": cv_alone}))


if __name__ == "__main__":
    main()
