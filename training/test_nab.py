"""The NAB scorer on a small case checked by hand (python3 -m pytest training/ or python3 training/test_nab.py)."""
import math
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nab import PROFILES, corpus_score, prepare, raw_score, scaled_sigmoid  # noqa: E402

STD = PROFILES["standard"]


def test_scaled_sigmoid_reference_points():
    # NAB's documented reference values
    assert abs(scaled_sigmoid(-1.0) - 0.98661) < 1e-5
    assert abs(scaled_sigmoid(-0.5) - 0.84828) < 1e-5
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(3.0) == -1.0


def test_hand_checked_file():
    # 100 rows: probation = min(floor(15), 750) = 15 rows; one window, rows 40..49 (width 10).
    rows = prepare(100, [(40, 49)], STD)
    # detection at the window's first row: p = -(49-40+1)/10 = -1 → tp 1.0 exactly
    det = [False] * 100
    det[40] = True
    assert abs(raw_score(rows, __import__('numpy').array(det), STD) - 1.0) < 1e-12
    # a detection at row 45: p = -(49-45+1)/10 = -0.5 → 0.84828 / 0.98661
    det = [False] * 100
    det[45] = True
    det[47] = True  # a later one in the same window does not count
    got = raw_score(rows, __import__('numpy').array(det), STD)
    assert abs(got - scaled_sigmoid(-0.5) / scaled_sigmoid(-1.0)) < 1e-12
    # a false positive before any window: -fpWeight; one in probation: ignored; missed window: -1
    det = [False] * 100
    det[20] = True
    det[5] = True
    assert abs(raw_score(rows, __import__('numpy').array(det), STD) - (-0.11 - 1.0)) < 1e-12
    # a false positive 5 rows after the window: p = |49-54| / (10-1) = 5/9
    det = [False] * 100
    det[40] = True
    det[54] = True
    expect = 1.0 + 0.11 * scaled_sigmoid(5 / 9)
    assert abs(raw_score(rows, __import__('numpy').array(det), STD) - expect) < 1e-12


def test_normalisation():
    import numpy as np
    rows = prepare(100, [(40, 49)], STD)
    perfect = np.zeros(100)
    perfect[40] = 1.0
    score, th, _ = corpus_score([(rows, perfect)], STD, thresholds=[0.5])
    assert abs(score - 100.0) < 1e-9 and th == 0.5
    null, _, _ = corpus_score([(rows, np.zeros(100))], STD, thresholds=[0.5])
    assert abs(null) < 1e-9


if __name__ == "__main__":
    test_scaled_sigmoid_reference_points()
    test_hand_checked_file()
    test_normalisation()
    print("nab: 3 passed, 0 failed")
