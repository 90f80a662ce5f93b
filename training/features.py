"""Forecaster features, causal: the features at step t use only values[0..t].

The TypeScript serving code (src/scoring/features.ts) builds the same vector; the parity
test compares both on golden vectors written by training/train.py.

At step t (5-minute steps, horizon H steps):
  scale        = max(mean(values[t-287..t]), 0.01 * max(values[t-287..t])) + 1e-9
                 (the last 24 hours; per-series normalisation, kept away from 0 on idle days)
  fine[24]     = values[t-23..t] / scale                    (last 2 hours, 5-minute)
  hourly_mean[24], hourly_max[24]                           (last 24 hours in 1-hour buckets, / scale)
  day_ago_peak = max(values[t+1-288 .. t+H-288]) / scale     (the same horizon one day earlier)
  time[4]      = sin/cos of the time of day and of the day of week of step t
Target: max(values[t+1..t+H]) / scale.
"""
from __future__ import annotations

import math

import numpy as np

DAY = 288  # 5-minute steps per day
WEEK = 7 * DAY
HISTORY = DAY  # steps of history a feature vector needs
N_FINE = 24
N_HOURS = 24
N_FEATURES = N_FINE + 2 * N_HOURS + 1 + 4
FEATURE_NAMES = (
    [f"fine_{i}" for i in range(N_FINE)]
    + [f"hour_mean_{i}" for i in range(N_HOURS)]
    + [f"hour_max_{i}" for i in range(N_HOURS)]
    + ["day_ago_peak", "tod_sin", "tod_cos", "dow_sin", "dow_cos"]
)


def feature_matrix(values: np.ndarray, start_s: int, horizon: int, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features for each step in ts (each ≥ HISTORY-1), and their scales."""
    X = np.empty((len(ts), N_FEATURES), dtype=np.float64)
    scales = np.empty(len(ts))
    for k, t in enumerate(ts):
        X[k], scales[k] = features_at(values, start_s, horizon, int(t))
    return X, scales


def features_at(values: np.ndarray, start_s: int, horizon: int, t: int) -> tuple[np.ndarray, float]:
    day = values[t - DAY + 1 : t + 1]
    scale = max(float(day.mean()), 0.01 * float(day.max())) + 1e-9
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
    return np.concatenate([fine, hmean, hmax, [day_ago], tf]), scale


def horizon_peak(values: np.ndarray, horizon: int, ts: np.ndarray) -> np.ndarray:
    return np.array([values[t + 1 : t + 1 + horizon].max() for t in ts])
