"""Fifth round (issue 14 §2): a LEARNED combination of anomaly-4's terms and the earlier rounds' candidate terms,
measured leave one category out; not adopted (figures at the end of this header).

    FORESIGHT_NAB_DIR=… nice -n 10 python3 training/nab_tried5.py    # about 17 minutes on the shared 2-core machine (terms
                                                                     # cached under $NAB6_CACHE or /tmp/nab6-cache: 35 s once;
                                                                     # delete it after changing a term); one JSON line last

Design: per step, the features are log(1 + term) of anomaly-4's three terms (training/detector.py `terms`: novelty,
seasonal, surprise) and of the candidate terms of rounds 3–4 (training/nab_tried.py, nab_tried4.py: time of day
against the daily profile, time of day against the week's same hours, rank shift, surprise in context, quiet, unseen
patterns) plus at most one new term (below). A logistic regression (L2, fitted by Newton's method in numpy: trivial
to serve in TypeScript as one dot product) is fitted on four categories and scores the fifth. Its target follows
NAB's reward: a row inside a labelled window is positive with weight NAB's own reward for a detection there (the
scaled sigmoid of its position: ≈1 at the window's start, ≈0 at its end), normalised so that each window weighs
the same; a row outside every window is negative with weight NAB's false-positive cost there (fpWeight × |σ| of
its distance from the previous window, 0.11 far away, ~0 just after a window); NAB's probation rows are not used.
One threshold for the fold, chosen as NAB sweeps it on the four training categories (with serving's one-day
suppression), scores the held-out category; the five held-out parts are normalised together (nab_cv.py `loco`).
Hyper-parameters (the negative-to-positive weight ratio, the L2 strength, the feature set) are fixed in advance to a
few values and chosen inside each fold with the threshold, on the four training categories only.

Adoption rule (fixed before running): the learned model is adopted only if its held-out (leave-one-category-out)
standard score is at least 2 points above anomaly-4's on the same protocol and threshold grid (anomaly-4's
threshold chosen on four categories from the same grid), i.e. ≥ +2 over the larger of anomaly-4's held-out figures
on the quantile grid used here and on nab_tried.py's fixed grid (65.8), AND its standard score on all 44 files at
the one threshold it would serve (chosen on all 44) is ≥ 66.1. When two variants score alike (within 0.5), the
simpler one (fewer features) is preferred. realKnownCause and realTraffic are never fetched, trained or tuned on.

Configurations (fixed in advance; the last two dimensions were added after the first run showed the row-level fit far
from NAB's tail, before any held-out figure of them was seen): feature sets "anomaly-4 alone" (log(1 + raw), a
monotone map of anomaly-4: the check that the protocol reproduces it), "anomaly-4 terms" (+ its three terms),
"+ time of day profile", "+ rounds 3-4 candidates" (all but the new term), "+ relative entropy" (all); negative/positive
weight ratio 0.3, 1, 3; L2 0.001, 0.1; fitted on every row or only where some feature exceeds its 98th percentile
(tail 0.98); coefficients free or monotone (none negative). Thresholds: the training categories' score quantiles
1 − 10^−(1…4) (61 values), the same rule for every model.

The new term, from the error analysis: at its serving threshold anomaly-4 misses 16 windows (AWS 10, AdExchange 6;
one in the first day); several go quiet, lower or change shape inside their range, with no new value and no larger
prediction error, which is what Wang et al.'s relative-entropy detector looks at (the distribution of a recent
window against a reference, not a point or a mean). Measured: inside 6 of the 16 missed windows it peaks above its
99th percentile outside the file's windows (ec2_cpu_utilization_53ea38 twice: 33.3 and 54.3 against 18.1,
24ae8d, elb_request_count_8c0756, exchange-2_cpc, exchange-4_cpc), the time of day against the profile in 8, the
time of day against the week's same hours 6, the surprise in context 5, rank shift 4, unseen patterns 4, quiet 1; but
ordinary steps of other files reach more (its 99th percentile outside windows is 40–70 on fe7f93, c0d644, grok,
iio NetworkIn, rds_cc0c53, exchange-4_cpm), the same story as the rank shift and the time of day in round 4.

Figures (standard profile; "held out": each category scored with the configuration and threshold chosen on the
other four, the five held-out parts normalised together; "all 44": configuration, fit and threshold on all 44 files,
in-sample):
- anomaly-4: 66.08 at its serving threshold 0.225; held out 65.72 on this quantile grid (per category AWS 54.0,
  AdExchange 58.4, Tweets 75.3, artificialWithAnomaly 88.7), 65.75 on nab_tried.py's fixed grid; 65.51 on all 44 on
  this grid (0.220 is not on it). The one-feature logistic model reproduces these exactly (a monotone map).
- Held out, per feature set over all its configurations / free coefficients only / monotone only:
  anomaly-4 terms 63.23 / 63.17 / 63.23 (AWS 59.3, AdExchange 65.0, Tweets 69.8, artificialWithAnomaly 42.7);
  + time of day profile 65.00 / **66.62** / 65.00 (free: AWS 58.5, AdExchange 71.2, Tweets 68.1, artificial 90.3: the
  best, +0.9 over anomaly-4, its configuration moving from fold to fold: ratio 0.3 or 3, L2 0.1 or 0.001, tail or not);
  + rounds 3-4 candidates 56.63 / 57.79 / 59.59 (AWS 44.3, Tweets 60.1); + relative entropy 61.13 / 61.13 / 57.45
  (AWS 51.8, artificialWithAnomaly 44.4). Every configuration of every set together: 60.50 (free 60.44, monotone
  62.95): the configuration that scores best on four categories is rarely the one that holds on the fifth.
- All 44 (in-sample, each set's best configuration and threshold on all files): anomaly-4 terms 68.63 (58.17
  reward_low_FP, 73.86 reward_low_FN; ratio 3, L2 0.1, tail, threshold 0.2116), + time of day profile 67.92 (57.98 /
  72.99; monotone), + rounds 3-4 candidates 67.48 (55.87 / 73.10), + relative entropy 66.91 (55.68 / 72.32): learned
  weights gain 1–3 points where they are fitted and lose 0–9 where they are not.
- Where the learned models lose held out: the Twitter volumes (75.3 for anomaly-4, 60–72 learned: the weights fitted
  on the other categories raise the surprise/seasonal terms, whose marginal crossings are the Twitter false alerts)
  and the artificial files with the anomaly-4-terms and relative-entropy sets (43 and 44 against 89: the three
  in-range changes of a daily pattern, art_daily_flatmiddle, jumpsdown and nojump, which anomaly-4 catches through
  its seasonal term, alert only after their windows end, rows 3276–3287, or not at all). The row-level objective is far
  from NAB's (the earliest detection per window, one alert a day, a threshold in the extreme tail): fitting only
  the tail rows raised the four-category scores (AdExchange fold 67.2 → 70.3) but not the held-out ones.
Result: best held out 66.62 against the bar 67.75 (= 65.75 + 2); not adopted, anomaly-4 stays. Every row of the
last JSON line holds the per-fold choices, thresholds and coefficients.
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detector  # noqa: E402
import nab  # noqa: E402
import nab_eval  # noqa: E402
import nab_tried  # noqa: E402
import nab_tried4  # noqa: E402

CACHE = os.environ.get("NAB6_CACHE", "/tmp/nab6-cache")
PROFILE = nab.PROFILES["standard"]
# the features, in this order: log(1 + term)
NAMES = ["raw4", "novelty", "seasonal", "surprise", "tod_profile", "tod_week", "rank_shift", "surprise_ctx", "quiet", "unseen", "rel_entropy"]
FEATURE_SETS = {
    "anomaly-4 alone": ["raw4"],
    "anomaly-4 terms": ["raw4", "novelty", "seasonal", "surprise"],
    "+ time of day profile": ["raw4", "novelty", "seasonal", "surprise", "tod_profile"],
    "+ rounds 3-4 candidates": NAMES[:-1],
    "+ relative entropy": NAMES,
}
RATIOS = (0.3, 1.0, 3.0)  # total negative weight / total positive weight
L2 = (1e-3, 1e-1)
TAILS = (None, 0.98)  # fitted on every row, or on the rows where some feature is in its top 2 %
MONOTONE = (False, True)  # coefficients of any sign, or none negative
# thresholds: the training categories' score quantiles 1 − 10^−(1…4), the same for every model (scale-free)
QUANTILES = 1.0 - 10.0 ** -np.linspace(1.0, 4.0, 61)


def relative_entropy(values: np.ndarray, steps_per_day: int, recent: int = 24, bins: int = 8) -> np.ndarray:
    """The new term (after Wang et al.'s relative-entropy detector, our own code): the newest `recent` points against
    the window's points before them, both as mid-ranks in the reference's empirical distribution (so ties and flat
    stretches compare equal and the bins are the reference's quantiles), histogrammed in `bins` equal bins of [0, 1]
    (+½ each); the relative entropy KL(recent ‖ reference) × 2·recent (Wang's statistic, ~χ² with bins − 1 degrees of
    freedom for the same distribution). It aims at the missed windows inside the range: a series that goes quiet,
    lower, or changes shape without a new value or a larger prediction error."""
    x = np.asarray(values, dtype=np.float64)
    out = np.zeros(len(x))
    for t in range(steps_per_day, len(x)):
        ref = np.sort(x[max(0, t - detector.WINDOW + 1) : t - recent + 1])
        if len(ref) < detector.MIN_REF:
            continue
        r = x[t - recent + 1 : t + 1]
        u_r = (np.searchsorted(ref, r, "left") + np.searchsorted(ref, r, "right")) / (2.0 * len(ref))
        u_ref = (np.searchsorted(ref, ref, "left") + np.searchsorted(ref, ref, "right")) / (2.0 * len(ref))
        q = np.bincount(np.minimum((u_r * bins).astype(int), bins - 1), minlength=bins) + 0.5
        p = np.bincount(np.minimum((u_ref * bins).astype(int), bins - 1), minlength=bins) + 0.5
        q, p = q / q.sum(), p / p.sum()
        out[t] = 2.0 * recent * float(np.sum(q * np.log(q / p)))
    return out


def features(i: int, name: str, ts: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The file's feature matrix (rows × NAMES), log(1 + term), 0 during the first day; cached per file."""
    path = os.path.join(CACHE, f"{i:02d}-{name.replace('/', '_')}.npy")
    if os.path.exists(path):
        return np.load(path)
    p = nab_eval.steps_per_day(ts)
    nov, sea, sur = detector.terms(v, p, detector.long_range(v, ts))
    cols = [np.maximum.reduce([nov, sea, sur]), nov, sea, sur,
            nab_tried4.time_of_day_profile(v, ts, p), nab_tried4.time_of_day(v, ts, p, 0.25), nab_tried4.auc_shift(v, p, 12),
            nab_tried4.surprise_in_context(v, p, 12), nab_tried.quiet(v), nab_tried.unseen_patterns(v, p, 6, 3, 12), relative_entropy(v, p)]
    f = np.log1p(np.maximum(np.nan_to_num(np.vstack(cols).T), 0.0))
    f[:p] = 0.0
    os.makedirs(CACHE, exist_ok=True)
    np.save(path, f)
    return f


def targets(n: int, wins, profile: dict = PROFILE) -> tuple[np.ndarray, np.ndarray]:
    """(label, weight) per row from NAB's own per-row rewards: inside a window its reward for a detection there
    (each window's total 1), outside NAB's false-positive cost there; probation rows weigh 0."""
    rows = nab.prepare(n, wins, profile)
    y = (rows.window_of >= 0).astype(float)
    w = np.where(y > 0, np.maximum(rows.sweep, 0.0), np.maximum(-rows.sweep, 0.0))
    for k in np.unique(rows.window_of[rows.window_of >= 0]):
        inside = rows.window_of == k
        total = w[inside & rows.scorable].sum()
        w[inside] = w[inside] / total if total > 0 else 0.0
    w[~rows.scorable] = 0.0
    return y, w


def fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, ratio: float, l2: float, tail: float | None = None, monotone: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted L2 logistic regression on standardised features (Newton's method): (mean, sd, coefficients with the
    intercept last). tail: fit only on the rows where some feature exceeds its `tail` quantile over the rows (the
    region where a threshold is decided; NAB scores only the tail), else on every row. monotone: no negative
    coefficient (a larger term never lowers the score): the most negative one is fixed at 0 and the rest refitted
    until none is negative."""
    keep = w > 0
    if tail is not None:
        keep &= np.any(X > np.quantile(X[keep], tail, axis=0), axis=1)
    X, y, w = X[keep], y[keep], w[keep].copy()
    w[y == 0] *= ratio * w[y > 0].sum() / w[y == 0].sum()
    w /= w.sum()
    mu, sd = X.mean(axis=0), np.maximum(X.std(axis=0), 1e-9)
    Z = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    free = np.ones(Z.shape[1], dtype=bool)
    while True:
        beta = np.zeros(Z.shape[1])
        Zf = Z[:, free]
        reg = np.full(Zf.shape[1], l2)
        reg[-1] = 0.0
        b = np.zeros(Zf.shape[1])
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-(Zf @ b)))
            grad = Zf.T @ (w * (p - y)) + reg * b
            hess = (Zf * (w * p * (1 - p))[:, None]).T @ Zf + np.diag(reg) + 1e-12 * np.eye(len(b))
            step = np.linalg.solve(hess, grad)
            b -= step
            if np.max(np.abs(step)) < 1e-8:
                break
        beta[free] = b
        if not monotone or beta[:-1].min() >= 0:
            return mu, sd, beta
        free[int(np.argmin(beta[:-1]))] = False


def predict(model, X: np.ndarray, warm: int) -> np.ndarray:
    mu, sd, beta = model
    s = 1.0 / (1.0 + np.exp(-(((X - mu) / sd) @ beta[:-1] + beta[-1])))
    s[:warm] = 0.0
    return s


def grid(scored: list[np.ndarray]) -> np.ndarray:
    allv = np.concatenate(scored)
    return np.unique(np.quantile(allv[allv > 0], QUANTILES))


def best_threshold(files, scored, idx) -> tuple[float, float]:
    """(normalised standard score on files idx, threshold) at the best of the grid of their scores."""
    sub, sc = [files[i] for i in idx], [scored[i] for i in idx]
    return max((nab_eval.corpus(sub, sc, PROFILE, float(th))[0], float(th)) for th in grid(sc))


def normalised(per: list[float], idx, n_windows) -> float:
    nw = sum(n_windows[i] for i in idx)
    return 100.0 * (sum(per[i] for i in idx) + PROFILE["fn"] * nw) / ((PROFILE["tp"] + PROFILE["fn"]) * nw)


def configs():
    return [(fs, r, l2, tail, m) for fs in FEATURE_SETS for r in RATIOS for l2 in L2 for tail in TAILS for m in MONOTONE]


def columns(fs: str) -> list[int]:
    return [j for j, nm in enumerate(NAMES) if nm in FEATURE_SETS[fs]]


def fold_table(files, F, Y, W, warm, cfgs, log=print) -> dict:
    """Per held-out category and configuration: fitted on the other four categories, the threshold swept there:
    (score on the other four, threshold, raw score per file at it, coefficients)."""
    cats = [name.split("/")[0] for name, _, _, _ in files]
    table: dict = {}
    for c in nab_eval.CATEGORIES:
        train = [i for i, x in enumerate(cats) if x != c]
        for cfg in cfgs:
            cols = columns(cfg[0])
            model = fit(np.vstack([F[i][:, cols] for i in train]), np.concatenate([Y[i] for i in train]), np.concatenate([W[i] for i in train]), *cfg[1:])
            scored = [predict(model, F[i][:, cols], warm[i]) for i in range(len(files))]
            on_train, th = best_threshold(files, scored, train)
            table[(c, cfg)] = (on_train, th, nab_eval.corpus(files, scored, PROFILE, th)[1], model[2])
        log(f"fold {c} fitted", flush=True)
    return table


def loco(files, table, cfgs) -> dict:
    """Leave one category out over the configurations cfgs: per fold the configuration and threshold that score best
    on the other four categories score the held-out one; the five held-out parts normalised together."""
    cats = [name.split("/")[0] for name, _, _, _ in files]
    n_windows = [p.n_windows for p in nab_eval._prepared(files, PROFILE)]
    held = [0.0] * len(files)
    choices = {}
    for c in nab_eval.CATEGORIES:
        cfg = max(cfgs, key=lambda k: table[(c, k)][0])
        on_train, th, per, beta = table[(c, cfg)]
        test = [i for i, x in enumerate(cats) if x == c]
        for i in test:
            held[i] = per[i]
        choices[c] = {"config": list(cfg), "threshold": round(th, 4), "score_on_the_other_four": round(float(on_train), 2),
                      "held_out": round(normalised(per, test, n_windows), 2) if sum(n_windows[i] for i in test) else None,
                      "coefficients": np.round(beta, 3).tolist()}
    return {"held_out_standard": round(normalised(held, range(len(files)), n_windows), 2), "choices": choices}


def missed_windows(files, F) -> list[dict]:
    """The error analysis behind the new term: the windows anomaly-4 misses at its serving threshold (after NAB's
    probation), each candidate term's peak inside the window against its 99th percentile outside the file's windows."""
    out = []
    for (name, ts, v, wins), f in zip(files, F):
        r = np.expm1(f[:, 0])
        alerts = np.flatnonzero(nab_eval.detections(ts, r / (r + detector.Z_HALF), detector.THRESHOLD))
        missed = [(a, b) for a, b in wins if b >= min(int(0.15 * len(v)), 750) and not any(a <= i <= b for i in alerts)]
        outside = np.ones(len(v), dtype=bool)
        for a, b in wins:
            outside[a : b + 1] = False
        for a, b in missed:
            row = {"file": name, "rows": [a, b]}
            for j in range(4, len(NAMES)):
                row[NAMES[j]] = [round(float(np.expm1(f[a : b + 1, j].max())), 2), round(float(np.expm1(np.percentile(f[outside, j], 99))), 2)]
            out.append(row)
    return out


def main() -> None:
    t0 = time.time()
    files = nab_eval.load()
    F = [features(i, name, ts, v) for i, (name, ts, v, _) in enumerate(files)]
    YW = [targets(len(v), w) for _, _, v, w in files]
    Y, W = [a for a, _ in YW], [b for _, b in YW]
    warm = [nab_eval.steps_per_day(ts) for _, ts, _, _ in files]
    print(f"features of {len(files)} files in {time.time() - t0:.0f} s", flush=True)
    missed = missed_windows(files, F)
    beyond = {nm: sum(row[nm][0] > row[nm][1] for row in missed) for nm in NAMES[4:]}
    print(f"{len(missed)} windows missed by anomaly-4 at {detector.THRESHOLD}; inside above the file's 99th percentile outside: {beyond}", flush=True)
    # anomaly-4 itself (its score; the one-feature model is a monotone map of it, so the same ranks and thresholds)
    s4 = []
    for f, p in zip(F, warm):
        r = np.expm1(f[:, 0])
        s4.append(r / (r + detector.Z_HALF))
    import nab_cv
    from nab_tried import GRID_TH

    a4_fixed = nab_cv.loco(files, [("anomaly-4", s4)], GRID_TH)["held_out_standard"]
    cfgs = configs()
    table = fold_table(files, F, Y, W, warm, cfgs)
    result = {"anomaly4_at_serving_threshold": round(nab_eval.corpus(files, s4, PROFILE, detector.THRESHOLD)[0], 2),
              "anomaly4_held_out_fixed_grid": a4_fixed, "by_feature_set": {}, "missed_windows": missed, "missed_windows_term_beyond_p99": beyond}
    for fs in FEATURE_SETS:
        for family, ms in (("", MONOTONE), (" free", (False,)), (" monotone", (True,))):
            res = loco(files, table, [k for k in cfgs if k[0] == fs and k[4] in ms])
            result["by_feature_set"][fs + family] = res
            print(f"{fs + family}: held out {res['held_out_standard']}", json.dumps(res["choices"]), flush=True)
    for family, ms in (("", MONOTONE), (" free", (False,)), (" monotone", (True,))):
        every = loco(files, table, [k for k in cfgs if k[4] in ms])
        result["all_configurations" + family] = every
        print(f"all configurations{family}: held out {every['held_out_standard']}", json.dumps(every["choices"]), flush=True)
    a4 = result["by_feature_set"]["anomaly-4 alone"]["held_out_standard"]
    bar = max(a4, a4_fixed) + 2.0
    # on all 44 files: each learned set's configuration chosen there (fit and threshold on all 44), three profiles
    everything = list(range(len(files)))
    whole = {}
    for fs in FEATURE_SETS:
        best = None
        for k in [k for k in cfgs if k[0] == fs]:
            model = fit(np.vstack([f[:, columns(fs)] for f in F]), np.concatenate(Y), np.concatenate(W), *k[1:])
            scored = [predict(model, f[:, columns(fs)], p) for f, p in zip(F, warm)]
            sc, th = best_threshold(files, scored, everything)
            if best is None or sc > best[0]:
                best = (sc, th, k, scored, model[2])
        sc, th, k, scored, beta = best
        whole[fs] = {"config": list(k), "threshold": round(th, 4), "coefficients": np.round(beta, 3).tolist(),
                     **{name: round(nab_eval.corpus(files, scored, prof, th)[0], 2) for name, prof in nab.PROFILES.items()}}
        print(f"{fs} on all 44 files: {json.dumps(whole[fs])}", flush=True)
    result["on_all_44"] = whole
    adopted = [fs for fs in FEATURE_SETS if fs != "anomaly-4 alone" and result["by_feature_set"][fs]["held_out_standard"] >= bar and whole[fs]["standard"] >= 66.1]
    adopted += [fam for fam in ("all_configurations", "all_configurations free", "all_configurations monotone") if result[fam]["held_out_standard"] >= bar]
    result["adoption"] = {"bar_held_out": round(bar, 2), "bar_all_44": 66.1, "adopted": adopted}
    print(f"adoption bar: held out ≥ {bar:.2f} and ≥ 66.1 on all 44; adopted: {adopted or 'none'} ({time.time() - t0:.0f} s)", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
