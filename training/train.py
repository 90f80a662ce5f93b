"""Trains the forecaster on the real traces and evaluates it on their held-out tails.

    python3 training/train.py [--seed 0] [--traces ../shared/data/traces] [--out models]

Deterministic given the seed. Writes models/forecaster.onnx (with metadata), the golden
vectors for the TypeScript parity test (test/fixtures/forecaster-golden.json) and the
evaluation table of models/MODEL_CARD.md. Split: the last 20% of every series (in time) is
held out for evaluation and never used for training, early stopping or calibration; the last
10% of the rest is the validation part for early stopping and the calibration of the
quantiles.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from baselines import BASELINES  # noqa: E402
from data import DEFAULT_TRACES, data_hash, load_series, split_index  # noqa: E402
from features import DAY, FEATURE_NAMES, HISTORY, N_FEATURES, feature_matrix, horizon_peak  # noqa: E402
from mlp import QuantileMLP, to_onnx, train  # noqa: E402

VERSION = "forecaster-1.0.0"
HORIZON = 12
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def pinball(y, q, tau):
    r = y - q
    return float(np.mean(np.maximum(tau * r, (tau - 1) * r)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--traces", default=DEFAULT_TRACES)
    ap.add_argument("--out", default=os.path.join(ROOT, "models"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--stride", type=int, default=2, help="training samples every n steps")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    series = load_series(args.traces)
    print(f"{len(series)} series from {args.traces}")

    Xtr, ytr, Xva, yva = [], [], [], []
    for s in series:
        n = len(s.values)
        cut = split_index(n)
        val_cut = int(cut * 0.9)
        ts = np.arange(HISTORY - 1, val_cut - HORIZON, args.stride)
        X, sc = feature_matrix(s.values, s.start_s, HORIZON, ts)
        Xtr.append(X)
        ytr.append(np.minimum(horizon_peak(s.values, HORIZON, ts) / sc, 50.0))  # a burst after an idle day: cap the target
        tv = np.arange(max(HISTORY - 1, val_cut), cut - HORIZON)
        X, sc = feature_matrix(s.values, s.start_s, HORIZON, tv)
        Xva.append(X)
        yva.append(horizon_peak(s.values, HORIZON, tv) / sc)
        print(f"  {s.name}: {n} steps, train {len(ts)}, validation {len(tv)}, held out {n - cut}")
    X, y, Xv, yv = np.vstack(Xtr), np.concatenate(ytr), np.vstack(Xva), np.concatenate(yva)
    model = QuantileMLP(N_FEATURES, 64, rng)
    print(f"training on {len(y)} samples ({len(yv)} for validation)...")
    train(model, X, y, Xv, yv, rng, epochs=args.epochs)

    # Calibration on the validation part only: a multiplicative factor per quantile so that
    # its validation coverage matches the quantile (split-conformal style).
    Qv, _ = model.forward(Xv)
    factors = []
    for j, tau in enumerate([0.5, 0.9, 0.99]):
        ratios = yv / np.maximum(Qv[:, j], 1e-9)
        factors.append(float(np.quantile(ratios, tau)))
    print(f"calibration factors (validation): {factors}")
    model.params["calibration"] = np.array(factors)

    os.makedirs(args.out, exist_ok=True)
    meta = {
        "version": VERSION,
        "horizon_steps": str(HORIZON),
        "step_seconds": "300",
        "features": json.dumps(FEATURE_NAMES),
        "feature_spec": "training/features.py (src/scoring/features.ts)",
        "outputs": "quantiles[batch,3] = q50,q90,q99 of the horizon peak / scale, before calibration",
        "calibration": json.dumps(factors),
        "training_data_sha256": data_hash(args.traces),
        "seed": str(args.seed),
    }
    calib = model.params.pop("calibration")
    onnx_model = to_onnx(model, N_FEATURES, meta)
    import onnx

    onnx.save(onnx_model, os.path.join(args.out, "forecaster.onnx"))
    with open(os.path.join(args.out, "forecaster.json"), "w") as f:
        json.dump({**meta, "features": FEATURE_NAMES, "calibration": factors}, f, indent=1)
    model.params["calibration"] = calib

    # golden vectors for the TypeScript parity test: features and outputs at a few steps
    golden = []
    for s in series[::3]:
        for t in [HISTORY - 1, len(s.values) // 2, len(s.values) - HORIZON - 1]:
            xf, sc = feature_matrix(s.values, s.start_s, HORIZON, np.array([t]))
            q, _ = model.forward(xf)
            golden.append({
                "series": s.name, "t": int(t), "start_s": s.start_s,
                "history": s.values[t - DAY + 1 : t + 1].tolist(),
                "features": xf[0].tolist(), "scale": sc[0], "raw_quantiles": q[0].tolist(),
            })
    os.makedirs(os.path.join(ROOT, "test", "fixtures"), exist_ok=True)
    with open(os.path.join(ROOT, "test", "fixtures", "forecaster-golden.json"), "w") as f:
        json.dump({"version": VERSION, "horizon_steps": HORIZON, "calibration": factors, "vectors": golden}, f)

    # evaluation on the held-out tails
    rows = []
    for s in series:
        n = len(s.values)
        cut = split_index(n)
        te = np.arange(max(cut, 8 * DAY), n - HORIZON)
        if len(te) == 0:
            te = np.arange(max(cut, HISTORY - 1), n - HORIZON)
        Xt, sc = feature_matrix(s.values, s.start_s, HORIZON, te)
        Qt, _ = model.forward(Xt)
        q90 = Qt[:, 1] * factors[1] * sc
        actual = horizon_peak(s.values, HORIZON, te)
        row = {"series": s.name, "rows": len(te), "forecaster_pinball": pinball(actual, q90, 0.9), "forecaster_coverage": float(np.mean(actual <= q90))}
        for name, fn in BASELINES.items():
            pred = np.array([fn(s.values, int(t), HORIZON) for t in te])
            row[f"{name}_pinball"] = pinball(actual, pred, 0.9)
            row[f"{name}_coverage"] = float(np.mean(actual <= pred))
        row["beats_all"] = all(row["forecaster_pinball"] < row[f"{b}_pinball"] for b in BASELINES)
        rows.append(row)
        print(f"  {s.name}: q90 pinball {row['forecaster_pinball']:.4g} (naive {row['seasonal_naive_pinball']:.4g}, vpa {row['vpa_pinball']:.4g}, crane {row['crane_fft_pinball']:.4g}), coverage {row['forecaster_coverage']:.3f}")
    with open(os.path.join(args.out, "forecaster-eval.json"), "w") as f:
        json.dump({"version": VERSION, "seed": args.seed, "horizon_steps": HORIZON, "rows": rows}, f, indent=1)
    print(f"done in {time.time() - t0:.0f} s; wrote {args.out}/forecaster.onnx and forecaster-eval.json")


if __name__ == "__main__":
    main()
