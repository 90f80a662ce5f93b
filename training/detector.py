"""The anomaly detector (anomaly-3): a deterministic streaming algorithm, no trained weights.
Its TypeScript twin (src/scoring/anomaly-detector.ts) serves it; test/fixtures/anomaly-golden.json
(written by training/nab_eval.py) keeps the two in agreement.

The score of point t uses only the points of the last WINDOW steps ending at t (two days of
5-minute steps), and only those since the series began:

- Novelty at three scales (k = 1, 6, 24 steps: a point, half an hour, two hours): the mean of
  the newest k points against the reference, the window's points before them. Only the part
  beyond the reference's range counts (max(0, mean − max, min − mean)), in units of the
  reference's standard deviation, times k^¼ (a sustained departure weighs more than one
  point). A value seen within the last two days is not novel, so recurring daily spikes do
  not alert; spikes, level shifts and drifts out of the range do.
- Long memory (anomaly-4): for the single point (k = 1) the range also spans the LONG_HOURS
  (7 days) whole clock hours before the newest point's hour, at hourly resolution (each hour's
  min and max: what the Redis hour buckets hold), so a spike as high as one seen within the
  week is not novel either (the Twitter-volume false alerts). Only the range is widened; the
  standard deviation stays the window's. Without the hours (scores() without `long`), the
  range is the window's alone.
- Change of the daily shape (k = 6, 24): the same on the day-over-day differences
  d_i = x_i − x_{i−P} (P steps per day): |mean of the newest k differences − mean of the
  earlier ones| in units of their standard deviation, times k^¼, weighted SEASONAL_WEIGHT. It
  catches a periodic series that goes flat, shifts or changes shape while staying in range.
- Prediction-error surprise (HTM's anomaly-likelihood idea on a simple predictor): the error
  e_i = |x_i − mean of the PRED_STEPS points before i|; the mean error of the newest
  SURPRISE_RECENT points against the SURPRISE_REF errors before them, as a z (one-sided: only
  a rise in error counts), weighted SURPRISE_WEIGHT. It catches a series that becomes noisier,
  spikier or changes its pattern while staying inside its range (the in-range anomalies the
  novelty terms miss). Uses the last PRED_STEPS + SURPRISE_REF + SURPRISE_RECENT points (430),
  inside the window.
- Scales are floored at 1e-3 × |mean level| + 1e-9, so a flat line stays quiet until it moves.
- raw = max of the above; score = raw / (raw + Z_HALF), in [0, 1).
- Warm-up: a component needs MIN_REF reference points; nothing scores before one day (P steps)
  of history.
"""
from __future__ import annotations

import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

VERSION = "anomaly-4.0.0"
# The serving threshold: the alert stage's default (policy anomaly.threshold), chosen on NAB's
# 44 development files (training/nab_eval.py) and fixed; realKnownCause/realTraffic never seen.
THRESHOLD = 0.225
WINDOW = 576
SCALES = (1, 6, 24)
SEASONAL_SCALES = (6, 24)
SEASONAL_WEIGHT = 0.1
SCALE_EXPONENT = 0.25
PRED_STEPS = 6
SURPRISE_RECENT = 24
SURPRISE_REF = 400
SURPRISE_WEIGHT = 0.85
MIN_REF = 48
LONG_HOURS = 168
HOUR_S = 3600
Z_HALF = 5.0
LEVEL_FLOOR = 1e-3
TINY = 1e-9


def _rolling(values: np.ndarray, width: int, fn) -> np.ndarray:
    """fn over the `width` values ending at each t (fewer at the start; NaN are absent values)."""
    padded = np.concatenate([np.full(width - 1, np.nan), values])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices at the start
        return fn(sliding_window_view(padded, width), axis=1)


def _lag(a: np.ndarray, d: int) -> np.ndarray:
    out = np.full(len(a), np.nan)
    if d < len(a):
        out[d:] = a[: len(a) - d]
    return out


def _trailing_mean(values: np.ndarray, k: int) -> np.ndarray:
    return _rolling(values, k, np.mean)


def hour_buckets(values: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each point's hour bucket from the first point's, each bucket's max, min; NaN for an hour without points),
    times in seconds: the Redis hour buckets' max and min."""
    hour = np.floor(np.asarray(times, dtype=np.float64) / HOUR_S).astype(np.int64)
    h = hour - hour[0]
    hmax = np.full(h[-1] + 1, -np.inf)
    hmin = np.full(h[-1] + 1, np.inf)
    np.maximum.at(hmax, h, values)
    np.minimum.at(hmin, h, values)
    hmax[np.isinf(hmax)] = np.nan
    hmin[np.isinf(hmin)] = np.nan
    return h, hmax, hmin


def long_range(values: np.ndarray, times: np.ndarray, hours: int = LONG_HOURS) -> tuple[np.ndarray, np.ndarray]:
    """(max, min) per point of the values in the `hours` whole clock hours before the point's own
    hour (times in seconds; NaN where none): what serving reads from the hour buckets."""
    h, hmax, hmin = hour_buckets(values, times)
    before = h - 1  # the last whole hour before each point's
    ok = before >= 0
    hi = np.where(ok, _rolling(hmax, hours, np.nanmax)[np.maximum(before, 0)], np.nan)
    lo = np.where(ok, _rolling(hmin, hours, np.nanmin)[np.maximum(before, 0)], np.nan)
    return hi, lo


def scores(values: np.ndarray, steps_per_day: int = 288, long: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The score of every point of one series, causally (vectorised; equal to scoring each
    point from its own window and long range, as the TypeScript twin does). `long`: each
    point's long range (long_range(values, times)); without it, the window's range alone."""
    return combine(*terms(values, steps_per_day, long), steps_per_day)


def combine(novelty: np.ndarray, seasonal: np.ndarray, surprise: np.ndarray, steps_per_day: int = 288) -> np.ndarray:
    """The score from the three weighted terms: their max, nothing during the first day, raw / (raw + Z_HALF)."""
    raw = np.maximum(np.maximum(novelty, seasonal), surprise)
    raw[: min(steps_per_day, len(raw))] = 0.0  # warm-up: one day
    return raw / (raw + Z_HALF)


def terms(values: np.ndarray, steps_per_day: int = 288, long: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The raw terms of every point, weighted, before the warm-up: (novelty, seasonal, surprise).
    Separate so that training/nab_tried.py can measure stages on top of them."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    P = steps_per_day
    raw = np.zeros(n)
    count = np.minimum(np.arange(n) + 1, WINDOW)  # points in the window ending at t
    level = _lag(_rolling(x, WINDOW - 1, np.nanmean), 1)  # mean of the window before t
    floor = LEVEL_FLOOR * np.abs(level) + TINY
    for k in SCALES:
        recent = _trailing_mean(x, k)
        ref_n = count - k
        hi = _lag(_rolling(x, WINDOW - k, np.nanmax), k)
        lo = _lag(_rolling(x, WINDOW - k, np.nanmin), k)
        sd = _lag(_rolling(x, WINDOW - k, np.nanstd), k)
        if k == 1 and long is not None:
            hi, lo = np.fmax(hi, long[0]), np.fmin(lo, long[1])
        with np.errstate(all="ignore"):
            e = np.maximum(0.0, np.maximum(recent - hi, lo - recent)) / np.maximum(sd, floor) * k**SCALE_EXPONENT
        e[(ref_n < MIN_REF) | np.isnan(e)] = 0.0
        raw = np.maximum(raw, e)
    novelty, raw = raw, np.zeros(n)
    if n > P:
        d = np.full(n, np.nan)
        d[P:] = x[P:] - x[:-P]
        for k in SEASONAL_SCALES:
            recent = np.full(n, np.nan)
            recent[P + k - 1 :] = _trailing_mean(d[P:], k)[k - 1 :]
            width = WINDOW - P - k
            if width < 1:
                continue
            mu = _lag(_rolling(d, width, np.nanmean), k)
            sd = _lag(_rolling(d, width, np.nanstd), k)
            ref_n = np.minimum(np.arange(n) + 1 - P, WINDOW - P) - k  # differences in the reference
            with np.errstate(all="ignore"):
                s = np.abs(recent - mu) / np.maximum(sd, floor) * k**SCALE_EXPONENT * SEASONAL_WEIGHT
            s[(ref_n < MIN_REF) | np.isnan(s)] = 0.0
            raw = np.maximum(raw, s)
    seasonal = raw
    pred = _lag(_trailing_mean(x, PRED_STEPS), 1)  # mean of the PRED_STEPS points before t
    err = np.abs(x - pred)
    err[np.isnan(err)] = 0.0  # 0 until PRED_STEPS points precede
    k = SURPRISE_RECENT
    recent = _trailing_mean(err, k)
    mu = _lag(_rolling(err, SURPRISE_REF, np.nanmean), k)
    sd = _lag(_rolling(err, SURPRISE_REF, np.nanstd), k)
    ref_n = np.minimum(np.arange(n) + 1 - k, SURPRISE_REF)
    with np.errstate(all="ignore"):
        z = np.maximum(0.0, recent - mu) / np.maximum(sd, floor) * SURPRISE_WEIGHT
    z[(ref_n < MIN_REF) | np.isnan(z)] = 0.0
    return novelty, seasonal, z


def score_last(window: np.ndarray, steps_per_day: int = 288, long_hi: float = np.nan, long_lo: float = np.nan) -> float:
    """The score of the newest point from its window and the long range of the hours before it
    (NaN: none) alone (the serving form; for the golden file)."""
    w = np.asarray(window, dtype=np.float64)[-WINDOW:]
    hi, lo = np.full(len(w), np.nan), np.full(len(w), np.nan)
    hi[-1], lo[-1] = long_hi, long_lo
    return float(scores(w, steps_per_day, (hi, lo))[-1])
