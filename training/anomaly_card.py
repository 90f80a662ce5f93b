"""The anomaly detector's section of models/MODEL_CARD.md, from models/anomaly-eval.json (training/nab_eval.py)."""
from __future__ import annotations

import json
import os

PUBLISHED = "ARTime 75.4, CAD OSE 72.8, Numenta HTM 71.4, KNN CAD 62.3, earthgecko Skyline 60.9, Random Cut Forest 55.1, Relative Entropy 51.7, Windowed Gaussian 41.5"


def section(out_dir: str) -> list[str]:
    an = json.load(open(os.path.join(out_dir, "anomaly-eval.json")))
    lines = [
        "## Anomaly detector (" + an["version"] + ": `training/detector.py`, served by `src/scoring/anomaly-detector.ts`)",
        "",
        "- **Task**: a score in [0, 1) for each new point of a series from the last 576 steps (two days of 5-minute steps; "
        "24 days of hourly cost for spend anomalies), causal, from the series' first point on; nothing scores during its first day.",
        "- **Algorithm** (deterministic, no trained weights; the same code scores NAB and serves alerts.v1): novelty of the "
        "mean of the newest 1, 6 and 24 points beyond the range of the window's earlier points, in their standard deviations "
        "× k^¼ (spikes, level shifts, drifts out of range; a value seen within two days is not novel, so daily recurring "
        "peaks do not alert; new in anomaly-4, the long memory: for the single point the range also spans the 168 whole "
        "clock hours (7 days) before its hour, at hourly resolution (each hour's min and max, as the Redis hour buckets "
        "hold them), so a spike as high as one seen within the week is not novel either); plus 0.1 × the same z on day-over-day differences at 6 and 24 points (a periodic series "
        "that goes flat, shifts or changes shape in range); plus (new in anomaly-3) 0.85 × a prediction-error surprise in "
        "the spirit of HTM's anomaly likelihood: the error of each point against the mean of the 6 before it, the mean "
        "error of the newest 24 points as a one-sided z against the 400 errors before them (a series that turns noisier, "
        "spikier or changes pattern inside its range). Scales floored at 1e-3 × the level; score = raw / (raw + 5).",
        "- **Serving**: the processor scores every closed 5-minute step from 48 h of the Redis windows and the min/max of "
        "the 168 hour buckets before the step's hour, read in the same round trip (no other state), "
        f"alerts at the policy's `anomaly.threshold` (default **{an['serving_threshold']}**) and then keeps the series quiet "
        f"for `anomaly.suppressMinutes` (default 1 day) of event time. Python and TypeScript agree to 1e-9 on the golden "
        "windows and their long ranges (`test/unit/scoring/anomaly.test.ts`). Cost: one call per series and closed step, ~11 µs on a 576-step "
        "window (`node bin/foresight.js bench score`, `anomaly_us_per_series`: 11.1 µs on 2026-11-30 on the 2-core machine "
        "with CI running beside it; 35–37 µs in earlier builds, under load ~12), "
        "no state besides the windows.",
        "",
        "### NAB score, " + an["corpus"],
        "",
        "Scored by `python3 training/nab_eval.py` with our implementation of NAB's rules (`training/nab.py`, hand-checked in "
        "`training/test_nab.py`), on the alerts serving would publish: the serving threshold and the one-day suppression "
        "in event time. The threshold was chosen on these 44 files (NAB's convention: one threshold swept over the corpus); "
        "NAB's realKnownCause and realTraffic were never used. \"Swept\" is the best single threshold for each profile.",
        "",
        "\"Held out\": each category scored at the threshold swept on the other four (leave one category out), the five "
        "held-out parts normalised together: how much of the score rests on the threshold having seen the file.",
        "",
        "| profile | at the serving threshold | swept (threshold) | held out by category |",
        "|---|---|---|---|",
    ]
    for name, p in an["profiles"].items():
        lines.append(f"| {name} | **{p['serving']:.1f}** | {p['swept']:.1f} ({p['swept_threshold']:.4f}) | {p['held_out_category']:.1f} |")
    std = an["profiles"]["standard"]["raw_by_category"]
    lines += [
        "",
        "Raw standard-profile score by category (NAB's sum before normalising; the null detector scores −1 per window): "
        + ", ".join(f"{k} {v:+.2f}" for k, v in std.items()) + ".",
        "",
        f"Published detectors on exactly these 44 files (standard profile, NAB's own result files): {PUBLISHED}. "
        "This detector is **below HTM's 71.4**: the issue's goal is not met. anomaly-3 (without the long memory) scored "
        "63.7 / 51.4 / 69.4 at the same threshold 0.225 (62.2 standard held out by category, threshold only; 57.2 by "
        "`training/nab_cv.py`). The long memory was compared on these files at 3, 4, 7, 10 and 14 days and on the point "
        "(k = 1) or also on the 6- and 24-point means (threshold-only held out by category: 63.3, 64.3, 64.6, 64.7, 64.7; "
        "widening the 6- and 24-point ranges changed nothing, so only the point's is widened); 7 days was taken (as good "
        "as 10–14 within 0.1, and the hours the forecaster's coarse read already covers). What it changed: the Twitter "
        "volumes' alerts fell from 187 to 163 (realTweets raw +12.6 → +17.0; CRM −0.21 → +2.36), while on AWS "
        "ec2_cpu_utilization_53ea38 both windows are now missed (their values lie inside the range of the week before). "
        "Of the remaining Twitter false alerts most (76 of 127) come from the surprise term alone; tried and dropped: "
        "counting the surprise only where the newest 24 errors' mean exceeds every earlier one in the window (63.7 at "
        "0.225, held out 55.8) or only by how far it exceeds them (56.6, held out 53.5); weighing the surprise by 0, 0.5 or 0.75 where the newest "
        "point lies under the window's and the week's max (58.5 / 59.0 / 61.3 at 0.225; held out 52.8 / 62.7 / 66.0, the "
        "last at a threshold near 0.19: +1.5, under the 2 points that would justify another parameter); a shorter window for hourly series (336, 168 or 96 "
        "hours instead of 576: 66.2 / 67.0 / 67.9 at 0.225), not taken: realAdExchange is the only hourly category, so "
        "the choice could only be made on the files it scores, and it would change the spend anomalies too. anomaly-2 (without the surprise term) scored "
        "57.9 / 48.2 / 62.7 at its threshold 0.216 (54.0 standard held out by category, threshold only). How anomaly-3's "
        "parameters were chosen: the surprise term's sizes and weight (predictor 6 or 12 points, recent 12–72, reference "
        "300–500, weight 0.2–1.5; also tried and dropped: a second surprise at 6 or 72 points, day-over-day errors, "
        "squared or square-root errors, a quantile-exceedance density term, range normalisations of the novelty, damping "
        "by past exceedances, other seasonal weights) were compared on whole-corpus sweeps, then the last grid by leave one "
        "category out (`python3 training/nab_cv.py`: configuration and threshold chosen on four categories, scored on the "
        "fifth): held-out standard **57.2** for anomaly-3, **59.9** for anomaly-4 (optimistic: the grid was narrowed "
        "after the whole-corpus runs; with the long memory (6, 24, 400, 0.7) is the choice of three folds and the best on "
        "all files, 66.6 at 0.1925, but the weight and the threshold were kept, not re-tuned on all files). At 0.225 "
        "anomaly-4 sits on a plateau (0.2225–0.2275 score 65.9–66.1); 0.220 scores 66.9 but alone.",
        "",
        "Third round (stages on top of anomaly-4, after the published detectors' ideas; none adopted, the rule being "
        "+2 points held out): `python3 training/nab_tried.py` (about 8 minutes) scores each candidate on one fixed "
        "threshold grid (0.14–0.40 by 0.0025, on which anomaly-4 scores 66.9 swept at 0.220 and **65.8** with the threshold "
        "chosen on the other four categories) and then chooses candidate and threshold together on four categories for "
        "the fifth. Standard at 0.225 / threshold-only held out: HTM-style anomaly likelihood as a gate (the newest raw "
        "score as a z against the last 576 or 2000 raw scores, raw × min(1, z / zc)): zc 1 66.6 / 66.2 (576), 66.6 / "
        "66.2 (2000), zc 2 64.7 / 64.4; the same z of the newest 10 raw scores as an added term 0.6 × (z − 3): 66.9 / "
        "66.6 (needs 2000 steps of raw scores, more than the windows hold); the surprise term divided by its own 90th "
        "percentile over the 576 steps before (per-series noise normalisation): 65.0 / 64.7, and with r0 0.6 62.2 / "
        "61.5; the surprise gated by the newest "
        "24 points' spread against the widest hour of the 7 days before (hour buckets' max − min): 64.2 / 64.9; a "
        "quiet term (recent prediction errors far below the earlier ones: a series that goes flat, the class of the "
        "missed AWS windows ec2_disk_write_bytes_c0d644 and ec2_cpu_utilization_24ae8d): 63.2 / 62.8; the largest "
        "term + 0.25 × the second: 65.6 / 65.8; every term on log(1 + x / first-day median): 46.7 / 46.4; CAD OSE's "
        "contextual novelty (the share of the newest 12 patterns of 3 consecutive values in 6 bins of the window's "
        "range that never occur earlier in the window, 4 × (share − 0.4)): **67.5** / 67.3 (+1.4 at 0.225), but its gain "
        "is on realAWSCloudwatch alone (with that category held out the other four choose anomaly-4); at 11 of 12, or with "
        "8 bins and 24 patterns: 66.7 / 66.5 and 66.7 / 66.4. Candidate and threshold chosen together on four categories: **64.7** held out "
        "over all candidates (65.1 over anomaly-4 and the three pattern variants) against 65.8 for anomaly-4 alone on the "
        "same grid: no stage generalises across categories. With `nab_cv.py`'s own measure (its surprise grid, each candidate's "
        "top-quantile thresholds) the stages as further candidates give 65.0 held out against its 59.9, but that gain is "
        "its Tweets fold no longer choosing the surprise weight 0.5 at a threshold of 0.14 (the weakness of nab_cv's grid), "
        "not a stage: 65.0 is no better than anomaly-4 with only its threshold held out (64.5 on nab_eval's thresholds, "
        "65.8 on the fixed grid), and the pattern term, chosen in four folds, is never chosen where its gain lies. Serving's quiet period after an alert (the refractory "
        "period, 1 day) at 0.5 or 2 days instead: 64.3 / 63.9 and 60.0 / 56.6. Where the loss stays: the Twitter "
        "volumes' false alerts (125 in the scored part, 13.1 of the raw score; 78 of them from the surprise term), "
        "and 16 windows (AWS 10, AdExchange 6) are missed with every term below the threshold, several of "
        "them a series going quiet or lower inside its range.",
        "",
        "Fourth round (the issue's fresh directions; none adopted, by the same rule): `python3 training/nab_tried4.py` "
        "(about 4 minutes) measures them by nab_tried.py's protocol (the same grid, on which anomaly-4 scores 65.8 held "
        "out). Standard at 0.225 / swept / threshold-only held out, and what changed at 0.225. A two-sample rank shift "
        "(Mann–Whitney: the newest 12 or 24 points against the window's earlier points as |2·AUC − 1|, which is 1 when "
        "every recent point lies beyond every earlier one, above or below, so a shift down inside the range scores like "
        "one up; 2 × its excess over e0 0.9 or 0.95): 64.8 / 65.6 / 64.4 (12 points, e0 0.9), 66.0 / 66.8 / 65.6 (the "
        "three others): it catches no window anomaly-4 misses (AWS 20 of 30, AdExchange 8 of 14 either way) and adds "
        "false alerts; against the 168 hourly means of the week before instead of the window: 58.6 / 59.4 / 54.5 and "
        "60.9 / 60.9 / 56.7 (a daily cycle makes the newest hour extreme against a week of all hours). A time-of-day "
        "term (the newest hour's mean against the same clock hour on each of the 7 days before, in units of the larger of "
        "those 7 means' spread and f × the window's standard deviation, weight w): f 0.25 w 0.2 66.1 / 66.9 / 65.0, "
        "catching 3 more AdExchange windows (11 of 14) and 1 more AWS one (21 of 30) for 23, 6, 18 and 11 more false "
        "alerts in AdExchange, AWS, Tweets and the artificial files; f 0.5 w 0.2 66.3 / 66.3 / 64.3; w 0.4 47.5 / 64.4 "
        "/ 61.5 (f 0.25) and 64.6 / 65.2 / 62.6 (f 0.5). The same idea with a per-series scale, the most promising "
        "stage measured so far: the newest whole clock hour's mean against its daily profile (the mean of the same clock "
        "hour on the 7 days before) in units of how far the hour means of the 72 hours before strayed from their own "
        "profiles (the root mean square; a series the profile does not predict gets a wide scale), weight w: w 0.2 68.8 "
        "/ 68.8 / 66.6, **w 0.3 69.6 / 69.6 / 68.5** (+2.7 with the threshold alone held out; AWS 21 of 30 windows with 2 "
        "more false alerts, AdExchange 12 of 14 with 22 more, Tweets 6 more false alerts; raw +1.7 AWS, +4.9 AdExchange, "
        "−0.7 Tweets), w 0.4 67.1 / 69.2 / 66.8. Not adopted: with the weight chosen on four categories as well, its "
        "choice moves from fold to fold (0.3 for AWS and the artificial files, 0.2 with AdExchange held out, where 0.3 "
        "gains most, and 0.4 at 0.2525 with the Tweets held out, which loses there): 66.1 held out for anomaly-4 and the "
        "three weights against 65.8 for anomaly-4 alone (+0.3, under the +2 of the rule). Serving would read 10 days of "
        "hour means (the 35-day hourly windows hold them). The terms combined by their own tail probabilities (each term's "
        "rank among its last 576 or 2000 values, p = (1 + earlier values ≥ it) / (L + 1), the smallest p; the grid spans "
        "p from 1 to 1/(L + 1)): 24.7 / 37.8 / 31.3 (576) and 21.0 / 57.1 / 51.8 (2000), 395–436 false alerts on the "
        "Tweets: a term at the top of its own recent values is ordinary (every two days hold a maximum), so the ranks "
        "lose the magnitude that separates anomalies (and serving would need L + 576 steps of history). The false alerts "
        "analysed (anomaly-4's alerts at 0.225 after NAB's probation, by the term that fired: novelty / surprise / "
        "seasonal): Twitter false 125 (31 / 78 / 16), Twitter true 36 (18 / 16 / 2), other categories' true 35 (20 / "
        "12 / 3) and false 39 (6 / 24 / 9): the surprise term fires 102 false and 28 true alerts, the novelty 37 and 38 "
        "(the surprise's weight was chosen by nab_cv.py already); the surprise's baseline raised to the mean error of "
        "the same hours a day earlier (± 0, 1 or 3 hours: noise that recurs daily does not count) removes only 9–11 of "
        "the 125 Twitter false alerts and misses 1–2 Twitter windows: 65.7 / 66.6 / 61.6, 64.8 / 66.7 / 63.1, 65.8 / "
        "66.7 / 64.8; on errors relative to the predictor's level: 53.8 / 54.8 / 52.6 (and with that baseline 54.0 / "
        "54.9 / 47.2). The median raw score at an alert is 1.09 × the "
        "threshold's on Twitter false alerts, 1.15 on the other false ones, 1.70 on Twitter true and 2.47 on other true "
        "ones: a false alert is a marginal crossing, which the threshold sweep already weighs. They do not last shorter: "
        "the score is at the threshold again within the next 12 steps after 92% of Twitter false alerts and 83% of the "
        "other true ones, so requiring 2 or 3 steps at the threshold loses the spike windows: 58.7 / 58.7 / 55.9 and "
        "58.8 / 58.8 / 55.4 (AWS 16 of 30, AdExchange 6 of 14). The 16 missed windows (the script lists them): one "
        "(iio_us-east-1_i-a2eb1cd9_NetworkIn's first, rows 218–280) lies in the first day, which nothing scores; in the "
        "others the largest anomaly-4 term peaks at 0.08–0.97 × the threshold's raw score. The rank shift there peaks above "
        "its 99th percentile outside the file's windows in 4 of the 15 (ec2_cpu_utilization_53ea38 twice, 0.71 and 0.86 "
        "against 0.45; elb_request_count_8c0756; ec2_cpu_utilization_24ae8d), the time-of-day term (f 0.25, w 0.2) in 6 (53ea38 twice, "
        "exchange-2's three, exchange-4_cpc: 0.74–1.40 × the threshold against 0.44–0.75), but ordinary steps of other "
        "files reach as much (rank shift 0.98 on iio NetworkIn, time of day 1.40 and 1.24 × the threshold at the 99th "
        "percentile of grok_asg_anomaly and rds_cpu_utilization_cc0c53): separable within a file, not at one scale for "
        "all (the profile term above gives the time of day a per-series scale from the hour buckets; calibrating every "
        "term by its own ranks, above, failed). Candidate and threshold chosen together on four "
        "categories over all of this round's candidates: **66.1** held out (the profile term in every fold, at 0.3, 0.2 or "
        "0.4) against 65.8 for anomaly-4 alone: +0.3; anomaly-4 stays.",
        "",
        "Fifth round (a learned combination instead of fixed weights; not adopted, the rule, written before running, "
        "being +2 points held out over anomaly-4 on the same protocol and ≥ 66.1 on all 44): `python3 training/nab_tried5.py` "
        "(about 17 minutes) fits a logistic regression on log(1 + term) of anomaly-4's raw score and terms, the candidate "
        "terms of rounds 3–4 and one new term (a relative entropy after Wang et al.: the newest 24 points against the window's "
        "earlier ones as mid-ranks in 8 bins, for the missed windows that change shape inside their range; inside 6 of "
        "the 16 missed windows it peaks above its 99th percentile outside the file's windows, but other files' ordinary "
        "steps reach more), weighted by NAB's own per-row rewards (a window's rows by the reward of a detection there, "
        "each window weighing the same; the rows outside by the false-positive cost there), fitted on four categories with "
        "its threshold swept there (one-day suppression) and scored on the fifth; the configuration (feature set, "
        "negative weight, L2, fitted on every row or the tail, coefficients free or none negative) chosen in the fold. "
        "Held out (anomaly-4 65.7 on the same quantile thresholds, 65.8 on the fixed grid, so the bar is 67.75): "
        "anomaly-4's terms 63.2, + the time of day against the profile **66.6** (free coefficients; 65.0 when monotone "
        "ones may be chosen too), + all round 3–4 candidates 57.8, + the relative entropy 61.1, every configuration "
        "together 60.5. On all 44 files, fitted and thresholded there (in-sample): 68.6 (anomaly-4's terms), 67.9, 67.5, "
        "66.9: the learned weights gain where they are fitted and lose where they are not, mostly on the Twitter volumes "
        "(75.3 for anomaly-4 held out, 60–72 learned) and, with two of the sets, the artificial files' in-range daily "
        "changes (flatmiddle, jumpsdown, nojump alert after their windows: 43–44 against 89). Anomaly-4 stays.",
        "",
        "Sixth round (the profile term of round 4 again, fold by fold; not adopted by the same rule, written in the script "
        "before running): `python3 training/nab_tried6.py` (about 4 minutes). The term on a finer weight grid (w 0.2, 0.25, "
        "0.3, 0.35, 0.4), standard at 0.225 / swept / threshold-only held out: 68.8 / 68.8 / 66.7, 68.4 / 68.4 / 67.1, "
        "69.6 / 69.6 / 68.5, 69.3 / 69.4 / 65.3, 67.1 / 69.2 / 66.8 (anomaly-4: 66.1 / 66.9 / 65.8): every weight gains on "
        "all 44 files, but the held-out figure jumps by 3 points between neighbouring weights (the AWS fold's threshold "
        "moves from 0.23 to 0.26). Its RMS over 168 hours instead of 72: 68.1–69.2 at 0.225, 64.4–68.7 held out. With the "
        "unseen-patterns term of round 3 on top: 67.8–70.1 at 0.225 (**70.0 at w 0.3**, 22 of 30 AWS windows), 65.2–69.0 "
        "held out. With weight and threshold chosen together on four categories, the procedure's held-out figure: 66.1 "
        "(profile weights), 66.3 (168 hours), 64.2 (with the patterns), 66.0 (all of them) against 65.8 for anomaly-4 "
        "alone: the Twitter fold always chooses the largest weight (0.4) or a higher threshold, which loses on the Twitter "
        "volumes, and the AdExchange fold the smallest. The term carries signal the others lack (12 of 14 AdExchange "
        "windows at w 0.3 against 8 of 14), but how much of it to take is not stable across categories, so on files of a "
        "new kind it would not be known to help; anomaly-4 stays (the simpler of two that score alike held out).",
        "",
        "Seventh round (a shape term not tried before; not adopted by the same rule, written in the script before running): "
        "`python3 training/nab_tried7.py` (about 5 minutes). Matrix-profile discords: the z-normalised distance from the newest "
        "m points to their nearest neighbour earlier in the 576-step window (trivial matches excluded), divided by √m so it "
        "lies in [0, 2] on any series, as an absolute term 2w × max(0, d − 0.5) or relative to its own 99th percentile over the "
        "576 steps before, 4w × max(0, d / q99 − 1); m 12, 24, 48; w 1, 2, 3 (absolute) and 0.5, 1, 2 (relative). Standard at "
        "0.225 / swept / threshold-only held out: the best, m 12 absolute w 2, 66.5 / 67.9 / 66.9 (anomaly-4 66.1 / 66.9 / 65.8), "
        "catching AdExchange 12 of 14 windows and AWS 21 of 30 (8 and 20) for 30 more false alerts there; w 1 changes almost "
        "nothing (66.0–66.1 at any m), and w 3 or m 24–48 at w 2 bury the corpus in false alerts (28–41 standard at 0.225); "
        "every relative variant loses (62.1–64.8 at 0.225: a per-series 99th percentile makes every series' rarest shapes alike). With candidate and "
        "threshold chosen together on four categories: 63.4 held out against 65.8 for anomaly-4 alone; four folds choose the "
        "term, but not the AdExchange fold, where its gain lies: the same instability as the profile term of rounds 4 and 6. "
        "Anomaly-4 stays.",
        "",
    ]
    return lines


def limits(out_dir: str) -> list[str]:
    an = json.load(open(os.path.join(out_dir, "anomaly-eval.json")))
    tweets = [f["alerts"] for f in an["files"] if f["file"].startswith("realTweets/")]
    missed = [f["file"].split("/")[1] for f in an["files"] if f["windows"] > 0 and f["raw_standard"] <= -f["windows"] + 1e-9]
    return [
        f"- The anomaly detector (NAB standard {an['profiles']['standard']['serving']:.1f} at its serving threshold on the "
        "development files) misses the goal of issue 14 (above HTM's 71.4). Where it loses: alerts on the heavy-tailed "
        f"Twitter volumes (at most one a day, but {min(tweets)}–{max(tweets)} a file), and files whose anomalies stay inside "
        f"the last two days' range, where it misses every window: {', '.join(missed)}.",
        "- The detector's memory is two days of 5-minute steps plus, for the single point, the range of the 7 days of "
        "hour buckets: a weekly pattern is not known to it. In serving an hour bucket's max and min are those of the raw "
        "events, which with several events per 5-minute step are wider than the 5-minute means the detector scores "
        "(more conservative than on NAB, where each step is one event).",
    ]
