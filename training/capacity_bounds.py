"""Bounds on the share of the attainable saving, per capacity design (issue 11, the Google trace).

Reads the CSVs `foresight backtest --default-policy --out X.csv` writes (actual demand, the
recalibrated q50/q90 forecasts of the next hour's peak, recommended_capacity) and replays
capacity designs the decision engine does not have, to measure how far each could go before
any of them is built into src/policy/. Analysis only: nothing here runs in the product.

Its replica of the engine (src/policy/decide-replicas.ts + base-selection.ts + rules.ts:
candidate bases each with an adaptively calibrated multiplier, the cheapest on a trailing day
chosen, the 24-hour peak × 1.2 cap, the change rules) must reproduce the shipped
`recommended_capacity` column exactly (checked first, on every file given): the figures below
are then the engine's own, with one piece changed at a time.

Scores as the backtest does (src/policy/backtest-summary.ts): capacity decided at row t is in
force for row t + 1; attainable share = (static peak − mean capacity) / (static peak − mean
demand) over the scored rows; misses = demand above the capacity in force.

Usage:
  node bin/foresight.js backtest --input ../shared/data/traces/google2019_cluster_avg_5min.csv \
      --value-column avg_cpu --default-policy --out /tmp/google.csv
  python3 training/capacity_bounds.py /tmp/google.csv [more backtest CSVs...]
Prints one line per design and file (validation rows 60-80%: where designs are chosen; the
tail 80-100% is printed as read, not used to choose); the last line is one JSON object.

  python3 training/capacity_bounds.py --candidate-grid X.csv... (all six traces' CSVs)
replays the engine with the blend (below) added to or swapped into the candidate bases, at a
calibration target of 0.8, 0.7 or 0.6 × the risk, chooses by the README's rule on the
validation rows (every trace at or under 1% misses, then the largest share on the weakest
trace) and prints the choice's tail once.
"""
from __future__ import annotations

import csv
import json
import math
import sys

import numpy as np

DAY = 288  # 5-minute steps
HORIZON = 12  # the forecaster's horizon (next hour)
PEAK_MARGIN = 0.2  # replicas.peakMargin
SLO_RISK = 0.01
CALIBRATION_MARGIN = 0.8  # rules.ts: aim at 0.8 × the risk
GAMMA = 0.03  # sloAdaptation
COST_STEPS = 288  # base-selection.ts
WARMUP = 288
VOL_STEPS = 36  # rules.ts VOLATILITY_STEPS
VOL_Z = 2  # rules.ts VOLATILITY_Z


class Series:
    def __init__(self, path: str):
        rows = list(csv.DictReader(open(path)))
        self.name = path.rsplit('/', 1)[-1]
        self.v = np.array([float(r['actual']) for r in rows])
        self.q50 = np.array([float(r['q50']) for r in rows])
        self.q90 = np.array([float(r['q90']) for r in rows])
        self.shipped = np.array([float(r['recommended_capacity']) for r in rows])
        n = self.n = len(self.v)
        # the engine's history: the last DAY values, the steps before the first row taking its value
        padded = np.concatenate([np.full(DAY - 1, self.v[0]), self.v])
        self.hist = np.lib.stride_tricks.sliding_window_view(padded, DAY)  # hist[t] ends with v[t]
        self.cap = self.hist.max(1) * (1 + PEAK_MARGIN)
        self.cap_before = np.concatenate([[self.v[0]], self.hist[1:, :-1].max(1)]) * (1 + PEAK_MARGIN)
        moves = np.abs(np.diff(self.hist[:, -VOL_STEPS - 1 :], axis=1)).mean(1)
        self.last = self.v
        self.recent_peak = self.hist[:, -HORIZON:].max(1)
        self.adaptive = np.maximum(np.maximum(self.q50, self.hist[:, :HORIZON].max(1)), self.v + VOL_Z * moves)
        self.val = (int(0.6 * n), int(0.8 * n))
        self.tail = (int(0.8 * n), n)

    def ewm_moves(self, alpha: float) -> np.ndarray:
        """Exponential mean of |step-to-step move| (its own state, one number per series)."""
        e = np.zeros(self.n)
        for t in range(1, self.n):
            e[t] = e[t - 1] + alpha * (abs(self.v[t] - self.v[t - 1]) - e[t - 1])
        return e

    def score(self, cap: np.ndarray, rows: tuple[int, int]) -> tuple[float, float]:
        a, b = rows
        d, c = self.v[a:b], cap[a - 1 : b - 1]
        peak = d.max()
        return float((d > c).mean()), float((peak - c.mean()) / (peak - d.mean()))


def adapt(log_scale: float, miss: bool, gamma: float = GAMMA) -> float:
    # CALIBRATION_MARGIN is read at each call: candidate_grid varies it
    nxt = log_scale + gamma * ((1.0 if miss else 0.0) - CALIBRATION_MARGIN * SLO_RISK)
    return min(math.log(50), max(math.log(0.2), nxt))


def engine(s: Series, candidates, rules=(3, 0.05, 0.5), cut_to='target', scheduled: float | None = None, gamma: float = GAMMA):
    """Replays the engine. candidates: (level, spread) arrays; capacity = level + spread × multiplier.
    rules: (cooldown steps, hysteresis, max step) or None (a change at every step).
    cut_to 'window-max': a cut goes to the highest target wanted in the stabilisation window (HPA).
    scheduled: a cut at once to level + spread × multiplier × this factor (the upper bound for the
    cooldown's horizon) when that is already more than the hysteresis below. gamma 0: no calibration."""
    k = len(candidates)
    log_scale = np.zeros(k)
    last = cost = None
    chosen = steps = 0
    level = since = wmax = None
    out = np.zeros(s.n)
    changes = np.zeros(s.n, bool)
    for t in range(s.n):
        closed = s.v[t]
        if last is not None:
            for j in range(k):
                judged = level * last[j] / last[chosen] if last[chosen] > 0 else last[j]
                miss = closed > judged
                if not (miss and closed > s.cap_before[t]):
                    log_scale[j] = adapt(log_scale[j], miss, gamma)
        caps = np.array([min(s.cap[t], lv[t] + sp[t] * math.exp(log_scale[j])) for j, (lv, sp) in enumerate(candidates)])
        cost = caps.copy() if cost is None else cost + (caps - cost) / COST_STEPS
        steps += 1
        chosen = int(np.argmin(cost)) if steps > WARMUP else 0
        last = caps
        target = caps[chosen]
        if level is None or rules is None:
            changes[t] = level is None or target != level
            level = target
        else:
            cooldown, hyst, step = rules
            limit = level * step
            ahead = None
            if scheduled is not None:
                lv, sp = candidates[chosen]
                ahead = min(s.cap[t], lv[t] + sp[t] * math.exp(log_scale[chosen]) * scheduled)
            if target > level:
                since = wmax = None
                level, changes[t] = (target if level <= 0 else min(target, level + limit)), True
            elif ahead is not None and level > 0 and (level - ahead) / level > hyst:
                since = wmax = None
                level, changes[t] = max(ahead, level - limit), True
            elif level > 0 and (level - target) / level > hyst:
                if since is None:
                    since, wmax = t, target
                wmax = max(wmax, target)
                if t - since >= cooldown:
                    to = wmax if cut_to == 'window-max' else target
                    level, changes[t] = max(to, level - limit), True
                    since = wmax = None
            else:
                since = wmax = None
        out[t] = level
    return out, changes


def hindsight(s: Series, level: np.ndarray, spread: np.ndarray, rows: tuple[int, int]) -> tuple[float, float]:
    """level + z × spread with z set in hindsight on these rows to exactly 1% misses, a change at every step: (z, share)."""
    a, b = rows
    d = s.v[a:b]
    lv, sp = level[a - 1 : b - 1], spread[a - 1 : b - 1]
    with np.errstate(divide='ignore', invalid='ignore'):
        need = np.where(sp > 0, (d - lv) / sp, np.where(d > lv, np.inf, -np.inf))  # a zero spread misses any rise
        z = np.quantile(need, 1 - SLO_RISK)
    return float(z), s.score(np.concatenate([np.zeros(a - 1), lv + z * sp, np.zeros(s.n - b + 1)]), rows)[1]


def main(paths: list[str]) -> None:
    results: dict[str, dict] = {}
    for path in paths:
        s = Series(path)
        zero = np.zeros(s.n)
        shipped = [(zero, s.adaptive), (zero, s.q90), (zero, s.recent_peak)]
        replica, replica_changes = engine(s, shipped)
        diff = float(np.abs(replica - s.shipped).max())
        if diff > 1e-6 * max(1.0, float(s.v.max())):
            sys.exit(f'{s.name}: the replica differs from the shipped engine by {diff}; fix the replica before trusting any figure')
        moves = s.ewm_moves(0.1)
        blend = s.last + 0.3 * (s.recent_peak - s.last)  # last value pulled 30% towards the hour's peak
        oracle = np.append(s.v[1:], s.v[-1])
        designs = {
            'shipped engine (3 candidates, rules 15 min/5%/50%)': (replica, replica_changes),
            'shipped candidates, no change rules': engine(s, shipped, rules=None),
            'shipped + HPA cuts (window max)': engine(s, shipped, cut_to='window-max'),
            'vol: last + z*ewm|move| alone, no rules': engine(s, [(s.last, VOL_Z * moves)], rules=None),
            'vol alone, default rules': engine(s, [(s.last, VOL_Z * moves)]),
            'vol alone, HPA cuts': engine(s, [(s.last, VOL_Z * moves)], cut_to='window-max'),
            'vol alone, scheduled decrease (x sqrt 3)': engine(s, [(s.last, VOL_Z * moves)], scheduled=math.sqrt(3)),
            'blend: last+0.3(hour peak-last)+z*ewm|move|, no rules': engine(s, [(blend, 2.9 * moves)], rules=None),
            'blend alone, default rules': engine(s, [(blend, 2.9 * moves)]),
            'blend alone, rules 5 min/2%': engine(s, [(blend, 2.9 * moves)], rules=(1, 0.02, 0.5)),
            'blend alone, no hysteresis, no cooldown (step 50%)': engine(s, [(blend, 2.9 * moves)], rules=(0, 0.0, 0.5)),
            'shipped + blend as a 4th candidate, default rules': engine(s, shipped + [(blend, 2.9 * moves)]),
            # what the rules cost a perfect forecast: capacity = the next value itself
            'oracle (next value), default rules': engine(s, [(oracle, zero)], gamma=0.0),
            'oracle (next value), rules 5 min/2%': engine(s, [(oracle, zero)], rules=(1, 0.02, 0.5), gamma=0.0),
        }
        res: dict[str, dict] = {}
        for name, (cap, ch) in designs.items():
            vu, vs = s.score(cap, s.val)
            tu, ts = s.score(cap, s.tail)
            a, b = s.val
            per_day = float(ch[a - 1 : b - 1].sum() / ((b - a) / DAY))
            res[name] = {'val_under': round(vu, 4), 'val_share': round(vs, 4), 'val_changes_per_day': round(per_day, 1), 'tail_under': round(tu, 4), 'tail_share': round(ts, 4)}
            print(f'{s.name:38} {name:56} val: under {100 * vu:5.2f}% share {100 * vs:5.1f}% {per_day:5.0f} changes/day | tail: under {100 * tu:5.2f}% share {100 * ts:5.1f}%')
        # seasonal: the next step a day / a week ago, scaled by the last hour's level over the same hour then
        seasonal = {}
        for period, label in ((DAY, 'day'), (7 * DAY, 'week')):
            x = s.v.copy()
            for t in range(period + HORIZON, s.n - 1):
                then = s.v[t - HORIZON + 1 - period : t + 1 - period].mean()
                if then > 0:  # else (an idle hour then) the last value stands in
                    x[t] = s.v[t + 1 - period] * s.v[t - HORIZON + 1 : t + 1].mean() / then
            seasonal[f'hindsight: seasonal ({label} ago, level-scaled) x c'] = (zero, x)
        for name, (lv, sp) in {
            'hindsight: last x c': (zero, s.last),
            'hindsight: shipped forecast-led base x c': (zero, s.adaptive),
            **seasonal,
            'hindsight: last + z*ewm|move|': (s.last, moves),
            'hindsight: blend + z*ewm|move|': (blend, moves),
        }.items():
            (vz, vs), (tz, ts) = hindsight(s, lv, sp, s.val), hindsight(s, lv, sp, s.tail)
            dz = hindsight(s, lv, sp, (DAY, s.val[0]))[0]
            res[name] = {'val_share': round(vs, 4), 'tail_share': round(ts, 4), 'z_dev_val_tail': [round(dz, 3), round(vz, 3), round(tz, 3)]}
            print(f'{s.name:38} {name:56} val: 1% misses     share {100 * vs:5.1f}% every step    | tail: 1% misses    share {100 * ts:5.1f}%  (z or c on rows 0-60/60-80/80-100%: {dz:.2f}/{vz:.2f}/{tz:.2f})')
        # the series at its step
        mv = np.diff(s.v)
        with np.errstate(divide='ignore', invalid='ignore'):
            rel = np.abs(mv) / s.v[:-1]
            up = s.v[1:] / s.v[:-1]
        shape = s.v[: (s.n // DAY) * DAY].reshape(-1, DAY).mean(0).reshape(24, HORIZON).mean(1)
        res['series'] = {
            'mean_move_over_level': round(float(np.nanmean(rel[np.isfinite(rel)])), 4),
            'move_autocorrelation_lag1_lag2': [round(float(np.corrcoef(mv[:-k], mv[k:])[0, 1]), 3) for k in (1, 2)],
            'next_over_last_q99_by_part': [round(float(np.nanquantile(up[a:b][np.isfinite(up[a:b])], 0.99)), 3) for a, b in ((0, s.val[0] - 1), (s.val[0], s.val[1] - 1), (s.tail[0], s.n - 1))],
            'daily_shape_hourly_means_min_max_mean': [round(float(shape.min()), 4), round(float(shape.max()), 4), round(float(s.v.mean()), 4)],
        }
        print(f'{s.name:38} the series: ' + json.dumps(res['series']))
        # where the capacity above demand goes on the validation rows, by the demand's last-hour change
        a, b = s.val
        t = np.arange(a, b)
        attainable = s.v[a:b].max() - s.v[a:b].mean()
        change = s.v[t] - s.v[t - HORIZON]
        phases = {'rising': change > 0.02 * s.v[t], 'falling': change < -0.02 * s.v[t], 'flat': np.abs(change) <= 0.02 * s.v[t]}
        for name in ('shipped engine (3 candidates, rules 15 min/5%/50%)', 'shipped candidates, no change rules', 'blend alone, default rules'):
            waste = designs[name][0][t - 1] - s.v[t]
            per = {p: round(float(waste[m].mean() / attainable), 3) for p, m in phases.items() if m.any()}
            res[name]['val_waste_over_attainable'] = per
            print(f'{s.name:38} {name:56} val: capacity above demand / attainable, by the last hour: ' + ', '.join(f'{p} {x:.2f} ({100 * phases[p].mean():.0f}% of rows)' for p, x in per.items()))
        results[s.name] = res
    print(json.dumps(results))


def candidate_grid(paths: list[str]) -> None:
    """The candidate sets with the blend × the calibration target, chosen on the validation rows across all traces."""
    global CALIBRATION_MARGIN
    series = [Series(p) for p in paths]
    rows: dict[str, list[dict]] = {}
    for margin in (0.8, 0.7, 0.6):
        CALIBRATION_MARGIN = margin
        for s in series:
            zero = np.zeros(s.n)
            blend = (s.last + 0.3 * (s.recent_peak - s.last), 2.9 * s.ewm_moves(0.1))
            a_, q_, p_ = (zero, s.adaptive), (zero, s.q90), (zero, s.recent_peak)
            sets = {'shipped (forecast-led, q90, hour peak)': [a_, q_, p_], 'forecast-led, q90, blend': [a_, q_, blend],
                    'forecast-led, blend, hour peak': [a_, blend, p_], 'blend, hour peak': [blend, p_],
                    'shipped + blend': [a_, q_, p_, blend]}
            for name, cands in sets.items():
                cap, ch = engine(s, cands)
                (vu, vs), (tu, ts) = s.score(cap, s.val), s.score(cap, s.tail)
                a, b = s.val
                rows.setdefault(f'{name}, target {margin} x risk', []).append(
                    {'trace': s.name, 'val_under': vu, 'val_share': vs, 'val_changes_per_day': float(ch[a - 1 : b - 1].sum() / ((b - a) / DAY)), 'tail_under': tu, 'tail_share': ts})
    CALIBRATION_MARGIN = 0.8
    for name, r in rows.items():
        print(f'{name:58} val: max under {100 * max(x["val_under"] for x in r):5.2f}%  weakest share {100 * min(x["val_share"] for x in r):5.1f}%  | '
              + ' '.join(f'{x["trace"][:10]} {100 * x["val_under"]:.2f}%/{100 * x["val_share"]:.1f}%/{x["val_changes_per_day"]:.0f}' for x in r))
    ok = {n: r for n, r in rows.items() if max(x['val_under'] for x in r) <= SLO_RISK}
    chosen = max(ok, key=lambda n: min(x['val_share'] for x in ok[n]))
    r = ok[chosen]
    print(f'chosen on the validation rows: {chosen}; its tail (read once): ' + ' '.join(f'{x["trace"][:10]} {100 * x["tail_under"]:.2f}%/{100 * x["tail_share"]:.1f}%' for x in r))
    print(json.dumps({'chosen': chosen, 'designs': rows}))


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == '--candidate-grid':
        candidate_grid(sys.argv[2:])
    else:
        main(sys.argv[1:])
