"""Item 2 of issue 23: every verdict states n per arm and the smallest effect it could have
detected, and a null call ("no effect", "does not move") without the power for the claim's effect
is "not determined: needs n ≈ …". Each test below fails on the rules before issue 23 (which made
the null call regardless of n)."""

from __future__ import annotations

import numpy as np

from theory import claims as c
from theory.power import mde_paired, n_for_paired, power_row
from theory.refine import bimodal_widths, propose_refinement
from theory.text import power_text


def test_c7_a_null_side_without_power_is_not_determined():
    # 3 pairs per side with a seed sd of 0.4: the small side "not above 0" could miss a benefit of 0.5
    noisy = {"small": [0.4, -0.4, 0.0], "large": [0.5, 0.6, 0.55]}
    v = c.verdict_c7({"hint": noisy})
    assert v.verdict.startswith("not determined"), v.verdict  # old rule: "holds"
    assert v.power["arms"] == {"small": 3, "large": 3} and v.power["mde"] > 0.1
    assert v.power["needs_n"] == n_for_paired(0.1, float(np.std(noisy["small"], ddof=1)))
    quiet = {"small": [0.01, -0.01, 0.0, 0.01, -0.01, 0.0], "large": [0.5, 0.6, 0.55, 0.5, 0.6, 0.55]}
    v = c.verdict_c7({"hint": quiet})
    assert v.verdict == "holds" and v.power["needs_n"] is None and v.power["mde"] <= 0.1


def test_c7_reports_excluded_signals_beside_the_verdict():
    quiet = {"small": [0.0, 0.01, -0.01], "large": [0.5, 0.6, 0.55]}
    v = c.verdict_c7({"critic": quiet}, excluded={"hint": "did not act (no-signal in 15 of 15 cells)"})
    assert v.verdict == "holds" and "hint: excluded, did not act" in v.result


def test_c9_no_ceiling_move_needs_power_for_the_effect():
    wide = {"dA": [0.3, -0.3, 0.2, -0.2], "dlnC": [0.0] * 4, "dB": [0.0] * 4}
    v = c.verdict_c9({"temperature": {"small": wide, "large": wide}})
    assert v.verdict.startswith("not determined"), v.verdict  # old rule: "holds"
    tight = {"dA": [0.01, -0.01, 0.0, 0.01], "dlnC": [0.0] * 4, "dB": [0.0] * 4}
    assert c.verdict_c9({"temperature": {"small": tight, "large": tight}}).verdict.startswith("holds")


def test_c3_does_not_move_only_when_the_intervals_rule_a_move_out():
    cats = {"prior": "data"}
    wide = {"prior": {"0.25": (3.3e3, 8.4e4), "0.5": (5.4e3, 5.6e4)}}  # the shipped intervals: overlap, x25 allowed
    v = c.verdict_c3(wide, cats, {"prior": {"0.25": 15, "0.5": 21}})
    assert v.verdict.startswith("not determined"), v.verdict  # old rule: "fails: no tested factor moves N_c"
    assert "needs n ≈" in v.result
    tight = {"prior": {"0.25": (1.0e4, 1.3e4), "0.5": (1.1e4, 1.4e4)}}
    assert c.verdict_c3(tight, cats).verdict.startswith("fails")


def test_c1_no_difference_without_power_is_not_determined():
    v = c.verdict_c1([0.0, 0.02, -0.02], [0.0, 0.4, -0.2], 0.0, "x")
    assert v.verdict.startswith("not determined: needs n"), v.verdict  # old: "holds only in part"
    assert v.power["arms"] == {"without": 3, "with": 3}


def test_power_row_keeps_needs_n_only_where_the_effect_is_out_of_reach():
    assert power_row({"a": 5}, 0.3, 0.1, "x", 40)["needs_n"] == 40
    assert power_row({"a": 50}, 0.05, 0.1, "x", 40)["needs_n"] is None
    assert power_row({"a": 1}, float("nan"), 0.1, "x", 40)["needs_n"] == 40  # unknown power: not earned
    text = power_text(power_row({"small": 3, "large": 4}, mde_paired(0.4, 3), 0.1, "paired benefit", 130))
    assert text.startswith("n small 3, large 4; detectable paired benefit") and "needs n ≈ 130" in text


def test_refinement_adds_seeds_where_outcomes_are_bimodal():
    gains = {8: [0.0] * 3, 16: [0.0, 0.3, 0.0], 32: [0.5, 0.0, 0.6], 64: [0.5, 0.6, 0.7]}
    assert bimodal_widths(gains) == [16, 32]
    old = propose_refinement(gains, min_seeds=5)
    assert old.more_seeds == {16: [3, 4], 32: [3, 4]}  # the bracket only, to min_seeds
    r = propose_refinement(gains, min_seeds=5, takeoff_seeds=12)
    assert r.more_seeds == {16: list(range(3, 12)), 32: list(range(3, 12))}
    gains[64] = [0.5, 0.0, 0.7]  # a coin flip above the bracket too
    assert 64 in propose_refinement(gains, min_seeds=5, takeoff_seeds=12).more_seeds
