"""Trains the forecaster on the real traces and evaluates it on their held-out tails.

    python3 training/train.py [--seed 0] [--traces ../shared/data/traces] [--out models]

Deterministic given the seed. Writes models/forecaster.onnx (with metadata), the golden
vectors for the TypeScript parity test (test/fixtures/forecaster-golden.json) and the
evaluation table of models/MODEL_CARD.md. Split: the last 20% of every series (in time) is
held out for evaluation and never used for training, early stopping or calibration; the last
20% of the rest (--val-fraction) is the validation part for early stopping, the calibration
of the quantiles and the choice of the online recalibration's step.
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
from data import DEFAULT_TRACES, data_hash, load_series, split_index, trace_table  # noqa: E402
from features import DAY, FEATURE_NAMES, HISTORY, N_FEATURES, HourlyMeans, feature_matrix, horizon_peak  # noqa: E402
from mlp import QuantileMLP, to_onnx, train  # noqa: E402
import versioning  # noqa: E402

VERSION = "forecaster-2.0.0"
HORIZON = 12
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


ACI_GAMMAS = (0.0, 0.002, 0.005, 0.01, 0.02)  # candidates; chosen on the validation parts
TAUS = (0.5, 0.9, 0.99)


def adaptive_quantiles(values: np.ndarray, ts: np.ndarray, base: np.ndarray, horizon: int, gamma: float) -> np.ndarray:
    """Online per-series recalibration (adaptive conformal inference, Gibbs & Candès 2021),
    causal: at step t the forecast made at t − H is checked against the peak of t − H + 1 … t,
    now known, and the quantile's log multiplier moves by γ (miss − (1 − τ)). `ts` must be
    consecutive steps; base[k] are the calibrated forecasts at ts[k]."""
    out = np.empty_like(base)
    log_mult = np.zeros(3)
    for k, t in enumerate(ts):
        j = k - horizon
        if j >= 0:
            peak = values[ts[j] + 1 : ts[j] + 1 + horizon].max()
            for q in range(3):
                miss = 1.0 if peak > out[j, q] else 0.0
                log_mult[q] += gamma * (miss - (1 - TAUS[q]))
        out[k] = base[k] * np.exp(log_mult)
    return out


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
    ap.add_argument("--val-fraction", type=float, default=0.2, help="share of each series' training part used for validation and calibration")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--forecaster-only", action="store_true", help="kept for scripts that pass it: train.py trains the forecaster only (the anomaly detector has no weights; training/nab_eval.py evaluates it)")
    args = ap.parse_args()
    prov = versioning.provenance(args.traces, list(trace_table(args.traces)), vars(args))
    fixtures = versioning.fixtures_dir(args.out)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    series = load_series(args.traces)
    print(f"{len(series)} series from {args.traces}")

    Xtr, ytr, Xva, yva = [], [], [], []
    for s in series:
        n = len(s.values)
        cut = split_index(n)
        val_cut = int(cut * (1 - args.val_fraction))
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
    model = QuantileMLP(N_FEATURES, args.hidden, rng)
    print(f"training on {len(y)} samples ({len(yv)} for validation)...")
    train(model, X, y, Xv, np.minimum(yv, 50.0), rng, epochs=args.epochs)  # early stopping on the capped target, as trained

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
        "version": versioning.model_version(VERSION, prov),
        "training_data": json.dumps(prov),
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
        json.dump({**meta, "features": FEATURE_NAMES, "calibration": factors, "training_data": prov}, f, indent=1)
    model.params["calibration"] = calib

    # golden vectors for the TypeScript parity test: features and outputs at a few steps
    golden = []
    for s in series[::3]:
        for t in [t for t in (HISTORY - 1, len(s.values) // 2, len(s.values) - HORIZON - 1) if t >= HISTORY - 1]:  # short (exported) series
            xf, sc = feature_matrix(s.values, s.start_s, HORIZON, np.array([t]))
            q, _ = model.forward(xf)
            coarse = HourlyMeans(s.values, s.start_s).coarse_at(int(t))
            golden.append({
                "series": s.name, "t": int(t), "start_s": s.start_s,
                "history": s.values[t - DAY + 1 : t + 1].tolist(),
                "coarse": [None if np.isnan(x) else float(x) for x in coarse],
                "features": xf[0].tolist(), "scale": sc[0], "raw_quantiles": q[0].tolist(),
            })
    os.makedirs(fixtures, exist_ok=True)
    with open(os.path.join(fixtures, "forecaster-golden.json"), "w") as f:
        json.dump({"version": VERSION, "horizon_steps": HORIZON, "calibration": factors, "vectors": golden}, f)

    # the online recalibration's step size, chosen on the validation parts only: the smallest
    # mean q90 pinball (relative to each series' own level) among the step sizes whose q90
    # validation coverage is within 0.85-0.95 on every series (else the closest to 0.90)
    forecasts = {}
    for s in series:
        n = len(s.values)
        all_t = np.arange(HISTORY - 1, n - HORIZON)
        Xa, sca = feature_matrix(s.values, s.start_s, HORIZON, all_t)
        Qa, _ = model.forward(Xa)
        forecasts[s.name] = (all_t, Qa * np.array(factors)[None, :] * sca[:, None])
    choice = []
    for gamma in ACI_GAMMAS:
        covs, losses = [], []
        for s in series:
            n = len(s.values)
            cut = split_index(n)
            all_t, base = forecasts[s.name]
            adj = adaptive_quantiles(s.values, all_t, base, HORIZON, gamma)
            tv = np.arange(max(HISTORY - 1, int(cut * (1 - args.val_fraction))), cut - HORIZON)
            q90 = adj[tv - (HISTORY - 1), 1]
            actual = horizon_peak(s.values, HORIZON, tv)
            covs.append(float(np.mean(actual <= q90)))
            losses.append(pinball(actual, q90, 0.9) / max(float(np.mean(actual)), 1e-9))
        ok = all(0.85 <= c <= 0.95 for c in covs)
        choice.append((0 if ok else 1, float(np.mean(losses)) if ok else float(np.mean(np.abs(np.array(covs) - 0.9))), gamma))
        print(f"  ACI step {gamma}: validation coverage {min(covs):.3f}-{max(covs):.3f}, relative pinball {np.mean(losses):.4f}")
    aci_gamma = sorted(choice)[0][2]
    print(f"online recalibration step (chosen on validation): {aci_gamma}")

    # error analysis on the validation parts (never the held-out tail): the forecaster against
    # the baselines, per series, so a losing class shows before the tail is looked at
    val_rows = []
    for s in series:
        cut = split_index(len(s.values))
        all_t, base = forecasts[s.name]
        adj = adaptive_quantiles(s.values, all_t, base, HORIZON, aci_gamma)
        tv = np.arange(max(HISTORY - 1, int(cut * (1 - args.val_fraction))), cut - HORIZON)
        actual = horizon_peak(s.values, HORIZON, tv)
        q90 = adj[tv - (HISTORY - 1), 1]
        row = {"series": s.name, "rows": len(tv), "forecaster_pinball": pinball(actual, q90, 0.9), "forecaster_coverage": float(np.mean(actual <= q90))}
        for name, fn in BASELINES.items():
            row[f"{name}_pinball"] = pinball(actual, np.array([fn(s.values, int(t), HORIZON) for t in tv]), 0.9)
        val_rows.append(row)
        print(f"  validation {s.name}: q90 pinball {row['forecaster_pinball']:.4g} (naive-peak {row['naive_peak_pinball']:.4g}, "
              f"seasonal {row['seasonal_naive_pinball']:.4g}, vpa {row['vpa_pinball']:.4g}, crane {row['crane_fft_pinball']:.4g}), "
              f"coverage {row['forecaster_coverage']:.3f}")

    # evaluation on the held-out tails
    rows = []
    golden_bt = None
    for s in series:
        n = len(s.values)
        cut = split_index(n)
        # forecasts from the first forecastable step, so the online recalibration is warm;
        # scored only on the held-out tail
        all_t, base = forecasts[s.name]
        adj = adaptive_quantiles(s.values, all_t, base, HORIZON, aci_gamma)
        te = np.arange(max(cut, 8 * DAY), n - HORIZON)
        if len(te) == 0:
            te = np.arange(max(cut, HISTORY - 1), n - HORIZON)
        q90 = adj[te - (HISTORY - 1), 1]
        if s is series[-2]:
            golden_bt = {"series": s.name, "values": s.values.tolist(), "start_s": s.start_s, "rows": [int(t) for t in te[-60:]], "q90": [float(x) for x in q90[-60:]]}
        actual = horizon_peak(s.values, HORIZON, te)
        row = {"series": s.name, "rows": len(te), "forecaster_pinball": pinball(actual, q90, 0.9), "forecaster_coverage": float(np.mean(actual <= q90))}
        for name, fn in BASELINES.items():
            pred = np.array([fn(s.values, int(t), HORIZON) for t in te])
            row[f"{name}_pinball"] = pinball(actual, pred, 0.9)
            row[f"{name}_coverage"] = float(np.mean(actual <= pred))
        row["beats_all"] = all(row["forecaster_pinball"] < row[f"{b}_pinball"] for b in BASELINES)
        rows.append(row)
        print(f"  {s.name}: q90 pinball {row['forecaster_pinball']:.4g} (naive-peak {row['naive_peak_pinball']:.4g}, seasonal {row['seasonal_naive_pinball']:.4g}, vpa {row['vpa_pinball']:.4g}, crane {row['crane_fft_pinball']:.4g}), coverage {row['forecaster_coverage']:.3f}")
    with open(os.path.join(fixtures, "forecaster-backtest-golden.json"), "w") as f:
        json.dump(golden_bt, f)
    info_path = os.path.join(args.out, "forecaster.json")
    info = json.load(open(info_path))
    info["aci_gamma"] = aci_gamma
    with open(info_path, "w") as f:
        json.dump(info, f, indent=1)
    with open(os.path.join(args.out, "forecaster-eval.json"), "w") as f:
        json.dump({"version": VERSION, "aci_gamma": aci_gamma, "seed": args.seed, "horizon_steps": HORIZON, "rows": rows, "validation_rows": val_rows}, f, indent=1)
    import model_card  # the anomaly detector has no weights: training/nab_eval.py evaluates it

    model_card.write(args.out)
    print(f"done in {time.time() - t0:.0f} s; wrote {args.out}/forecaster.onnx, forecaster-eval.json and MODEL_CARD.md")


if __name__ == "__main__":
    main()
