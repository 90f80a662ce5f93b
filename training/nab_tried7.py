"""Seventh round (issue 14 §2): a shape term, the newest subsequence's distance to its nearest neighbour earlier in the window.

    FORESIGHT_NAB_DIR=… python3 training/nab_tried7.py    # about 5 minutes on the shared machine; one JSON line last

Rounds 3–6 found that the windows anomaly-4 misses change shape inside the series' range (the model card lists
them), and that the terms tried for that (unseen binned patterns, a rank shift, a relative entropy, the daily
profile) separate them within a file but not at one scale for all files. Not tried yet: the distance used by
matrix-profile discord detection. For each point, the z-normalised Euclidean distance from the newest m points to
the nearest other m points of the window before them (576 steps; trivial matches within m/2 excluded), divided by
√m so it lies in [0, 2] whatever the series' scale or noise (the left matrix profile). Two ways to turn it into a
term beside anomaly-4's (the largest term wins, as there):

- absolute: 2 w × max(0, d − 0.5) (a subsequence whose nearest neighbour is further than half the largest
  possible distance; the same scale for every series);
- relative: 4 w × max(0, d / q99 − 1), q99 the 99th percentile of d over the 576 steps before (per series: a
  noisy series, whose subsequences are all far apart, weighs its distances less; the ratio is capped at 10, which it
  also is where q99 is 0 and d is not). Serving could not compute this
  one from the windows alone (it needs the distance at each of the 576 earlier steps: ~550 times the cost).

Lengths m 12, 24, 48 (one hour to four hours at 5-minute steps); weights w 1, 2, 3 (absolute) and 0.5, 1, 2
(relative). Same protocol as rounds 3–6 (nab_tried.py's fixed threshold grid and leave-one-category-out).

The rule, written before the first run (round 6's): a term is adopted when, with its parameters chosen inside each
fold (candidate and threshold together), the held-out standard score gains at least 2 points over anomaly-4 alone
on the same grid (65.75), and its figure at the serving threshold on all 44 files is above anomaly-4's (66.1).
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detector  # noqa: E402
import nab_cv  # noqa: E402
import nab_eval  # noqa: E402
from nab_tried import GRID_TH, anomaly4_raws, as_score, profiles_at, swept  # noqa: E402
from nab_tried4 import counts  # noqa: E402

LENGTHS = (12, 24, 48)
ABSOLUTE_WEIGHTS = (1, 2, 3)
RELATIVE_WEIGHTS = (0.5, 1, 2)


def left_distance(values: np.ndarray, m: int, window: int = detector.WINDOW) -> np.ndarray:
    """d[t]: the z-normalised distance / √m from values[t-m+1..t] to its nearest neighbour ending at t-m/2 or earlier
    and starting within the window before t; NaN before the first such neighbour. A flat subsequence (standard
    deviation under 1e-3 of the series' mean level) normalises to zeros."""
    n = len(values)
    x = np.lib.stride_tricks.sliding_window_view(values.astype(float), m)  # row i ends at i + m - 1
    sd = x.std(axis=1, keepdims=True)
    floor = 1e-3 * (np.abs(values).mean() + detector.TINY)
    z = (x - x.mean(axis=1, keepdims=True)) / np.maximum(sd, floor)
    z[sd[:, 0] < floor] = 0.0
    sq = (z**2).sum(axis=1)
    out = np.full(n, np.nan)
    block = 256
    for a in range(0, len(z), block):
        b = min(len(z), a + block)
        lo = max(0, a - (window - m))
        dist = sq[a:b, None] + sq[None, lo:b] - 2.0 * (z[a:b] @ z[lo:b].T)
        i, j = np.arange(a, b)[:, None], np.arange(lo, b)[None, :]
        dist = np.where((j <= i - m // 2) & (j >= i - (window - m)), dist, np.inf)
        nearest = dist.min(axis=1)
        nearest[~np.isfinite(nearest)] = np.nan
        out[np.arange(a, b) + m - 1] = np.sqrt(np.maximum(nearest, 0.0) / m)
    return out


def trailing_quantile(d: np.ndarray, window: int = detector.WINDOW, q: float = 0.99, least: int = 48) -> np.ndarray:
    out = np.full(len(d), np.nan)
    for t in range(len(d)):
        seg = d[max(0, t - window) : t]
        seg = seg[np.isfinite(seg)]
        if len(seg) >= least:
            out[t] = np.quantile(seg, q)
    return out


def relative(d: np.ndarray, q: np.ndarray, most: float = 10.0) -> np.ndarray:
    """d / q, at most `most`; where q is 0 (every earlier subsequence alike) a distance above 0 is `most`; 0 where unknown."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(q > 0, d / q, np.where(d > 0, most, 0.0))
    return np.nan_to_num(np.minimum(out, most), nan=0.0)


def main() -> None:
    files = nab_eval.load()
    P, raws = anomaly4_raws(files)
    score = as_score

    base = [("anomaly-4", [score(r, p) for r, p in zip(raws, P)])]
    family = []
    for m in LENGTHS:
        d = [left_distance(v, m) for _, _, v, _ in files]
        q = [trailing_quantile(x) for x in d]
        print(f"distances m {m} computed", flush=True)
        for w in ABSOLUTE_WEIGHTS:
            family.append((f"discord m{m} absolute w{w}", [score(np.maximum(r, 2 * w * np.maximum(0, np.nan_to_num(x) - 0.5)), p)
                                                           for r, x, p in zip(raws, d, P)]))
        for w in RELATIVE_WEIGHTS:
            family.append((f"discord m{m} relative w{w}", [score(np.maximum(r, 4 * w * np.maximum(0, relative(x, y) - 1)), p)
                                                           for r, x, y, p in zip(raws, d, q, P)]))
    rows = {}
    for label, scored in base + family:
        best, th = swept(files, scored)
        alone = nab_cv.loco(files, [(label, scored)], GRID_TH)
        rows[label] = {"at_serving_threshold": profiles_at(files, scored, detector.THRESHOLD), "swept": [round(best, 2), round(th, 4)],
                       "held_out_threshold_only": alone["held_out_standard"],
                       "at_serving_threshold_by_category": counts(files, scored, detector.THRESHOLD)}
        print(label, json.dumps(rows[label]), flush=True)
    procedures = {"anomaly-4 alone": nab_cv.loco(files, base, GRID_TH), "anomaly-4 and the discord terms": nab_cv.loco(files, base + family, GRID_TH)}
    for label, res in procedures.items():
        print(label, json.dumps(res), flush=True)
    print(json.dumps({"candidates": rows, "held_out_candidate_and_threshold": procedures}))


if __name__ == "__main__":
    main()
