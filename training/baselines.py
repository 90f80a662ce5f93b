"""The three honest baselines the forecaster is judged against, each causal.

(0) naive peak: the maximum of the last hour (12 steps).
(a) seasonal naive: the peak over the same horizon one day earlier.
(b) VPA-style: the 90th percentile of the last 8 days, each sample weighted with a 24-hour
    half-life decay (as the Vertical Pod Autoscaler's recommender weights its histogram),
    times a 15% safety margin.
(c) Crane-style periodic predictor (gocrane/crane's DSP predictor): FFT of the last 7 days,
    keep the strongest frequency components, extend the periodic signal over the horizon and
    take its maximum.
"""
from __future__ import annotations

import numpy as np

from features import DAY, WEEK


def naive_peak(values: np.ndarray, t: int, horizon: int) -> float:
    return float(values[max(0, t + 1 - horizon) : t + 1].max())


def seasonal_naive(values: np.ndarray, t: int, horizon: int) -> float:
    lo = t + 1 - DAY
    return float(values[lo : lo + horizon].max())


_VPA_WEIGHTS = 2.0 ** (-(np.arange(8 * DAY)[::-1]) / DAY)  # newest sample has weight 1


def vpa(values: np.ndarray, t: int, _horizon: int) -> float:
    lo = max(0, t + 1 - 8 * DAY)
    window = values[lo : t + 1]
    w = _VPA_WEIGHTS[-len(window):]
    order = np.argsort(window, kind="stable")
    cw = np.cumsum(w[order])
    i = int(np.searchsorted(cw, 0.9 * cw[-1]))
    return float(window[order][min(i, len(window) - 1)] * 1.15)


def crane_fft(values: np.ndarray, t: int, horizon: int, components: int = 8) -> float:
    lo = max(0, t + 1 - WEEK)
    window = values[lo : t + 1]
    n = len(window)
    spec = np.fft.rfft(window)
    keep = np.argsort(np.abs(spec[1:]))[::-1][:components] + 1
    filt = np.zeros_like(spec)
    filt[0] = spec[0]
    filt[keep] = spec[keep]
    # the periodic extension of the filtered signal: x[n + k] = x[k] for the DFT basis
    k = np.arange(n, n + horizon)
    freqs = np.arange(len(spec))
    recon = np.real(filt[None, :] * np.exp(2j * np.pi * freqs[None, :] * k[:, None] / n))
    scale = np.where((freqs == 0) | ((n % 2 == 0) & (freqs == n // 2)), 1.0, 2.0)
    pred = (recon * scale[None, :]).sum(axis=1) / n
    return float(pred.max())


BASELINES = {"naive_peak": naive_peak, "seasonal_naive": seasonal_naive, "vpa": vpa, "crane_fft": crane_fft}
