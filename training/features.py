"""Forecaster features, causal: the features at step t use only values[0..t].

The TypeScript serving code (src/scoring/features.ts) builds the same vector; the parity
test compares both on golden vectors written by training/train.py.

At step t (5-minute steps, horizon H steps; step t starts at T = start_s + 300 t):
  scale        = max(max(values[t-11..t]), 0.01 * max(values[t-287..t])) + 1e-9
                 (the last hour's peak, i.e. the naive-peak forecast, so the model learns a
                 ratio to it; kept away from 0 after an idle hour by the last 24 hours' peak)
  fine[24]     = values[t-23..t] / scale                    (last 2 hours, 5-minute)
  hourly_mean[24], hourly_max[24]                           (last 24 hours in 1-hour buckets, / scale)
  day_ago_peak = max(values[t+1-288 .. t+H-288]) / scale     (the same horizon one day earlier)
  time[4]      = sin/cos of the time of day and of the day of week of step t
  weekly[7]    = from the coarse context (below), / scale:
                 week_ago   = max(c[0], c[1])   (the hours of the horizon one week earlier)
                 d7_mean, d7_max = mean and max over the last 7 days of the same hours'
                              max(c[24 k], c[24 k + 1]), k = 0..6 (daily shape, seen 7 times)
                 wk_mean, wk_max, wk_p90 = mean, max and sorted(c)[151] of the 168 hours
                 (each ratio capped at 50, as the training target is)
                 known_share = the share of the 168 hours that had data (not divided by scale)
Coarse context c[0..167]: the mean of each of the 168 complete clock hours before the hour
that step t's end falls in (as the 35-day hourly windows in Redis hold them: bucket means),
oldest first. An hour without data takes the previous hour's mean; hours before the first
hour with data take its mean; with no hour at all, every hour is the 24-hour mean.
Target: max(values[t+1..t+H]) / scale.
"""
from __future__ import annotations

import math

import numpy as np

DAY = 288  # 5-minute steps per day
WEEK = 7 * DAY
HISTORY = DAY  # steps of fine history a feature vector needs
COARSE_HOURS = 168  # hours of coarse context (7 days)
P90_INDEX = 151  # sorted(c)[151]: the 90th percentile of 168 hourly means
WEEKLY_CAP = 50.0  # a busy week before an idle day: the ratios to the day's scale are capped, as the target is
LAST_HOUR = 12  # steps of the scale's peak
N_FINE = 24
N_HOURS = 24
N_WEEKLY = 7
N_FEATURES = N_FINE + 2 * N_HOURS + 1 + 4 + N_WEEKLY
FEATURE_NAMES = (
    [f"fine_{i}" for i in range(N_FINE)]
    + [f"hour_mean_{i}" for i in range(N_HOURS)]
    + [f"hour_max_{i}" for i in range(N_HOURS)]
    + ["day_ago_peak", "tod_sin", "tod_cos", "dow_sin", "dow_cos"]
    + ["week_ago", "d7_mean", "d7_max", "wk_mean", "wk_max", "wk_p90", "known_share"]
)


class HourlyMeans:
    """The clock-hour means of one series (what the coarse windows hold), for coarse_at()."""

    def __init__(self, values: np.ndarray, start_s: int):
        hours = (start_s + 300 * np.arange(len(values))) // 3600
        self.first = int(hours[0])
        idx = hours - self.first
        n = int(idx[-1]) + 1
        sums = np.bincount(idx, weights=values, minlength=n)
        counts = np.bincount(idx, minlength=n)
        self.means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        self.start_s = start_s
        self.padded = np.concatenate([np.full(COARSE_HOURS, np.nan), self.means, np.full(COARSE_HOURS, np.nan)])

    def coarse_at(self, t: int) -> np.ndarray:
        """The raw context of step t: 168 hourly means, NaN where an hour had no data."""
        h_now = (self.start_s + 300 * t + 300) // 3600  # the hour step t's end falls in
        i = h_now - COARSE_HOURS - self.first + COARSE_HOURS  # index into the padded means
        return self.padded[i : i + COARSE_HOURS]


def fill_coarse(raw: np.ndarray, fallback: float) -> tuple[np.ndarray, float]:
    known = ~np.isnan(raw)
    if not known.any():
        return np.full(COARSE_HOURS, fallback), 0.0
    if known.all():
        return raw, 1.0
    c = raw.copy()
    last = c[np.argmax(known)]
    for k in range(COARSE_HOURS):
        if np.isnan(c[k]):
            c[k] = last
        else:
            last = c[k]
    return c, float(known.sum()) / COARSE_HOURS


def feature_matrix(values: np.ndarray, start_s: int, horizon: int, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features for each step in ts (each ≥ HISTORY-1), and their scales."""
    X = np.empty((len(ts), N_FEATURES), dtype=np.float64)
    scales = np.empty(len(ts))
    hourly = HourlyMeans(values, start_s)
    for k, t in enumerate(ts):
        X[k], scales[k] = features_at(values, start_s, horizon, int(t), hourly.coarse_at(int(t)))
    return X, scales


def features_at(values: np.ndarray, start_s: int, horizon: int, t: int, coarse: np.ndarray) -> tuple[np.ndarray, float]:
    day = values[t - DAY + 1 : t + 1]
    scale = max(float(values[t - LAST_HOUR + 1 : t + 1].max()), 0.01 * float(day.max())) + 1e-9
    fine = values[t - N_FINE + 1 : t + 1] / scale
    hours = day.reshape(N_HOURS, DAY // N_HOURS)
    hmean = hours.mean(axis=1) / scale
    hmax = hours.max(axis=1) / scale
    lo = t + 1 - DAY
    day_ago = values[lo : lo + horizon].max() / scale
    secs = start_s + t * 300
    tod = (secs % 86400) / 86400.0
    dow = ((secs // 86400 + 3) % 7) / 7.0  # 1970-01-01 was a Thursday; 0 = Monday
    tf = [math.sin(2 * math.pi * tod), math.cos(2 * math.pi * tod), math.sin(2 * math.pi * dow), math.cos(2 * math.pi * dow)]
    return np.concatenate([fine, hmean, hmax, [day_ago], tf, weekly_features(coarse, float(day.mean()), scale)]), scale


def weekly_features(raw: np.ndarray, day_mean: float, scale: float) -> list[float]:
    c, known = fill_coarse(raw, day_mean)
    same = [max(c[24 * k], c[24 * k + 1]) for k in range(7)]
    f = [max(c[0], c[1]), sum(same) / 7, max(same), float(c.mean()), float(c.max()), float(np.sort(c)[P90_INDEX])]
    return [min(x / scale, WEEKLY_CAP) for x in f] + [known]


def horizon_peak(values: np.ndarray, horizon: int, ts: np.ndarray) -> np.ndarray:
    return np.array([values[t + 1 : t + 1 + horizon].max() for t in ts])
