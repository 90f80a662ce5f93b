"""How the anomaly detector's prediction-error surprise term was chosen: leave one NAB category out.

    python3 training/nab_cv.py    # about 5 minutes (13 configurations × 44 files); prints one JSON line last

For each of the five categories of the development files, the configuration and the threshold
that score best (standard profile, serving's one-day suppression) on the other four categories
score the held-out one; the five held-out parts are normalised together. The candidates are
anomaly-2 (no surprise term) and the last grid of surprise parameters that was compared (the grid
was narrowed after earlier whole-corpus runs, so the held-out figure is somewhat optimistic).
The scoring code is training/detector.py itself (with its long memory, as nab_eval scores it), its
constants set per configuration. Held-out standard: 57.2 for anomaly-3, 59.9 for anomaly-4.
"""
from __future__ import annotations

import itertools
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detector  # noqa: E402
import nab  # noqa: E402
import nab_eval  # noqa: E402

# (PRED_STEPS, SURPRISE_RECENT, SURPRISE_REF, SURPRISE_WEIGHT); weight 0 = anomaly-2
GRID = [(6, 24, 400, 0.0)] + [
    (p, k, ref, w) for (p, k, ref), w in itertools.product([(12, 24, 400), (12, 24, 300), (6, 24, 400), (12, 36, 400)], [0.5, 0.7, 0.85])
]


def scored_with(files, cfg) -> list[np.ndarray]:
    saved = (detector.PRED_STEPS, detector.SURPRISE_RECENT, detector.SURPRISE_REF, detector.SURPRISE_WEIGHT)
    detector.PRED_STEPS, detector.SURPRISE_RECENT, detector.SURPRISE_REF, detector.SURPRISE_WEIGHT = cfg
    try:
        return nab_eval.score_all(files)
    finally:
        detector.PRED_STEPS, detector.SURPRISE_RECENT, detector.SURPRISE_REF, detector.SURPRISE_WEIGHT = saved


def loco(files, candidates, thresholds=None) -> dict:
    """Leave one category out over candidates [(label, scores per file)]: for each category, the candidate and
    threshold that score best (standard profile) on the other four score it; the held-out parts normalised together.
    thresholds: one grid for all candidates, or None for each candidate's top score quantiles (0.97–1)."""
    profile = nab.PROFILES["standard"]
    cats = [name.split("/")[0] for name, _, _, _ in files]
    table = []  # (label, threshold, raw score per file)
    for label, scored in candidates:
        if thresholds is None:
            positive = np.concatenate(scored)
            grid = np.unique(np.quantile(positive[positive > 0], np.linspace(0.97, 1.0, 61)))
        else:
            grid = thresholds
        for th in grid:
            table.append((label, float(th), nab_eval.corpus(files, scored, profile, float(th))[1]))
    n_windows = [p.n_windows for p in nab_eval._prepared(files, profile)]

    def normalised(per: list[float], idx: list[int]) -> float:
        nw = sum(n_windows[i] for i in idx)
        return 100.0 * (sum(per[i] for i in idx) + profile["fn"] * nw) / ((profile["tp"] + profile["fn"]) * nw)

    held = [0.0] * len(files)
    choices = {}
    for c in nab_eval.CATEGORIES:
        train = [i for i, x in enumerate(cats) if x != c]
        label, th, per = max(table, key=lambda row: normalised(row[2], train))
        for i, x in enumerate(cats):
            if x == c:
                held[i] = per[i]
        choices[c] = {"config": label, "threshold": round(th, 4), "score_on_the_other_four": round(normalised(per, train), 2)}
    everything = list(range(len(files)))
    best_all = max(table, key=lambda row: normalised(row[2], everything))
    return {"held_out_standard": round(normalised(held, everything), 2), "choices": choices,
            "best_on_all_files": {"config": best_all[0], "threshold": round(best_all[1], 4), "standard": round(normalised(best_all[2], everything), 2)}}


def main() -> None:
    files = nab_eval.load()
    candidates = []
    for cfg in GRID:
        candidates.append((list(cfg), scored_with(files, cfg)))
        print(f"scored {cfg}", flush=True)
    result = loco(files, candidates)
    for c, choice in result["choices"].items():
        print(f"held out {c}: chose {tuple(choice['config'])} at {choice['threshold']:.4f}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
