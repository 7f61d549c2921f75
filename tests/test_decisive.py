"""The one number that decides each claim (issue 23, item 6): every rule C1-C11 records beside its
verdict the number it read for the word it returned (Verdict.decisive), and the README's study block
shows one short row per claim with that number. Each test here fails on the rules before it (which
recorded no such number, and a README block that put each claim's whole measured text in a cell)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from test_theory_claims import _c4, _takeoff

from theory import claims as c
from theory.agreement import compare, mark_flips
from theory.claims_behaviour import combine_tasks, verdict_c10, verdict_c11
from theory.claims_rl import _c4_tests
from theory.power import mde_means
from theory.verdict import mean_ci

ROOT = Path(__file__).resolve().parents[1]
_NUM = re.compile(r"[−+-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?")


def nums(text: str) -> list[str]:
    """Every number printed in ``text``, as printed (true minus read as minus)."""
    return [m.replace("−", "-") for m in _NUM.findall(text)]


def has(text: str, value: float) -> bool:
    """``text`` prints ``value`` rounded as the text rounds it: '0.067' for 0.0669, '3.0e3' for 3000;
    a number printed without decimals must equal ``value`` ('2' is not 2.4)."""
    for tok in nums(text):
        mant, _, exp = tok.partition("e")
        dec = len(mant.partition(".")[2])
        if exp:
            same = abs(value - float(tok)) <= 0.5001 * 10.0 ** (int(exp.replace("−", "-")) - dec)
        else:
            same = float(tok) == value if dec == 0 else abs(value - float(tok)) <= 0.5001 * 10.0**-dec
        if same:
            return True
    return False


# --- C1 -------------------------------------------------------------------------------------------
def test_c1_decisive_is_the_number_its_word_rests_on():
    without, with_ = [0.0, 0.01, -0.02, 0.0], [0.4, 0.5, 0.45]
    v = c.verdict_c1(without, with_, 0.2, "x")
    assert v.verdict == "holds"
    diff = mean_ci(with_)[0] - mean_ci(without)[0]  # the difference of means the rule compares with 0.1
    assert has(v.decisive, diff) and has(v.decisive, 0.1), v.decisive
    v = c.verdict_c1([0.3, 0.35, 0.32], with_, 0.0, "x")
    assert v.verdict.startswith("fails") and has(v.decisive, np.mean([0.3, 0.35, 0.32])), v.decisive
    v = c.verdict_c1([0.0], with_, 0.0, "x")
    assert v.verdict.startswith("not determined") and has(v.decisive, 1) and has(v.decisive, 3), v.decisive
    v = c.verdict_c1([0.0, 0.01, 0.0], [0.0, 0.02, 0.01], 0.0, "x")  # the part that holds: no gain without
    assert v.verdict.startswith("holds only in part") and has(v.decisive, np.mean([0.0, 0.01, 0.0])), v.decisive
    wide = ([0.0, 0.02, -0.02], [0.0, 0.4, -0.2])
    v = c.verdict_c1(*wide, 0.0, "x")  # needs n: the detectable difference was too large
    mde = mde_means(np.std(wide[0], ddof=1), 3, np.std(wide[1], ddof=1), 3)
    assert v.verdict.startswith("not determined: needs n") and has(v.decisive, mde), v.decisive


# --- C2 -------------------------------------------------------------------------------------------
def test_c2_decisive_is_the_width_against_the_boundary_or_what_made_the_fit_untrustworthy():
    sharp = _takeoff((0, 0, 0, 12, 12, 12), seeds=12)
    v = c.verdict_c2(sharp, "resolved", 2.0)
    assert v.verdict == "holds"
    assert has(v.decisive, sharp.width_decades) and has(v.decisive, sharp.width_ci[1]), v.decisive
    assert has(v.decisive, 0.5) and f"n={sharp.n_cells}" in v.decisive, v.decisive
    assert "decades" in v.decisive
    part = c.verdict_c2(sharp, "resolved", 0.5)  # the part that holds: the threshold's width
    assert part.verdict.startswith("holds only in part") and has(part.decisive, sharp.width_decades)
    flat = _takeoff((4, 4, 4, 4, 4, 4), seeds=12)
    v = c.verdict_c2(flat, "", np.nan)
    gap = min(flat.bic["logistic"], flat.bic["ceiling"]) - flat.bic["constant"]
    assert v.verdict.startswith("fails") and has(v.decisive, gap) and has(v.decisive, 2), v.decisive
    few = _takeoff((0, 0, 3), seeds=3)
    v = c.verdict_c2(few, "", np.nan)
    assert v.verdict.startswith("not determined: 3 sizes") and has(v.decisive, 3) and has(v.decisive, 5)


# --- C3 -------------------------------------------------------------------------------------------
def test_c3_decisive_is_the_moving_pair_or_the_largest_move_the_intervals_allow():
    f = {"horizon": {"3": (1e3, 2e3), "5": (4e3, 8e3)}, "prior": {"0.3": (1e3, 1.5e3), "1.0": (1.1e3, 1.6e3)}}
    cats = {"horizon": "task", "prior": "data"}
    v = c.verdict_c3(f, cats, {"horizon": {"3": 12, "5": 15}})
    assert v.verdict.startswith("holds only where the factor is task")
    assert "horizon" in v.decisive and has(v.decisive, 2e3) and has(v.decisive, 4e3), v.decisive
    flat = {"prior": {"a": (1e3, 1.5e3), "b": (1.1e3, 1.6e3)}}
    v = c.verdict_c3(flat, {"prior": "data"})
    assert v.verdict.startswith("fails") and has(v.decisive, 1.6e3 / 1e3) and has(v.decisive, 2.0), v.decisive
    v = c.verdict_c3({"horizon": {"3": (np.nan, np.nan)}}, cats)
    assert v.verdict.startswith("not determined") and has(v.decisive, 0) and has(v.decisive, 2), v.decisive


# --- C4 -------------------------------------------------------------------------------------------
def test_c4_decisive_is_the_p_value_or_the_excess_that_decided():
    small, large = _c4(13, 9 / 13, 0.6, 4 / 13), _c4(11, 7 / 11, 0.5, 0.0)  # the shipped numbers
    v = c.verdict_c4(small, large)
    p = _c4_tests(small, large)["collapsed"]  # Fisher p of the below-base excess (0.067)
    assert v.verdict.startswith("not determined: a below-base excess")
    assert has(v.decisive, p) and has(v.decisive, 0.05) and "Fisher" in v.decisive, v.decisive
    small, large = _c4(20, 0.8, 0.2, 0.5), _c4(20, 0.1, 0.2, 0.0)
    v = c.verdict_c4(small, large)
    worst = max(_c4_tests(small, large).values())  # holds: the largest of the three p-values
    assert v.verdict == "holds" and has(v.decisive, worst), v.decisive
    v = c.verdict_c4(_c4(40, 0.2, 0.2, 0.05), _c4(40, 0.2, 0.2, 0.05))
    assert v.verdict.startswith("fails") and has(v.decisive, 0) and has(v.decisive, 25), v.decisive
    v = c.verdict_c4(_c4(2, 0.8, 0.2, 0.5), _c4(20, 0.1, 0.2, 0.0))
    assert v.verdict.startswith("not determined") and has(v.decisive, 2) and has(v.decisive, 3), v.decisive


# --- C5, C6 ---------------------------------------------------------------------------------------
def test_c5_c6_decisive():
    v = c.verdict_c5([0.2, 0.3, 0.25], [0.0, 0.01, -0.01], -0.987)  # issue 23: the rule reads the tokens
    assert has(v.decisive, 0.987) and has(v.decisive, 0.95), v.decisive
    v = c.verdict_c5([0.2, 0.3, 0.25], [0.0, 0.01, -0.01], 0.3)
    assert v.verdict == "holds" and has(v.decisive, 0.25) and has(v.decisive, 0), v.decisive
    v = c.verdict_c5([0.0, 0.01, -0.01], [0.0, 0.01, -0.01], 0.3)
    assert v.verdict.startswith("fails") and has(v.decisive, 0.05), v.decisive
    ln_n = np.log([100, 100, 400, 400, 1600, 1600])
    ent = [0.9, 0.8, 0.6, 0.5, 0.3, 0.2]
    v = c.verdict_c6(ln_n, ent, {})
    rho = stats.spearmanr(ln_n, ent).statistic
    assert v.verdict.startswith("fails") and has(v.decisive, rho), v.decisive
    noisy = {"temperature": [0.3, -0.3, 0.1]}
    v = c.verdict_c6(ln_n, ent[::-1], noisy)
    assert v.verdict.startswith("not determined") and "needs" in v.verdict
    assert has(v.decisive, v.power["mde"]) and has(v.decisive, 0.1), v.decisive


# --- C7, C8, C9 -----------------------------------------------------------------------------------
def test_c7_c8_c9_decisive():
    s = {
        "hint": {"small": [0.0, 0.01, -0.01], "large": [0.2, 0.25, 0.3]},
        "dense": {"small": [0.2, 0.25, 0.3], "large": [0.2, 0.25, 0.3]},
    }
    v = c.verdict_c7(s)  # holds only where the signal is hint: hint's benefit at large widths
    assert v.verdict == "holds only where the signal is hint"
    assert "hint" in v.decisive and has(v.decisive, 0.25) and "n=3" in v.decisive, v.decisive
    v = c.verdict_c7({"dense": s["dense"]})
    assert v.verdict.startswith("fails") and "dense" in v.decisive and has(v.decisive, 0.25), v.decisive
    noisy = {"small": [0.4, -0.4, 0.0], "large": [0.5, 0.6, 0.55]}
    v = c.verdict_c7({"hint": noisy})
    assert v.verdict.startswith("not determined") and has(v.decisive, v.power["mde"]), v.decisive
    t = {
        "coverage": {"mae": 0.05, "auroc": 0.9, "nc_err_steps": 0.5, "n_settings": 5},
        "ln N": {"mae": 0.2, "auroc": 0.6, "nc_err_steps": 2.0, "n_settings": 5},
    }
    v = c.verdict_c8(t, ("coverage", "ln N"))
    assert v.verdict == "holds" and has(v.decisive, 0.05) and has(v.decisive, 0.2) and has(v.decisive, 0.8)
    perfect = {k: dict(v, mae=0.0) for k, v in t.items()}  # ln N's MAE 0 (the tiny study): no division by it
    assert c.verdict_c8(perfect, ("coverage", "ln N")).verdict.startswith("fails")
    off = {"coverage": 0.181, "ln N": 0.178, "n_settings": 3, "n_cells": 30, "seed floor": 0.1}
    v = c.verdict_c8(t, ("coverage", "ln N"), takeoff=off)  # fails where RL takes off
    assert v.verdict.startswith("fails") and has(v.decisive, 0.181) and has(v.decisive, 0.178), v.decisive
    same = {"dA": [0.0, 0.01, -0.01, 0.0], "dlnC": [0.0] * 4, "dB": [0.0] * 4}
    up = {"dA": [0.2, 0.25, 0.3, 0.2], "dlnC": [0.0] * 4, "dB": [0.0] * 4}
    v = c.verdict_c9({"curriculum": {"small": same, "large": up}})
    assert v.verdict.startswith("fails") and "curriculum (large)" in v.decisive
    assert has(v.decisive, np.mean(up["dA"])) and has(v.decisive, 0.05), v.decisive
    v = c.verdict_c9({"curriculum": {"small": up, "large": {"dA": [0.1]}}})  # no large arm with 2 pairs
    assert v.verdict.startswith("holds only where") and "curriculum (small)" in v.decisive, v.decisive
    wide = {"dA": [0.3, -0.3, 0.2, -0.2], "dlnC": [0.0] * 4, "dB": [0.0] * 4}
    v = c.verdict_c9({"temperature": {"small": wide, "large": wide}})
    assert v.verdict.startswith("not determined") and has(v.decisive, v.power["mde"]), v.decisive


# --- C10, C11 -------------------------------------------------------------------------------------
def test_c10_c11_decisive():
    v = verdict_c10([True] + [False] * 9, [12.0], [0.5], power=0.71)
    assert v.verdict.startswith("not determined") and has(v.decisive, 71) and has(v.decisive, 80), v.decisive
    v = verdict_c10([True] + [False] * 9, [12.0], [0.5], power=0.9)
    assert v.verdict.startswith("fails") and has(v.decisive, 10) and has(v.decisive, 25), v.decisive
    amp = {8: [-0.01, 0.0, 0.01], 16: [0.2, 0.21, 0.25], 32: [0.3, 0.31, 0.35]}
    v = verdict_c11(amp)
    assert v.verdict == "holds" and "width 16" in v.decisive and has(v.decisive, np.mean(amp[16])), v.decisive
    v = verdict_c11({8: [0.2, 0.21, 0.25], 16: [0.3, 0.31, 0.35]})
    assert v.verdict.startswith("fails") and "width 8" in v.decisive and has(v.decisive, np.mean([0.2, 0.21, 0.25]))
    both = combine_tasks({"ModChain": verdict_c11(amp), "Add": verdict_c11({8: [0.2, 0.21, 0.25], 16: [0.3] * 3})})
    assert both.verdict.startswith("holds only where the task is ModChain")
    assert both.decisive.startswith("ModChain: width 16"), both.decisive


def test_a_verdict_that_flips_between_runs_says_so_in_its_decisive_number():
    a = {"C2": {"verdict": "holds", "decisive": "10-90% width 0.1 [0, 0.3] decades vs 0.5 boundary, n=24"}}
    b = {"C2": {"verdict": "fails: smooth", "decisive": "x"}}
    out = mark_flips(a, compare(a, b), "2 vs 1 torch threads")
    assert out["C2"]["verdict"].startswith("not determined") and "flips" in out["C2"]["decisive"]


def test_decisive_is_in_the_verdicts_json_form():
    v = c.verdict_c1([0.0, 0.01, -0.02, 0.0], [0.4, 0.5, 0.45], 0.2, "x")
    assert json.loads(json.dumps(v.to_dict()))["decisive"] == v.decisive != ""


# --- the README's block and study.md --------------------------------------------------------------
def _long_verdicts(claims) -> dict:
    return {
        k: {
            "claim": k,
            "result": "a measured result of many words | with a bar " * 12,
            "verdict": "not determined: needs n ≈ 40 per arm to tell a 0.1 difference (and more)",
            "rule": "r",
            "decisive": f"{k}'s number +0.123 [+0.050, +0.190] (n=9) vs 0.1 boundary",
        }
        for k in claims
    }


def test_readme_study_block_is_one_short_row_per_claim(tmp_path):
    from aha.readme import study_table

    present = [f"C{i}" for i in range(1, 12) if i != 5]
    (tmp_path / "verdicts.json").write_text(json.dumps(_long_verdicts(present), sort_keys=True))
    block = study_table(tmp_path)
    rows = [line for line in block.splitlines() if line.startswith("| C")]
    assert [r.split("|")[1].strip() for r in rows] == present
    assert max(len(r) for r in rows) <= 300, max(rows, key=len)
    for k, r in zip(present, rows, strict=True):
        assert f"{k}'s number +0.123 [+0.050, +0.190] (n=9) vs 0.1 boundary" in r and "**not determined**" in r
        assert "measured result" not in r
    assert "docs/study/study.md" in block


def test_readme_study_block_from_an_old_study_without_decisive(tmp_path):
    from aha.readme import study_table

    shipped = json.loads((ROOT / "docs" / "study" / "verdicts.json").read_text())
    for v in shipped.values():
        v.pop("decisive", None)
    (tmp_path / "verdicts.json").write_text(json.dumps(shipped))
    rows = [line for line in study_table(tmp_path).splitlines() if line.startswith("| C")]
    assert len(rows) == len(shipped) and max(len(r) for r in rows) <= 300, max(rows, key=len)
    assert all("(not recorded; rerun `aha study`)" in r for r in rows)


@pytest.mark.parametrize("with_decisive", [True, False])
def test_study_md_shows_the_decisive_number_per_claim(tmp_path, with_decisive):
    from aha.studies import get_study
    from aha.study_report import render_study

    out = tmp_path / "study"
    shutil.copytree(ROOT / "docs" / "study", out, ignore=shutil.ignore_patterns("grids", "figures"))
    verdicts = json.loads((out / "verdicts.json").read_text())
    for k, v in verdicts.items():
        v.pop("decisive", None)
        if with_decisive:
            v["decisive"] = f"{k}'s deciding number 0.42 vs 0.5 boundary"
    (out / "verdicts.json").write_text(json.dumps(verdicts))
    study = get_study("quick")
    text = render_study(study, study.specs(), out, wall=60.0).read_text()
    for k in verdicts:
        want = f"{k}'s deciding number 0.42 vs 0.5 boundary" if with_decisive else "(not recorded; rerun `aha study`)"
        section = text[text.index(f"## {k}: ") :]
        assert f"Deciding number: {want}." in section.split("\n## ")[0], k
        table_row = next(line for line in text.splitlines() if line.startswith(f"| {k} |"))
        assert want in table_row, k
