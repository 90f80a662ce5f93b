"""Loading the real traces in ../shared/data/traces as regular 5-minute series.

Each trace column that measures demand becomes one series. Files without a time column
(the Google and Alibaba cluster aggregates) are already one row per 5-minute bucket. The
Bitbrains VMs have irregular timestamps; they are resampled onto a 5-minute grid from their
first sample: samples falling into a bucket are averaged, and an empty bucket (a gap) takes
the previous bucket's value (forward fill: causal, it never looks ahead).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass

import numpy as np

STEP_S = 300
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TRACES = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "traces"))

# file → (time column or None, demand columns)
TRACES = {
    "bitbrains_vm_25.csv": ("timestamp_unix_s", ["cpu_usage_mhz", "mem_usage_kb"]),
    "bitbrains_vm_41.csv": ("timestamp_unix_s", ["cpu_usage_mhz", "mem_usage_kb"]),
    "bitbrains_vm_45.csv": ("timestamp_unix_s", ["cpu_usage_mhz", "mem_usage_kb"]),
    "bitbrains_vm_386.csv": ("timestamp_unix_s", ["cpu_usage_mhz", "mem_usage_kb"]),
    "google2019_cluster_avg_5min.csv": (None, ["avg_cpu", "avg_mem"]),
    "alibaba2018_cluster_avg_5min.csv": (None, ["cpu_util_percent", "mem_util_percent"]),
}


# A traces folder written by `foresight export-history` carries this manifest in the same
# shape: {"traces": {file: [time column or null, [demand columns]]}}; without one, TRACES.
MANIFEST = "traces.json"


def trace_table(traces_dir: str) -> dict:
    """file → (time column or None, demand columns) of the traces in a folder."""
    path = os.path.join(traces_dir, MANIFEST)
    if not os.path.exists(path):
        return TRACES
    with open(path) as f:
        return {name: (tcol, cols) for name, (tcol, cols) in json.load(f)["traces"].items()}


@dataclass
class Series:
    name: str
    values: np.ndarray  # float64, one per 5-minute step
    start_s: int  # unix seconds of values[0] (0 when the file has no time column)


def resample(times: np.ndarray, values: np.ndarray, step_s: int = STEP_S) -> tuple[np.ndarray, int]:
    """Irregular (time, value) samples → a regular grid: bucket means, gaps forward-filled."""
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    start = int(times[0])
    idx = ((times - start) // step_s).astype(np.int64)
    n = int(idx[-1]) + 1
    sums = np.bincount(idx, weights=values, minlength=n)
    counts = np.bincount(idx, minlength=n)
    out = np.empty(n)
    last = values[0]
    for i in range(n):
        if counts[i] > 0:
            last = sums[i] / counts[i]
        out[i] = last
    return out, start


def load_series(traces_dir: str = DEFAULT_TRACES) -> list[Series]:
    out: list[Series] = []
    for fname, (tcol, cols) in trace_table(traces_dir).items():
        path = os.path.join(traces_dir, fname)
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        for col in cols:
            vals = np.array([float(r[col]) if r[col] not in ("", "NaN") else np.nan for r in rows])
            if tcol is None:
                # forward-fill missing cells, like gaps
                for i in range(1, len(vals)):
                    if np.isnan(vals[i]):
                        vals[i] = vals[i - 1]
                out.append(Series(f"{fname[:-4]}:{col}", np.nan_to_num(vals), 0))
            else:
                times = np.array([float(r[tcol]) for r in rows])
                ok = ~np.isnan(vals)
                v, start = resample(times[ok], vals[ok])
                out.append(Series(f"{fname[:-4]}:{col}", v, start))
    return out


def data_hash(traces_dir: str = DEFAULT_TRACES) -> str:
    h = hashlib.sha256()
    for fname in sorted(trace_table(traces_dir)):
        with open(os.path.join(traces_dir, fname), "rb") as f:
            h.update(fname.encode())
            h.update(f.read())
    return h.hexdigest()


def split_index(n: int, holdout: float = 0.2) -> int:
    """First index of the held-out tail (the last 20% of the series, in time)."""
    return int(n * (1 - holdout))
