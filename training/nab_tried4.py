"""Fourth round of stages on top of anomaly-4 (issue 14 §2), measured as training/nab_tried.py measures, none adopted.

    FORESIGHT_NAB_DIR=… nice -n 10 python3 training/nab_tried4.py    # about 4 minutes (2.5 min CPU) on the shared machine; one JSON line last

Same protocol as nab_tried.py: anomaly-4's terms (training/detector.py `terms`) with one stage added, scored on NAB's
44 development files as serving would alert (one-day suppression), on the fixed threshold grid (0.14–0.40 by 0.0025):
the three profiles at the serving threshold, the best grid threshold, the threshold alone chosen on four categories
and scored on the fifth, then candidate and threshold chosen together on four categories for the fifth
(training/nab_cv.py's `loco`) against anomaly-4 alone on the same grid. Adopted only with +2 points held out.

The stages (aimed at the losses the third round left: Twitter false alerts, windows missed inside the range):
- rank shift (a two-sample distribution change, Mann–Whitney): the newest m points against the window's points
  before them (or the 168 hourly means of the 7 days before the newest point's hour), as the area under the curve
  AUC = P(recent > reference) (ties ½); e = |2·AUC − 1| is 1 when every recent point lies beyond (above or below)
  every reference point and near 0 for the same distribution, so a shift down inside the range scores like one up;
  term w × max(0, e − e0) / (1 − e0).
- time of day (contextual, for periodic series whose anomaly is a normal value at the wrong time): the mean of the
  newest hour's points against the means of the same clock hour on each of the 7 days before (the hour buckets),
  |recent − their mean| / max(their standard deviation, f × the window's standard deviation), weighted w; needs
  three of the seven days.
- time of day against the profile's own error: the newest whole clock hour's mean against its daily profile (the mean of the same
  clock hour on the 7 days before), in units of how far the hour means of the 72 hours before strayed from their own
  profiles (a per-series scale from the hour buckets: 10 days of them), weighted w.
- calibrated max (a max of calibrated p-values instead of fixed weights): each term as its tail rank against its own
  last L values, p = (1 + #{earlier values ≥ it}) / (L + 1) (p = 1 for a zero term); score = 0.14 + 0.26 · ln p_min /
  ln(1/(L+1)) where p_min < 1 (else 0), so the threshold grid spans p_min from 1 to 1/(L+1). Serving would need the
  terms of the L steps before, i.e. L + 576 steps of history (more than the 48 h windows hold).
- surprise in context (from the false-alert analysis: the surprise term fires most false alerts): its baseline
  raised to the mean error of the same hours one day earlier (± 0, 12 or 36 five-minute steps), so noise that
  recurs daily does not count; and the errors relative to the predictor's level (|x − pred| / |pred|).
- persistence (from the false-alert analysis below): an alert only when the score has stayed at or above the
  threshold for c consecutive steps (the score's rolling minimum over c steps).

The missed windows: each term's peak inside every window anomaly-4 misses, and the new terms' against their 99th
percentile outside the file's windows. The false-alert analysis: every alert anomaly-4 publishes at its serving threshold, by class (Twitter false, Twitter
true, other categories' true and false), with the term that fired, how long the score stays at the threshold after
the alert, and how far the newest 24 points lie outside the week's range.
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
from nab_tried import GRID_TH, profiles_at, swept  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

RAW_TH = detector.THRESHOLD * detector.Z_HALF / (1 - detector.THRESHOLD)  # the raw score at the serving threshold


def auc_shift(values: np.ndarray, steps_per_day: int, recent: int, reference: np.ndarray | None = None) -> np.ndarray:
    """|2·AUC − 1| of the newest `recent` points against the window's earlier points, or against `reference[t]`
    (a row of reference values per point, NaN absent) where given; 0 before a day of history."""
    x = np.asarray(values, dtype=np.float64)
    out = np.zeros(len(x))
    for t in range(steps_per_day, len(x)):
        r = x[t - recent + 1 : t + 1]
        if reference is None:
            ref = x[max(0, t - detector.WINDOW + 1) : t - recent + 1]
        else:
            ref = reference[t][~np.isnan(reference[t])]
        if len(ref) < detector.MIN_REF:
            continue
        ref = np.sort(ref)
        below = np.searchsorted(ref, r, "left")
        upto = np.searchsorted(ref, r, "right")
        auc = (below + upto).sum() / (2.0 * len(r) * len(ref))
        out[t] = abs(2.0 * auc - 1.0)
    return out


def hour_means(values: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each point's hour bucket from the first point's, each bucket's mean; NaN for an hour without points)."""
    hour = np.floor(np.asarray(times, dtype=np.float64) / detector.HOUR_S).astype(np.int64)
    h = hour - hour[0]
    s, c = np.zeros(h[-1] + 1), np.zeros(h[-1] + 1)
    np.add.at(s, h, values)
    np.add.at(c, h, 1)
    with np.errstate(all="ignore"):
        return h, np.where(c > 0, s / c, np.nan)


def week_of_hour_means(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per point, the means of the 168 whole clock hours before its hour (NaN where absent)."""
    h, means = hour_means(values, times)
    padded = np.concatenate([np.full(detector.LONG_HOURS, np.nan), means])
    rows = sliding_window_view(padded, detector.LONG_HOURS)  # row j: hours j − 168 … j − 1
    return rows[h]


def time_of_day(values: np.ndarray, times: np.ndarray, steps_per_day: int, f: float) -> np.ndarray:
    """|mean of the newest hour − mean of the same clock hour on the 7 days before| / max(sd of those 7 means, f × window sd)."""
    x = np.asarray(values, dtype=np.float64)
    h, means = hour_means(x, times)
    per_hour = max(1, steps_per_day // 24)
    recent = _trailing_mean(x, per_hour)
    refs = np.full((len(x), 7), np.nan)
    for j in range(1, 8):
        k = h - 24 * j
        refs[k >= 0, j - 1] = means[k[k >= 0]]
    n_ref = np.sum(~np.isnan(refs), axis=1)
    sd_win = _lag(_rolling(x, detector.WINDOW - 1, np.nanstd), 1)
    level = _lag(_rolling(x, detector.WINDOW - 1, np.nanmean), 1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mu, sd = np.nanmean(refs, axis=1), np.nanstd(refs, axis=1)
        z = np.abs(recent - mu) / np.maximum(np.maximum(sd, f * sd_win), detector.LEVEL_FLOOR * np.abs(level) + detector.TINY)
    z[(n_ref < 3) | np.isnan(z)] = 0.0
    return z


def time_of_day_profile(values: np.ndarray, times: np.ndarray, steps_per_day: int, hours: int = 72) -> np.ndarray:
    """|mean of the newest whole clock hour − its daily profile| / the profile's own error: the profile of an hour is the mean of
    the same clock hour's means on the 7 days before (three of them at least), its error the root mean square of
    (hour mean − its profile) over the `hours` whole hours before (a day of them at least): a per-series scale from
    the hour buckets alone (serving would read 10 days of them)."""
    x = np.asarray(values, dtype=np.float64)
    h, means = hour_means(x, times)
    back = np.full((len(means), 7), np.nan)
    for j in range(1, 8):
        if 24 * j < len(means):
            back[24 * j :, j - 1] = means[: len(means) - 24 * j]
    enough = np.sum(~np.isnan(back), axis=1) >= 3
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        profile = np.where(enough, np.nanmean(back, axis=1), np.nan)
        sq = (means - profile) ** 2
        err = np.sqrt(_lag(_rolling(sq, hours, np.nanmean), 1))  # the `hours` whole hours before each hour
        n_err = _lag(_rolling(~np.isnan(sq), hours, np.sum).astype(float), 1)
    done = np.where(np.append(h[1:] != h[:-1], True), h, h - 1)  # the newest whole hour: the point's own at its hour's last point
    ok = done >= 0
    done = np.maximum(done, 0)
    level = _lag(_rolling(x, detector.WINDOW - 1, np.nanmean), 1)
    with np.errstate(all="ignore"):
        z = np.abs(means[done] - profile[done]) / np.maximum(err[done], detector.LEVEL_FLOOR * np.abs(level) + detector.TINY)
    z[~ok | ~(n_err[done] >= 24) | np.isnan(z)] = 0.0
    return z


def tail_p(term: np.ndarray, window: int) -> np.ndarray:
    """(1 + #{the last `window` values before t ≥ term[t]}) / (window + 1); 1 where the term is 0."""
    padded = np.concatenate([np.full(window, np.nan), term])
    out = np.ones(len(term))
    for a in range(0, len(term), 4096):  # in chunks: window × chunk comparisons at a time
        b = min(len(term), a + 4096)
        past = sliding_window_view(padded[a : b + window - 1], window)  # row i: the `window` values before a + i
        out[a:b] = (1 + np.sum(past >= term[a:b, None], axis=1)) / (window + 1)
    out[term <= 0] = 1.0
    return out


def surprise_in_context(values: np.ndarray, steps_per_day: int, margin: int | None, relative: bool = False) -> np.ndarray:
    """anomaly-4's surprise term (weighted), its baseline raised to the mean error of the same hours one day earlier
    (the newest SURPRISE_RECENT steps' positions a day back, ± `margin` steps at 5-minute resolution; None: not raised),
    and with `relative` the errors divided by the predictor's level (|x − pred| / |pred|)."""
    x = np.asarray(values, dtype=np.float64)
    n, k = len(x), detector.SURPRISE_RECENT
    level = _lag(_rolling(x, detector.WINDOW - 1, np.nanmean), 1)
    floor = detector.LEVEL_FLOOR * np.abs(level) + detector.TINY
    pred = _lag(_trailing_mean(x, detector.PRED_STEPS), 1)
    err = np.abs(x - pred)
    if relative:
        err, floor = err / np.maximum(np.abs(pred), floor), np.full(n, detector.LEVEL_FLOOR)
    err[np.isnan(err)] = 0.0
    recent = _trailing_mean(err, k)
    mu = _lag(_rolling(err, detector.SURPRISE_REF, np.nanmean), k)
    sd = _lag(_rolling(err, detector.SURPRISE_REF, np.nanstd), k)
    if margin is not None:
        m = steps_per_day * margin // 288
        mu = np.fmax(mu, _lag(_rolling(err, k + 2 * m, np.nanmean), steps_per_day - m))  # errors at [t − P − k − m + 1, t − P + m]
    ref_n = np.minimum(np.arange(n) + 1 - k, detector.SURPRISE_REF)
    with np.errstate(all="ignore"):
        z = np.maximum(0.0, recent - mu) / np.maximum(sd, floor) * detector.SURPRISE_WEIGHT
    z[(ref_n < detector.MIN_REF) | np.isnan(z)] = 0.0
    return z


def persistent(score: np.ndarray, c: int) -> np.ndarray:
    """The score's minimum over the newest c steps (an alert needs c steps at the threshold)."""
    return np.nan_to_num(_rolling(score, c, np.min))


def candidates(files, base_terms, P):
    raws = [np.maximum.reduce(t) for t in base_terms]

    def score(raw: np.ndarray, p: int) -> np.ndarray:
        raw = raw.copy()
        raw[:p] = 0.0
        return raw / (raw + detector.Z_HALF)

    base = [score(r, p) for r, p in zip(raws, P)]
    out = [("anomaly-4", base)]
    for m in (12, 24):
        e = [auc_shift(v, p, m) for (_, _, v, _), p in zip(files, P)]
        for e0 in (0.9, 0.95):
            out.append((f"rank shift m{m} window e0 {e0} w2", [score(np.maximum(r, 2.0 * np.maximum(0, a - e0) / (1 - e0)), p) for r, a, p in zip(raws, e, P)]))
        print(f"rank shift m{m} scored", flush=True)
    e = [auc_shift(v, p, 12, week_of_hour_means(v, ts)) for (_, ts, v, _), p in zip(files, P)]
    for e0 in (0.9, 0.95):
        out.append((f"rank shift m12 week of hour means e0 {e0} w2", [score(np.maximum(r, 2.0 * np.maximum(0, a - e0) / (1 - e0)), p) for r, a, p in zip(raws, e, P)]))
    print("rank shift week scored", flush=True)
    for f in (0.25, 0.5):
        z = [time_of_day(v, ts, p, f) for (_, ts, v, _), p in zip(files, P)]
        for w in (0.2, 0.4):
            out.append((f"time of day f{f} w{w}", [score(np.maximum(r, w * zz), p) for r, zz, p in zip(raws, z, P)]))
    z = [time_of_day_profile(v, ts, p) for (_, ts, v, _), p in zip(files, P)]
    for w in (0.2, 0.3, 0.4):
        out.append((f"time of day against the profile's error w{w}", [score(np.maximum(r, w * zz), p) for r, zz, p in zip(raws, z, P)]))
    print("time of day scored", flush=True)
    for L in (576, 2000):
        cal = []
        for t, p in zip(base_terms, P):
            pmin = np.minimum.reduce([tail_p(term, L) for term in t])
            s = np.where(pmin < 1, 0.14 + 0.26 * np.log(pmin) / np.log(1.0 / (L + 1)), 0.0)  # the grid 0.14–0.40 spans p 1 … 1/(L+1)
            s[:p] = 0.0
            cal.append(s)
        out.append((f"calibrated max L{L}", cal))
    print("calibrated max scored", flush=True)
    for margin, relative in ((0, False), (12, False), (36, False), (None, True), (12, True)):
        label = "surprise" + (" relative" if relative else "") + (f" against the same hours a day earlier ±{margin}" if margin is not None else "")
        out.append((label, [score(np.maximum.reduce([t[0], t[1], surprise_in_context(v, p, margin, relative)]), p)
                            for t, (_, _, v, _), p in zip(base_terms, files, P)]))
    print("surprise in context scored", flush=True)
    for c in (2, 3):
        out.append((f"persistence c{c}", [persistent(s, c) for s in base]))
    return out


def alert_analysis(files, base_terms, P) -> dict:
    """anomaly-4's alerts at the serving threshold, by class: Twitter false/true, other categories' true/false."""
    groups: dict[str, list[dict]] = {}
    for (name, ts, v, wins), t, p in zip(files, base_terms, P):
        raw = np.maximum.reduce(t)
        raw[:p] = 0.0
        s = raw / (raw + detector.Z_HALF)
        probation = min(int(0.15 * len(v)), 750)  # NAB never scores these rows
        hi, lo = detector.long_range(v, ts)
        m24 = _trailing_mean(v, 24)
        for i in np.flatnonzero(nab_eval.detections(ts, s, detector.THRESHOLD)):
            if i < probation:
                continue
            inside = any(a <= i <= b for a, b in wins)
            cls = ("Twitter " if name.startswith("realTweets") else "other ") + ("true" if inside else "false")
            fired = ["novelty", "seasonal", "surprise"][int(np.argmax([t[0][i], t[1][i], t[2][i]]))]
            after = s[i : i + 13]
            span = max(hi[i] - lo[i], 1e-9) if not np.isnan(hi[i]) else np.nan
            groups.setdefault(cls, []).append({"term": fired, "steps_at_threshold_next_12": int(np.sum(after[1:] >= detector.THRESHOLD)),
                                               "raw_over_threshold": float(raw[i] / RAW_TH),
                                               "mean24_beyond_week_range": float(max(0.0, m24[i] - hi[i], lo[i] - m24[i]) / span) if span == span else np.nan})
    out = {}
    for cls, rows in sorted(groups.items()):
        terms = {k: sum(r["term"] == k for r in rows) for k in ("novelty", "seasonal", "surprise")}
        persist = np.array([r["steps_at_threshold_next_12"] for r in rows])
        beyond = np.array([r["mean24_beyond_week_range"] for r in rows])
        out[cls] = {"alerts": len(rows), "term": terms, "median_steps_at_threshold_next_12": float(np.median(persist)),
                    "share_at_threshold_again_in_next_12": round(float(np.mean(persist >= 1)), 2), "share_at_threshold_2_of_next_12": round(float(np.mean(persist >= 2)), 2),
                    "median_raw_over_threshold": round(float(np.median([r["raw_over_threshold"] for r in rows])), 2),
                    "share_mean24_beyond_week_range": round(float(np.nanmean(beyond > 0)), 2)}
    return out


def missed_windows(files, base_terms, P) -> list[dict]:
    """The windows anomaly-4 misses at its serving threshold (after NAB's probation): each term's peak inside the
    window in units of the serving threshold's raw score (before the warm-up day is zeroed), and the rank shift (12
    points against the window) and the time-of-day term (f 0.25, w 0.2) there against their 99th percentile outside
    the file's windows."""
    out = []
    for (name, ts, v, wins), t, p in zip(files, base_terms, P):
        raw = np.maximum.reduce(t)
        raw[:p] = 0.0
        alerts = np.flatnonzero(nab_eval.detections(ts, raw / (raw + detector.Z_HALF), detector.THRESHOLD))
        missed = [(a, b) for a, b in wins if b >= min(int(0.15 * len(v)), 750) and not any(a <= i <= b for i in alerts)]
        if not missed:
            continue
        shift, tod = auc_shift(v, p, 12), 0.2 * time_of_day(v, ts, p, 0.25) / RAW_TH
        outside = np.ones(len(v), dtype=bool)
        for a, b in wins:
            outside[a : b + 1] = False
        for a, b in missed:
            inside = slice(a, b + 1)
            out.append({"file": name, "rows": [a, b], "in_first_day": bool(a < p),
                        **{k: round(float(term[inside].max() / RAW_TH), 2) for k, term in zip(("novelty", "seasonal", "surprise"), t)},
                        "rank_shift": [round(float(shift[inside].max()), 2), round(float(np.percentile(shift[outside], 99)), 2)],
                        "time_of_day": [round(float(tod[inside].max()), 2), round(float(np.percentile(tod[outside], 99)), 2)]})
    return out


def counts(files, scored, threshold: float) -> dict:
    """Per category at one threshold: labelled windows with an alert inside, and alerts outside every window (after NAB's probation)."""
    out: dict[str, list[int]] = {}
    for (name, ts, v, wins), s in zip(files, scored):
        alerts = np.flatnonzero(nab_eval.detections(ts, s, threshold))
        alerts = alerts[alerts >= min(int(0.15 * len(v)), 750)]
        c = out.setdefault(name.split("/")[0], [0, 0, 0])
        c[0] += sum(any(a <= i <= b for i in alerts) for a, b in wins)
        c[1] += len(wins)
        c[2] += sum(not any(a <= i <= b for a, b in wins) for i in alerts)
    return {k: {"windows_caught": f"{a} of {b}", "false_alerts": f} for k, (a, b, f) in out.items()}


def main() -> None:
    files = nab_eval.load()
    P = [nab_eval.steps_per_day(ts) for _, ts, _, _ in files]
    base_terms = [detector.terms(v, p, detector.long_range(v, ts)) for (_, ts, v, _), p in zip(files, P)]
    analysis = alert_analysis(files, base_terms, P)
    print("alert analysis", json.dumps(analysis), flush=True)
    missed = missed_windows(files, base_terms, P)
    for row in missed:
        print("missed", json.dumps(row), flush=True)
    cands = candidates(files, base_terms, P)
    rows = {}
    for label, scored in cands:
        best, th = swept(files, scored)
        rows[label] = {"at_serving_threshold": profiles_at(files, scored, detector.THRESHOLD), "swept": [round(best, 2), round(th, 4)],
                       "held_out_threshold_only": nab_cv.loco(files, [(label, scored)], GRID_TH)["held_out_standard"],
                       "at_serving_threshold_by_category": counts(files, scored, detector.THRESHOLD)}
        print(label, json.dumps(rows[label]), flush=True)
    together = nab_cv.loco(files, cands, GRID_TH)
    alone = nab_cv.loco(files, cands[:1], GRID_TH)
    print(json.dumps({"alert_analysis": analysis, "missed_windows": missed, "candidates": rows, "held_out_all_candidates": together, "held_out_anomaly4_alone": alone["held_out_standard"]}))


if __name__ == "__main__":
    main()
