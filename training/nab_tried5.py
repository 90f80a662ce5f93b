"""Fifth round (issue 14 §2): a LEARNED combination of anomaly-4's terms and the earlier rounds' candidate terms,
measured leave one category out. Written before any run; figures are filled in below when measured.

    FORESIGHT_NAB_DIR=… nice -n 10 python3 training/nab_tried5.py    # terms cached under /tmp/nab6-cache; one JSON line last

Design: per step, the features are log(1 + term) of anomaly-4's three terms (training/detector.py `terms`: novelty,
seasonal, surprise) and of the candidate terms of rounds 3–4 (training/nab_tried.py, nab_tried4.py: time of day
against the daily profile, time of day against the week's same hours, rank shift, surprise in context, quiet, unseen
patterns) plus at most one new term (below). A logistic regression (L2, fitted by Newton's method in numpy: trivial
to serve in TypeScript as one dot product) is fitted on four categories and scores the fifth. Its target follows
NAB's reward: a row inside a labelled window is positive with weight NAB's own reward for a detection there (the
scaled sigmoid of its position: ≈1 at the window's start, ≈0 at its end), normalised so that each window weighs
the same; a row outside every window is negative with weight NAB's false-positive cost there (fpWeight × |σ| of
its distance from the previous window, 0.11 far away, ~0 just after a window); NAB's probation rows are not used.
One threshold for the fold, chosen as NAB sweeps it on the four training categories (with serving's one-day
suppression), scores the held-out category; the five held-out parts are normalised together (nab_cv.py `loco`).
Hyper-parameters (the negative-to-positive weight ratio, the L2 strength, the feature set) are fixed in advance to a
few values and chosen inside each fold with the threshold, on the four training categories only.

Adoption rule (fixed before running): the learned model is adopted only if its held-out (leave-one-category-out)
standard score is at least 2 points above anomaly-4's on the same protocol and threshold grid (anomaly-4's
threshold chosen on four categories from the same grid), i.e. ≥ +2 over the larger of anomaly-4's held-out figures
on the quantile grid used here and on nab_tried.py's fixed grid (65.8), AND its standard score on all 44 files at
the one threshold it would serve (chosen on all 44) is ≥ 66.1. When two variants score alike (within 0.5), the
simpler one (fewer features) is preferred. realKnownCause and realTraffic are never fetched, trained or tuned on.
"""
