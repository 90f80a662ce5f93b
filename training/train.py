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
from features import DAY, FEATURE_NAMES, HISTORY, LAST_HOUR, N_FEATURES, HourlyMeans, feature_matrix, horizon_peak  # noqa: E402
from mlp import QuantileMLP, to_onnx, train  # noqa: E402
import versioning  # noqa: E402

VERSION = "forecaster-2.1.0"
HORIZON = 12
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


ACI_GAMMAS = (0.002, 0.005, 0.01)  # candidates for the recalibration's step; chosen on the validation parts
# candidates for the expert mix (decay of the trailing losses per step, rate of the weights), None: the model alone
MIXES = (None, (0.99, 1.0), (0.99, 3.0), (0.997, 1.0), (0.997, 3.0), (0.997, 10.0), (0.999, 3.0))
TAUS = np.array([0.5, 0.9, 0.99])


def experts(values: np.ndarray, ts: np.ndarray, base: np.ndarray, horizon: int) -> np.ndarray:
    """The three forecasters the online mix weighs at each step of ts (shape experts × steps × quantiles):
    the model (its calibrated quantiles, made non-crossing as served), naive peak (the last hour's
    maximum) and seasonal naive (the peak of the same horizon one day earlier), the last two the same
    value at every quantile; each from the day of history up to the step, as serving has it."""
    model = np.maximum.accumulate(base, axis=1)
    naive = np.array([values[t - LAST_HOUR + 1 : t + 1].max() for t in ts])
    seasonal = np.array([values[t + 1 - DAY : t + 1 - DAY + horizon].max() for t in ts])
    return np.stack([model, np.repeat(naive[:, None], 3, 1), np.repeat(seasonal[:, None], 3, 1)])


def online_quantiles(values: np.ndarray, ts: np.ndarray, base: np.ndarray, horizon: int, gamma: float, mix: tuple[float, float] | None) -> np.ndarray:
    """What serving does with the model's output (src/scoring/recalibration.ts), causal, per series:
    1. the expert mix (exponential weights, per quantile): each expert's pinball loss on the forecasts
       whose horizon has passed is summed with a decay per step; the weights are
       softmax(−rate · L_e / mean_e L_e), scale-free; the mix is made non-crossing;
    2. the recalibration (adaptive conformal inference, Gibbs & Candès 2021): the served forecast made
       H steps ago is checked against the peak now known, and each quantile's log multiplier moves
       by γ (miss − (1 − τ)); the served forecast is the mix × exp(log multiplier).
    `ts` must be consecutive steps; base[k] are the calibrated model forecasts at ts[k]. Without a
    mix the model's forecast alone is recalibrated."""
    E = experts(values, ts, base, horizon)
    if mix is None:
        E = E[:1]
    decay, rate = mix or (0.0, 0.0)
    losses = np.zeros((len(E), 3))
    out = np.empty_like(base)
    log_mult = np.zeros(3)
    for k, t in enumerate(ts):
        j = k - horizon
        if j >= 0:
            peak = values[ts[j] + 1 : ts[j] + 1 + horizon].max()
            r = peak - E[:, j, :]
            losses = decay * losses + np.maximum(TAUS * r, (TAUS - 1) * r)
            log_mult += gamma * ((peak > out[j]).astype(float) - (1 - TAUS))
        z = -rate * losses / (losses.mean(axis=0) + 1e-12)
        w = np.exp(z - z.max(axis=0))
        q = (w * E[:, k, :]).sum(axis=0) / w.sum(axis=0)
        out[k] = np.maximum.accumulate(q) * np.exp(log_mult)
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
    ap.add_argument("--validation-only", action="store_true", help="stop after the validation rows, before the held-out tail is looked at (to decide on validation)")
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

    # what serving does after the model (online_quantiles: the expert mix and the recalibration),
    # its parameters chosen on the validation parts only: among the candidates whose q90 validation
    # coverage is within 0.85-0.95 on every series, the one whose q90 pinball beats all four
    # baselines on the most series (the goal), then the smallest mean q90 pinball relative to each
    # series' own level; if none keeps coverage in band, the one closest to 0.90
    forecasts = {}
    for s in series:
        n = len(s.values)
        all_t = np.arange(HISTORY - 1, n - HORIZON)
        Xa, sca = feature_matrix(s.values, s.start_s, HORIZON, all_t)
        Qa, _ = model.forward(Xa)
        forecasts[s.name] = (all_t, Qa * np.array(factors)[None, :] * sca[:, None])
    val = {}  # per series: validation steps, their realised peaks and the baselines' q90 pinball
    for s in series:
        cut = split_index(len(s.values))
        tv = np.arange(max(HISTORY - 1, int(cut * (1 - args.val_fraction))), cut - HORIZON)
        actual = horizon_peak(s.values, HORIZON, tv)
        val[s.name] = (tv, actual, {name: pinball(actual, np.array([fn(s.values, int(t), HORIZON) for t in tv]), 0.9) for name, fn in BASELINES.items()})
    choice = []
    for gamma in ACI_GAMMAS:
        for mix in MIXES:
            covs, losses, wins = [], [], 0
            for s in series:
                tv, actual, base_loss = val[s.name]
                all_t, base = forecasts[s.name]
                upto = tv[-1] - (HISTORY - 1) + 1 if len(tv) else 0  # the validation part ends the run: the tail is not needed to choose
                q90 = online_quantiles(s.values, all_t[:upto], base[:upto], HORIZON, gamma, mix)[tv - (HISTORY - 1), 1]
                loss = pinball(actual, q90, 0.9)
                covs.append(float(np.mean(actual <= q90)))
                losses.append(loss / max(float(np.mean(actual)), 1e-9))
                wins += all(loss < b for b in base_loss.values())
            ok = all(0.85 <= c <= 0.95 for c in covs)
            key = (0, -wins, float(np.mean(losses))) if ok else (1, 0, float(np.mean(np.abs(np.array(covs) - 0.9))))
            choice.append((key, gamma, mix))
            print(f"  step {gamma}, mix {mix}: validation coverage {min(covs):.3f}-{max(covs):.3f}, beats all baselines on {wins} of {len(series)}, "
                  f"relative pinball {np.mean(losses):.4f}")
    _, aci_gamma, mix = min(choice, key=lambda c: c[0])
    print(f"online recalibration step {aci_gamma}, expert mix {mix} (chosen on validation)")
    online = {name: online_quantiles(s.values, forecasts[name][0], forecasts[name][1], HORIZON, aci_gamma, mix) for name, s in ((s.name, s) for s in series)}

    # error analysis on the validation parts (never the held-out tail): the forecaster against
    # the baselines, per series, so a losing class shows before the tail is looked at
    val_rows = []
    for s in series:
        tv, actual, base_loss = val[s.name]
        q90 = online[s.name][tv - (HISTORY - 1), 1]
        row = {"series": s.name, "rows": len(tv), "forecaster_pinball": pinball(actual, q90, 0.9), "forecaster_coverage": float(np.mean(actual <= q90))}
        row.update({f"{name}_pinball": loss for name, loss in base_loss.items()})
        row["beats_all"] = all(row["forecaster_pinball"] < loss for loss in base_loss.values())
        val_rows.append(row)
        print(f"  validation {s.name}: q90 pinball {row['forecaster_pinball']:.4g} (naive-peak {row['naive_peak_pinball']:.4g}, "
              f"seasonal {row['seasonal_naive_pinball']:.4g}, vpa {row['vpa_pinball']:.4g}, crane {row['crane_fft_pinball']:.4g}), "
              f"coverage {row['forecaster_coverage']:.3f}")
    if args.validation_only:
        print("--validation-only: stopping before the held-out tail")
        return

    # evaluation on the held-out tails
    rows = []
    for s in series:
        n = len(s.values)
        cut = split_index(n)
        # forecasts from the first forecastable step, so the online mix and recalibration are warm;
        # scored only on the held-out tail
        te = np.arange(max(cut, 8 * DAY), n - HORIZON)
        if len(te) == 0:
            te = np.arange(max(cut, HISTORY - 1), n - HORIZON)
        q90 = online[s.name][te - (HISTORY - 1), 1]
        actual = horizon_peak(s.values, HORIZON, te)
        row = {"series": s.name, "rows": len(te), "forecaster_pinball": pinball(actual, q90, 0.9), "forecaster_coverage": float(np.mean(actual <= q90))}
        for name, fn in BASELINES.items():
            pred = np.array([fn(s.values, int(t), HORIZON) for t in te])
            row[f"{name}_pinball"] = pinball(actual, pred, 0.9)
            row[f"{name}_coverage"] = float(np.mean(actual <= pred))
        row["beats_all"] = all(row["forecaster_pinball"] < row[f"{b}_pinball"] for b in BASELINES)
        rows.append(row)
        print(f"  {s.name}: q90 pinball {row['forecaster_pinball']:.4g} (naive-peak {row['naive_peak_pinball']:.4g}, seasonal {row['seasonal_naive_pinball']:.4g}, vpa {row['vpa_pinball']:.4g}, crane {row['crane_fft_pinball']:.4g}), coverage {row['forecaster_coverage']:.3f}")

    # golden served forecasts for the TypeScript parity test (backtest + recalibration.ts): the last
    # 60 rows of a cluster aggregate and of a spiky VM, each replayed from its first row (the VM cut
    # to its last 2,500 steps to keep the fixture small)
    golden_bt = []
    for s, keep in ((series[-2], None), (next((x for x in series if x.name == "bitbrains_vm_41:cpu_usage_mhz"), series[0]), 2500)):
        off = len(s.values) - keep if keep and len(s.values) > keep else 0
        v, start = s.values[off:], s.start_s + 300 * off
        ts = np.arange(HISTORY - 1, len(v) - HORIZON)
        Xg, scg = feature_matrix(v, start, HORIZON, ts)
        Qg, _ = model.forward(Xg)
        q = online_quantiles(v, ts, Qg * np.array(factors)[None, :] * scg[:, None], HORIZON, aci_gamma, mix)
        golden_bt.append({"series": s.name, "values": v.tolist(), "start_s": int(start), "rows": [int(t) for t in ts[-60:]], "q": q[-60:].tolist()})
    with open(os.path.join(fixtures, "forecaster-backtest-golden.json"), "w") as f:
        json.dump(golden_bt, f)
    info_path = os.path.join(args.out, "forecaster.json")
    info = json.load(open(info_path))
    info["aci_gamma"] = aci_gamma
    info["expert_mix"] = None if mix is None else {"decay": mix[0], "rate": mix[1]}
    with open(info_path, "w") as f:
        json.dump(info, f, indent=1)
    with open(os.path.join(args.out, "forecaster-eval.json"), "w") as f:
        json.dump({"version": VERSION, "aci_gamma": aci_gamma, "expert_mix": info["expert_mix"], "seed": args.seed, "horizon_steps": HORIZON,
                   "rows": rows, "validation_rows": val_rows}, f, indent=1)
    import model_card  # the anomaly detector has no weights: training/nab_eval.py evaluates it

    model_card.write(args.out)
    print(f"done in {time.time() - t0:.0f} s; wrote {args.out}/forecaster.onnx, forecaster-eval.json and MODEL_CARD.md")


if __name__ == "__main__":
    main()
