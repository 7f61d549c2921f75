"""C7's inputs (theory/study_signals.py): health exclusion, the "acts" test and the benefit's sign.
Each test fails on the rule before issue 23, which paired every signal's gain with plain's (a hint
that never reached the model read as "hurts large models by −0.417") and fed no-think with its
sign reversed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from theory import claims as c
from theory.study_signals import acted, benefits, health

REF = json.dumps({"task": "ModChain"})


def _cells(setting, key, gains, phi, health_col=None):
    rows = []
    for i, (g, p) in enumerate(zip(gains, phi, strict=True)):
        w = (8, 8, 8, 64, 64, 64)[i]
        rows.append(
            {"setting": setting, "key": key, "width": w, "seed": i % 3, "gain": g, "phi_start": p, "status": "ok"}
        )
    df = pd.DataFrame(rows)
    if health_col is not None:
        df["rl_health"] = health_col
    return df


PLAIN = _cells("threshold", REF, [0.0, 0.01, 0.0, 0.6, 0.7, 0.65], [0.5] * 6)
CLASSES = {8: "small", 64: "large"}


def test_a_signal_that_never_reached_the_model_is_excluded_not_read_as_harm():
    hint = _cells("hint", "h", [0.0] * 6, [0.0] * 6)  # no informative group, RL moved nothing
    ok, words = acted(hint)
    assert not ok and "no-signal 6 of 6 cells" in words and "did not act" in words
    d, excluded, _ = benefits(pd.concat([PLAIN, hint]), REF, {"hint": "hint"}, CLASSES)
    assert d == {} and "hint" in excluded
    v = c.verdict_c7(d, excluded)
    assert v.verdict.startswith("not determined") and "hint: excluded" in v.result  # old: "fails: ... −0.65"


def test_think_first_is_plain_minus_no_think_on_one_base():
    no_think = _cells("no-think", "n", [0.0, 0.0, 0.0, 0.1, 0.1, 0.1], [0.5] * 6)
    plain, arm = PLAIN.assign(base_p1=0.3), no_think.assign(base_p1=0.3)
    d, excluded, _ = benefits(pd.concat([plain, arm]), REF, {"no-think": "no-think"}, CLASSES)
    assert not excluded and "think-first" in d
    assert np.allclose(sorted(d["think-first"]["large"]), [0.5, 0.55, 0.6])  # plain − no-think > 0
    other_base = arm.assign(base_p1=0.1)  # pretrained without chain of thought: another base
    d, excluded, _ = benefits(pd.concat([plain, other_base]), REF, {"no-think": "no-think"}, CLASSES)
    assert d == {} and "not on plain's base" in excluded["think-first"]


def test_recorded_health_wins_and_broken_cells_are_dropped_from_the_pairs():
    sig = _cells("critic", "k", [0.0, 0.0, 0.0, 0.9, -0.5, 0.8], [0.5] * 6, ["ok"] * 4 + ["broke-capable", "ok"])
    assert list(health(sig)) == ["ok"] * 4 + ["broke-capable", "ok"]
    d, excluded, counts = benefits(pd.concat([PLAIN, sig]), REF, {"critic": "critic"}, CLASSES)
    assert not excluded and len(d["critic"]["large"]) == 2  # the broke-capable pair is not evidence
    assert "broke-capable 1" in counts["critic"]


def test_c9_reads_the_ceiling_on_evaluation_pass1_not_the_training_reward():
    """A temperature variant samples at T = 1.5 during RL, so its training reward's asymptote A is
    lower by construction while evaluation pass@1 (shared temperature) is unchanged: the old rule
    read the drop in A as "fails: temperature changes the ceiling" (fails on the old rule)."""
    from theory.study_claims import Setup, decide_c9

    rows = []
    for setting, key, da in (("threshold", REF, 0.0), ("temp", "t", -0.3)):
        for w in (8, 64):
            for seed in range(6):
                p1 = (0.1 if w == 8 else 0.8) + 0.002 * seed
                rows.append(
                    {
                        "setting": setting,
                        "key": key,
                        "width": w,
                        "seed": seed,
                        "status": "ok",
                        "gain": 0.0,
                        "rl_p1": p1,
                        "A": p1 + da + 0.01 * seed,
                        "B": 2.0,
                        "C_mid": 1e3,
                    }
                )
    s = Setup(pd.DataFrame(rows), REF, CLASSES, {"temperature": ("temp", {"temperature"})})
    v = decide_c9(s)
    assert v.verdict.startswith("holds"), v.verdict
    assert "Δ ceiling (eval pass@1) +0.000" in v.result


def test_c9_reads_its_own_grid_against_its_own_plain_arm():
    """With a C9 grid in the study, C9 pairs its variants with that grid's plain arm (same long RL),
    not with the reference (whose RL is shorter): here the long plain arm gains +0.2 over the
    reference and so does the variant, so the variant changes nothing."""
    from theory.study_claims import decide_c9, setup

    rows = []
    for grid, setting, key, variant, lift in (
        ("threshold", "threshold", REF, "", 0.0),
        ("c9-recipe", "c9[plain]", "p", "plain", 0.2),
        ("c9-recipe", "c9[temperature]", "t", "temperature", 0.2),
    ):
        for w in (8, 64):
            for seed in range(6):
                p1 = (0.1 if w == 8 else 0.6) + lift + 0.001 * seed
                rows.append(
                    {
                        "grid": grid,
                        "setting": setting,
                        "key": key,
                        "variant": variant,
                        "width": w,
                        "seed": seed,
                        "status": "ok",
                        "gain": 0.0 if w == 8 else 0.3,
                        "rl_p1": p1,
                        "B": 2.0,
                        "C_mid": 1e3,
                        "n_params": 100.0 * w,
                    }
                )
    s = setup(pd.DataFrame(rows), REF, "c9-recipe")
    assert set(s.cells.grid) == {"threshold"} and len(s.c9) == 24
    v = decide_c9(s)
    assert v.numbers["variants"] == ["temperature"] and v.numbers["grid"] == "own (longer RL)"
    assert "Δ ceiling (eval pass@1) +0.000" in v.result and v.verdict.startswith("holds")
