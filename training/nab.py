"""The NAB score (Numenta Anomaly Benchmark), implemented from NAB's published scoring rules
(Lavin & Ahmad 2015, "Evaluating Real-time Anomaly Detection Algorithms"; the rules as
summarised in ../shared/data/README.md):

- The labelled windows are given (labels/combined_windows.json).
- The first min(floor(15% of rows), 750) rows are probation: never scored.
- A row is a detection when its anomaly score ≥ the threshold.
- Inside a window only the best (= earliest) detection counts:
  tpWeight × σ_s(p) / σ_s(−1), with p = −(right − i + 1) / width and σ_s(x) = 2·sigmoid(−5x) − 1.
  A window without a detection scores −fnWeight.
- A detection outside every window is a false positive scoring fpWeight × σ_s(p), with
  p = |i − right of the previous window| / (width of the previous window − 1), or p = 3
  (σ_s = −1) when no window came before; σ_s(p) = −1 for p ≥ 3.
- The threshold is swept; for a corpus, one threshold for all files.
- Normalised: 100 × (raw − null) / (perfect − null), where the null detector detects nothing
  (−fnWeight per window) and the perfect one detects every window at its first row
  (+tpWeight per window).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def scaled_sigmoid(p: float) -> float:
    if p >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * p)) - 1.0


@dataclass
class FileRows:
    """Per row: the window it belongs to (index, or -1), and its sweep score if detected."""
    window_of: np.ndarray
    sweep: np.ndarray
    scorable: np.ndarray
    n_windows: int


def prepare(n_rows: int, windows: list[tuple[int, int]], profile: dict) -> FileRows:
    """windows: (first row, last row) indexes, inclusive, sorted."""
    probation = min(math.floor(0.15 * n_rows), 750)
    window_of = np.full(n_rows, -1)
    sweep = np.zeros(n_rows)
    max_tp = scaled_sigmoid(-1.0)
    prev_right, prev_width = None, None
    w = 0
    i = 0
    windows = sorted(windows)
    while i < n_rows:
        if w < len(windows) and windows[w][0] <= i <= windows[w][1]:
            left, right = windows[w]
            width = right - left + 1
            for j in range(i, right + 1):
                window_of[j] = w
                sweep[j] = scaled_sigmoid(-(right - j + 1) / width) * profile["tp"] / max_tp
            prev_right, prev_width = right, width
            i = right + 1
            w += 1
            continue
        p = 3.0 if prev_right is None else abs(prev_right - i) / (prev_width - 1)
        sweep[i] = scaled_sigmoid(p) * profile["fp"]
        i += 1
    scorable = np.arange(n_rows) >= probation
    # windows entirely inside the probation period are not scored
    scored_windows = {int(x) for x in window_of[scorable] if x >= 0}
    return FileRows(window_of, sweep, scorable, len(scored_windows))


def raw_score(rows: FileRows, detections: np.ndarray, profile: dict) -> float:
    det = detections & rows.scorable
    score = 0.0
    best: dict[int, float] = {}
    for i in np.flatnonzero(det):
        w = int(rows.window_of[i])
        if w < 0:
            score += rows.sweep[i]
        else:
            best[w] = max(best.get(w, -math.inf), rows.sweep[i])
    windows = {int(x) for x in rows.window_of[rows.scorable] if x >= 0}
    for w in windows:
        score += best.get(w, -profile["fn"])
    return score


def suppress(scores: np.ndarray, rows: int) -> np.ndarray:
    """Causal alert suppression, independent of the threshold: a row keeps its score only when
    it is higher than every score of the previous `rows` rows, else it scores 0. At any
    threshold, a detection is then never followed by another within `rows` rows unless the
    later one is more anomalous."""
    out = scores.copy()
    from collections import deque

    q: deque[tuple[int, float]] = deque()  # (index, score), decreasing scores: a sliding maximum
    for i, s in enumerate(scores):
        while q and q[0][0] < i - rows:
            q.popleft()
        if q and q[0][1] >= s:
            out[i] = 0.0
        while q and q[-1][1] <= s:
            q.pop()
        q.append((i, s))
    return out


def corpus_score(files: list[tuple[FileRows, np.ndarray]], profile: dict, thresholds=None) -> tuple[float, float, float]:
    """(normalised score, best threshold, raw) over files of (rows, anomaly scores)."""
    n_windows = sum(r.n_windows for r, _ in files)
    null = -profile["fn"] * n_windows
    perfect = profile["tp"] * n_windows
    if thresholds is None:
        allscores = np.concatenate([s for _, s in files])
        thresholds = np.unique(np.quantile(allscores, np.linspace(0.5, 1.0, 201)))
    best = (-math.inf, None, None)
    for th in thresholds:
        raw = sum(raw_score(r, s >= th, profile) for r, s in files)
        if raw > best[0]:
            best = (raw, th, raw)
    raw, th, _ = best
    return 100.0 * (raw - null) / (perfect - null), float(th), raw
