"""The anomaly detector (training/detector.py) on NAB's 44 development files, as serving runs it.

    python3 training/nab_eval.py    # prints the scores, writes models/anomaly-eval.json, the
                                    # model card and test/fixtures/anomaly-golden.json (about 1 min)

The files are read from ../shared/data/nab (or $FORESIGHT_NAB_DIR).

Each file is scored causally; a detection is a score at or above the threshold, and after one
the series stays quiet for SUPPRESS_S of event time (the alert stage's de-duplication, the
policy default `anomaly.suppressMinutes`), exactly as alerts.v1 would see it. The NAB score
(training/nab.py) is reported at the serving threshold (detector.THRESHOLD, the one the
processor uses) and, for reference, at the best threshold of a sweep over the same files (NAB's
own convention). NAB's realKnownCause and realTraffic are not here and never used.
"""
from __future__ import annotations

import csv
import json
import os
import sys
import time
from datetime import datetime, timezone

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detector  # noqa: E402
import nab  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
NAB_DIR = os.environ.get("FORESIGHT_NAB_DIR", os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "nab")))
CATEGORIES = ["realAWSCloudwatch", "realAdExchange", "realTweets", "artificialWithAnomaly", "artificialNoAnomaly"]
SUPPRESS_S = 24 * 3600  # = the policy default anomaly.suppressMinutes (src/policy/policy-schema.ts)


def _time(s: str) -> float:
    return datetime.strptime(s[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()


def load(nab_dir: str = NAB_DIR):
    """[(name, timestamps s, values, windows as (first row, last row))]"""
    with open(os.path.join(nab_dir, "labels", "combined_windows.json")) as f:
        labels = json.load(f)
    files = []
    for cat in CATEGORIES:
        for name in sorted(os.listdir(os.path.join(nab_dir, cat))):
            with open(os.path.join(nab_dir, cat, name), newline="") as f:
                rows = list(csv.DictReader(f))
            ts = np.array([_time(r["timestamp"]) for r in rows])
            values = np.array([float(r["value"]) for r in rows])
            wins = []
            for a, b in labels[f"{cat}/{name}"]:
                inside = np.flatnonzero((ts >= _time(a)) & (ts <= _time(b)))
                if len(inside):
                    wins.append((int(inside[0]), int(inside[-1])))
            files.append((f"{cat}/{name}", ts, values, wins))
    return files


def steps_per_day(ts: np.ndarray) -> int:
    """From the median step (NAB files: 5 minutes or 1 hour)."""
    return int(round(86400 / float(np.median(np.diff(ts)))))


def detections(ts: np.ndarray, scores: np.ndarray, threshold: float, suppress_s: float = SUPPRESS_S) -> np.ndarray:
    """The rows that alert: at or above the threshold, and not within suppress_s of the previous alert (event time)."""
    out = np.zeros(len(scores), dtype=bool)
    last = -np.inf
    for i in np.flatnonzero(scores >= threshold):
        if ts[i] - last >= suppress_s:
            out[i] = True
            last = ts[i]
    return out


_PREPARED: dict = {}  # NAB's per-row weights of each (files, profile): computed once per run


def _prepared(files, profile: dict) -> list:
    key = (tuple(name for name, _, _, _ in files), tuple(sorted(profile.items())))
    if key not in _PREPARED:
        _PREPARED[key] = [nab.prepare(len(v), w, profile) for _, _, v, w in files]
    return _PREPARED[key]


def corpus(files, scored, profile: dict, threshold: float) -> tuple[float, list[float]]:
    """(normalised score, raw score per file) at one threshold."""
    prepared = _prepared(files, profile)
    n_windows = sum(p.n_windows for p in prepared)
    null, perfect = -profile["fn"] * n_windows, profile["tp"] * n_windows
    per = [nab.raw_score(p, detections(ts, s, threshold), profile) for p, (_, ts, _, _), s in zip(prepared, files, scored)]
    if n_windows == 0:  # a set without windows (artificialNoAnomaly alone): only the raw scores mean something
        return 0.0, per
    return 100.0 * (sum(per) - null) / (perfect - null), per


def sweep(files, scored, profile: dict) -> tuple[float, float]:
    """(best normalised score, its threshold) over the top quantiles of all scores."""
    positive = np.concatenate(scored)
    positive = positive[positive > 0]
    best = (-np.inf, 0.0)
    for th in np.unique(np.quantile(positive, np.linspace(0.97, 1.0, 61))):
        best = max(best, (corpus(files, scored, profile, float(th))[0], float(th)))
    return best


def held_out(files, scored, profile: dict) -> float:
    """Leave one category out: the threshold swept on the other four categories scores the fifth;
    the held-out raw scores of all five, normalised together (no file scored at a threshold chosen on it)."""
    cats = [f[0].split("/")[0] for f in files]
    held = []
    for c in CATEGORIES:
        train = [i for i, x in enumerate(cats) if x != c]
        test = [i for i, x in enumerate(cats) if x == c]
        _, th = sweep([files[i] for i in train], [scored[i] for i in train], profile)
        per = corpus([files[i] for i in test], [scored[i] for i in test], profile, th)[1]
        held += [(files[i], r) for i, r in zip(test, per)]
    n_windows = sum(nab.prepare(len(f[2]), f[3], profile).n_windows for f, _ in held)
    null, perfect = -profile["fn"] * n_windows, profile["tp"] * n_windows
    return 100.0 * (sum(r for _, r in held) - null) / (perfect - null)


def score_all(files) -> list[np.ndarray]:
    """Every file scored as serving scores it: its window and the long range of the hours before each point."""
    return [detector.scores(v, steps_per_day(ts), detector.long_range(v, ts)) for _, ts, v, _ in files]


def golden(files, scored) -> list[dict]:
    """Windows and their newest point's score, for the TypeScript twin's parity test."""
    out = []
    for i in range(0, len(files), 6):
        name, ts, v, _ = files[i]
        p = steps_per_day(ts)
        for t in [p - 1, p + 100, len(v) // 2, int(np.argmax(scored[i])), len(v) - 1]:
            window = v[max(0, t - detector.WINDOW + 1) : t + 1]
            hi, lo = (float(a[t]) for a in detector.long_range(v, ts))
            out.append({"file": name, "t": t, "stepsPerDay": p, "window": window.tolist(), "longHi": None if np.isnan(hi) else hi,
                        "longLo": None if np.isnan(lo) else lo, "score": detector.score_last(window, p, hi, lo)})
    return out


def main() -> None:
    t0 = time.time()
    files = load()
    scored = score_all(files)
    print(f"scored {len(files)} files ({sum(len(v) for _, _, v, _ in files)} rows) in {time.time() - t0:.1f} s")
    results = {}
    for name, profile in nab.PROFILES.items():
        serving, per = corpus(files, scored, profile, detector.THRESHOLD)
        best, best_th = sweep(files, scored, profile)
        by_cat: dict[str, float] = {}
        for (fname, _, _, _), r in zip(files, per):
            by_cat[fname.split("/")[0]] = by_cat.get(fname.split("/")[0], 0.0) + r
        loco = held_out(files, scored, profile)
        results[name] = {"serving": round(serving, 2), "swept": round(best, 2), "swept_threshold": round(best_th, 4), "held_out_category": round(loco, 2),
                         "raw_by_category": {k: round(x, 2) for k, x in by_cat.items()}}
        print(f"NAB {name}: {serving:.1f} at the serving threshold {detector.THRESHOLD} (swept: {best:.1f} at {best_th:.4f}; "
              f"threshold chosen on the other four categories: {loco:.1f})")
    standard = corpus(files, scored, nab.PROFILES["standard"], detector.THRESHOLD)[1]
    alerts = [int(detections(ts, s, detector.THRESHOLD).sum()) for (_, ts, _, _), s in zip(files, scored)]
    report = {"version": detector.VERSION, "corpus": "NAB development set: 44 files (realAWSCloudwatch, realAdExchange, realTweets, "
              "artificialWithAnomaly, artificialNoAnomaly)", "serving_threshold": detector.THRESHOLD, "suppress_seconds": SUPPRESS_S,
              "profiles": results,
              "files": [{"file": f, "windows": len(w), "alerts": a, "raw_standard": round(r, 3)} for (f, _, _, w), a, r in zip(files, alerts, standard)]}
    with open(os.path.join(ROOT, "models", "anomaly-eval.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(ROOT, "test", "fixtures", "anomaly-golden.json"), "w") as f:
        json.dump({"version": detector.VERSION, "threshold": detector.THRESHOLD, "vectors": golden(files, scored)}, f)
    import model_card

    model_card.write(os.path.join(ROOT, "models"))
    print(f"wrote models/anomaly-eval.json, models/MODEL_CARD.md and test/fixtures/anomaly-golden.json in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
