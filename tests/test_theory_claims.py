"""Verdict rules of the study's claims (theory/claims.py): each verdict follows from the numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from theory import claims as c
from theory import study_stats as sa
from theory.takeoff import fit_takeoff, takeoff_from_gain

DOCS = Path(__file__).resolve().parents[1] / "docs" / "study"


def test_c1_holds_fails_and_not_determined():
    assert c.verdict_c1([0.0, 0.01, -0.02, 0.0], [0.4, 0.5, 0.45], 0.2, "trace pass@64 < 0.05").verdict == "holds"
    assert c.verdict_c1([0.3, 0.35, 0.32], [0.4, 0.5, 0.45], 0.0, "x").verdict.startswith("fails")
    assert c.verdict_c1([0.0], [0.4, 0.5, 0.45], 0.0, "x").verdict.startswith("not determined")
    assert c.verdict_c1([0.0, 0.01, 0.0], [0.0, 0.02, 0.01], 0.0, "x").verdict.startswith("holds only in part")


def _takeoff(takeoffs, seeds=3, sizes=(888, 3e3, 7e3, 2.6e4, 1e5, 4e5)):
    n = np.repeat(sizes[: len(takeoffs)], seeds)
    y = np.concatenate([[1.0] * k + [0.0] * (seeds - k) for k in takeoffs])
    return fit_takeoff(n, y)


def test_c2_threshold_and_its_predictability():
    sharp = _takeoff((0, 0, 0, 12, 12, 12), seeds=12)
    assert sharp.verdict == "sharp"
    assert c.verdict_c2(sharp, "resolved", 2.0).verdict == "holds"
    assert c.verdict_c2(sharp, "resolved", 0.5).verdict.startswith("holds only in part")
    smooth = _takeoff((0, 2, 4, 6, 8, 10, 12), seeds=12, sizes=tuple(np.geomspace(1e2, 1e8, 7)))
    assert smooth.verdict == "smooth" and c.verdict_c2(smooth, "budget", np.nan).verdict.startswith("fails")
    flat = _takeoff((4, 4, 4, 4, 4, 4), seeds=12)
    assert flat.verdict == "no trend" and c.verdict_c2(flat, "", np.nan).verdict.startswith("fails")


def test_c2_untrusted_fit_is_not_determined_whichever_way_it_leans():
    """The shipped reference setting (ModChain L=5, widths 8-128 with 3-5 seeds): the old rule read
    "fails: smooth" off a gain-vs-N fit whose N_c interval was wider than the grid; P(take-off) over
    its seeds cannot tell sharp from smooth, and the rule must say so (fails on the old rule)."""
    cells = pd.read_csv(DOCS / "cells.csv")
    ref = cells[(cells.setting == "threshold") & (cells.status == "ok")]
    v = c.verdict_c2(fit_takeoff(ref.n_params, takeoff_from_gain(ref.gain)), "resolved", 0.35)
    assert v.verdict.startswith("not determined"), v.verdict
    few = _takeoff((0, 0, 3), seeds=3)  # a step between 3 sizes: leans sharp, but 3 sizes
    assert c.verdict_c2(few, "", np.nan).verdict.startswith("not determined: 3 sizes")


def test_c3_moves_by_category():
    inf = np.inf
    f = {
        "horizon": {"3": (1e3, 2e3), "5": (4e3, 8e3)},
        "prior": {"0.3": (1e3, 1.5e3), "1.0": (1.1e3, 1.6e3)},  # overlap, and no move by x2 fits both
        "depth": {"1": (1e3, 2e3), "2": (3e3, inf)},
    }
    cats = {"horizon": "task", "prior": "data", "depth": "architecture"}
    v = c.verdict_c3(f, cats)
    assert v.verdict == "holds only where the factor is architecture or task"
    f["prior"]["1.0"] = (5e3, 9e3)
    assert c.verdict_c3(f, cats).verdict == "holds"
    flat = {k: {"a": (1e3, 1.5e3), "b": (1.1e3, 1.6e3)} for k in cats}
    assert c.verdict_c3(flat, cats).verdict.startswith("fails")
    assert c.verdict_c3({"horizon": {"3": (np.nan, np.nan)}}, cats).verdict.startswith("not determined")


def _c4(n, rf, null, col):
    return {"n": n, "rise_fall": rf, "rise_fall_null": null, "collapsed": col, "final_sd": 0.1}


def test_c4_against_a_seed_matched_null_and_large_models():
    """The shipped numbers (rise-then-fall 9/13 small, 7/11 large; below base 4/13 vs 0/11) read
    "holds" under the old rule; the detector fires about as often on plain noise, and small vs large
    is not significant: not "holds" (fails on the old rule)."""
    shipped = c.verdict_c4(_c4(13, 9 / 13, 0.6, 4 / 13), _c4(11, 7 / 11, 0.5, 0.0))
    assert shipped.verdict.startswith("not determined"), shipped.verdict
    assert "plain noise: 60%" in shipped.result and shipped.power["arms"] == {"small": 13, "large": 11}
    assert c.verdict_c4(_c4(20, 0.8, 0.2, 0.5), _c4(20, 0.1, 0.2, 0.0)).verdict == "holds"
    assert c.verdict_c4(_c4(40, 0.2, 0.2, 0.05), _c4(40, 0.2, 0.2, 0.05)).verdict.startswith("fails")
    part = c.verdict_c4(_c4(20, 0.8, 0.2, 0.0), _c4(20, 0.1, 0.2, 0.0)).verdict
    assert part.startswith("holds only in part: the reward rises and falls")
    assert c.verdict_c4(_c4(2, 0.8, 0.2, 0.5), _c4(20, 0.1, 0.2, 0.0)).verdict.startswith("not determined")


def test_c5_the_format_share_is_a_function_of_pass1_and_only_reported():
    """The format share equals b(1 − p)/(p + b(1 − p)) (b = 0.2) when every wrong answer is well formed:
    a metric computed from pass@1 (on the study shipped before issue 23, r = 0.996; on today's signals
    grid, whose base also writes ill-formed answers, r = 0.81). Issue 23: it no longer decides C5 (the
    rule reads the tokens, tests/test_c5_tokens.py); it is reported beside the token measure, with its r."""
    cells = pd.read_csv(DOCS / "cells.csv")
    fc = cells[cells.setting == "signals[variant=format-bonus]"]
    r = sa.share_vs_pass1(fc, 0.2)
    assert np.isfinite(r) and r > 0.5
    words = c.share_report([0.2, 0.3, 0.25], [0.7, 0.8, 0.75], [0.1, 0.1, 0.2], r)
    assert f"= {r:.3f}" in words and "not deciding" in words and "end +0.750" in words
    v = c.verdict_c5([0.2, 0.25, 0.22], [0.0, 0.01, -0.01], 0.3, reported=words)
    assert v.verdict == "holds" and words in v.result  # the share sits in the result, the tokens decide
    p = np.linspace(0.05, 0.9, 8)
    exact = pd.DataFrame({"base_p1": p, "rl_p1": p, "format_start": sa.format_share_of_pass1(p, 0.2)})
    assert sa.share_vs_pass1(exact.assign(format_end=exact.format_start), 0.2) == pytest.approx(1.0)


def test_rise_fall_null_is_keyed_and_matches_noise():
    rng = np.random.default_rng(0)
    r = np.clip(0.4 + 0.05 * rng.standard_normal(30), 0, 1)
    a, b = sa.rise_fall_null(r, (32, 1)), sa.rise_fall_null(r, (32, 1))
    assert a == b and 0 < a < 1  # plain noise of sd 0.05 trips a 0.05 rise-and-fall detector often
    assert sa.rise_fall_null(np.full(30, 0.4), (32, 1)) == 0.0  # no noise, no false alarms
    assert np.isnan(sa.rise_fall_null([0.1, 0.2], (8, 0)))


def test_c6_c7_c8_c9_rules():
    ln_n = np.log([100, 100, 400, 400, 1600, 1600])
    assert c.verdict_c6(ln_n, [0.2, 0.3, 0.5, 0.6, 0.8, 0.9], {"temperature": [0.0, -0.01, 0.01]}).verdict == "holds"
    assert c.verdict_c6(ln_n, [0.9, 0.8, 0.6, 0.5, 0.3, 0.2], {}).verdict.startswith("fails")
    s = {
        "hint": {"small": [0.0, 0.01, -0.01], "large": [0.2, 0.25, 0.3]},
        "dense": {"small": [0.2, 0.25, 0.3], "large": [0.2, 0.25, 0.3]},
    }
    assert c.verdict_c7(s).verdict == "holds only where the signal is hint"
    assert c.verdict_c7({"dense": s["dense"]}).verdict.startswith("fails: dense help small")
    t = {
        "coverage": {"mae": 0.05, "auroc": 0.9, "nc_err_steps": 0.5, "n_settings": 5},
        "ln N": {"mae": 0.2, "auroc": 0.6, "nc_err_steps": 2.0, "n_settings": 5},
    }
    assert c.verdict_c8(t, ("coverage", "ln N")).verdict == "holds"
    t["coverage"]["mae"] = 0.3
    assert c.verdict_c8(t, ("coverage", "ln N")).verdict.startswith("fails")
    same = {"dA": [0.0, 0.01, -0.01, 0.0], "dlnC": [-0.5, -0.6, -0.4, -0.5], "dB": [0.0, 0.1, -0.1, 0.0]}
    up = {"dA": [0.2, 0.25, 0.3, 0.2], "dlnC": [0.0] * 4, "dB": [0.0] * 4}
    assert c.verdict_c9({"curriculum": {"small": same, "large": same}}).verdict.startswith("holds; curriculum")
    assert c.verdict_c9({"curriculum": {"small": same, "large": up}}).verdict.startswith("fails")
    assert c.verdict_c9({"curriculum": {"small": up, "large": same}}).verdict.startswith("holds only where")
    assert c.verdict_c9({}).verdict.startswith("not determined")
