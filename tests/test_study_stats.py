"""The study's statistics on small tables with answers worked out by hand: the per-cell curve
measures (C4-C6, C9), the reference's size classes, the N_c bracket of a setting (C3, C7), the
recipe and factor settings and paired differences (C5-C7, C9). Written before they moved from
aha/study_analyses.py to theory/ (issue 21); they pin the rules, not the module."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from theory import study_stats as sa


def _key(**cfg) -> str:
    return json.dumps(dict(sorted(cfg.items())), sort_keys=True)


REF = _key(task="ModChain", horizon=5, prior=0.5, temperature=1.0, hint=0)


def _cells(rows):
    return pd.DataFrame(rows, columns=["setting", "key", "variant", "width", "seed", "n_params", "gain"])


def test_rise_fall_needs_a_rise_and_a_fall_of_the_effect_size():
    assert sa.rise_fall([0.1, 0.3, 0.5, 0.3, 0.1, 0.1])  # up 0.2+ to the smoothed peak, down 0.2+ by the end
    assert not sa.rise_fall([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])  # rises, never falls
    assert not sa.rise_fall([0.5, 0.5, 0.5, 0.4, 0.3, 0.2])  # falls without rising first
    assert not sa.rise_fall([0.1, 0.12, 0.14, 0.12, 0.1, 0.1])  # under the 0.05 effect both ways
    assert not sa.rise_fall([0.1, 0.5, 0.1])  # fewer than 4 points
    assert not sa.rise_fall([0.1, np.nan, 0.5, 0.1, 0.1])  # a missing point: not judged


def test_entropy_kept_is_the_entropy_halfway_by_episodes_over_its_start():
    h, samples = np.array([2.0, 1.5, 1.0, 0.5, 0.25]), np.array([0, 10, 20, 30, 40])
    assert sa.entropy_kept(h, samples) == pytest.approx(0.5)  # at 20 of 40 episodes
    assert sa.entropy_kept(np.array([2.0, 1.0, 0.5]), np.array([0, 35, 40])) == pytest.approx(0.5)  # nearest to 20
    assert np.isnan(sa.entropy_kept(np.array([0.0, 1.0]), np.array([0, 1])))  # no entropy at the start
    assert np.isnan(sa.entropy_kept(np.array([1.0]), np.array([0])))


def test_format_share_is_the_unexplained_share_of_the_reward_clipped():
    assert sa.format_share(0.5, 0.2) == pytest.approx(0.6)
    assert sa.format_share(0.5, 0.7) == 0.0  # more correct than rewarded: clipped at 0
    assert np.isnan(sa.format_share(0.0, 0.0)) and np.isnan(sa.format_share(np.nan, 0.1))


def test_size_classes_split_the_reference_by_its_own_mean_gain():
    cells = _cells(
        [
            ("ref", REF, "", 8, 0, 100.0, 0.0),
            ("ref", REF, "", 8, 1, 100.0, 0.05),
            ("ref", REF, "", 16, 0, 400.0, 0.12),
            ("ref", REF, "", 16, 1, 400.0, 0.1),
            ("ref", REF, "", 32, 0, 1600.0, np.nan),
            ("other", _key(task="ModChain", horizon=3), "", 8, 0, 100.0, 0.9),
        ]
    )
    assert sa.size_classes(cells, REF) == {8: "small", 16: "large"}  # width 32 has no finite gain


def _sweep(takeoffs, seeds=4, sizes=(100.0, 400.0, 1600.0, 6400.0, 25600.0)):
    """One setting over 5 sizes: at size i the first takeoffs[i] seeds gain 0.5, the others 0.0."""
    rows = [
        ("s", REF, "", 8 * 2**i, s, n, 0.5 if s < k else 0.0)
        for i, (n, k) in enumerate(zip(sizes, takeoffs, strict=True))
        for s in range(seeds)
    ]
    return _cells(rows)


def test_nc_interval_is_the_takeoff_fits_50_percent_point():
    t = sa.nc_interval(_sweep((0, 0, 2, 4, 4)))
    assert t["located"] and t["takeoffs"] == 10 and t["cells"] == 20
    assert 400.0 < t["N_c"] < 6400.0  # half the seeds take off at 1600
    lo, hi = t["interval"]
    assert lo < t["N_c"] < hi and hi > lo  # an interval, not a point


def test_nc_interval_never_locates_an_unresolved_bracket():
    """Fails on the old rule, which returned the bracket of sizes around the mean gain's crossing
    (here 6400-25600) as a located N_c: the take-off fit cannot place a rise that only the largest
    size shows, so there is no located threshold."""
    t = sa.nc_interval(_sweep((0, 0, 0, 0, 2)))
    assert not t["located"] and np.isnan(t["N_c"]) and all(np.isnan(t["interval"]))
    assert "not trustworthy" in t["note"]
    none = sa.nc_interval(_sweep((0, 0, 0, 0, 0)))
    assert not none["located"] and none["note"] == "RL takes off in no cell"
    few = sa.nc_interval(_sweep((0, 2, 2), seeds=2, sizes=(100.0, 400.0, 1600.0)))
    assert not few["located"] and "3 sizes" in few["note"]


def test_paired_differences_and_classes():
    hot = _key(task="ModChain", horizon=5, prior=0.5, temperature=1.5, hint=0)
    cells = _cells(
        [
            ("ref", REF, "", 8, 0, 100.0, 0.0),
            ("ref", REF, "", 8, 1, 100.0, 0.1),
            ("ref", REF, "", 16, 0, 400.0, 0.3),
            ("sig[variant=t]", hot, "t", 8, 0, 100.0, 0.05),
            ("sig[variant=t]", hot, "t", 8, 1, 100.0, 0.05),
            ("sig[variant=t]", hot, "t", 16, 0, 400.0, 0.5),
            ("sig[variant=t]", hot, "t", 16, 1, 400.0, 0.5),  # no reference cell at width 16, seed 1
        ]
    )
    d = sa.paired_diffs(cells, REF, "sig[variant=t]")
    assert d.to_dict("records") == [
        {"width": 8, "seed": 0, "diff": pytest.approx(0.05)},
        {"width": 8, "seed": 1, "diff": pytest.approx(-0.05)},
        {"width": 16, "seed": 0, "diff": pytest.approx(0.2)},
    ]
    assert sa.by_class(d, {8: "small", 16: "large"}) == {
        "small": [pytest.approx(0.05), pytest.approx(-0.05)],
        "large": [pytest.approx(0.2)],
    }
    assert sa.recipe_settings(cells, REF) == {"t": ("sig[variant=t]", {"temperature"})}


def test_recipe_settings_exclude_factor_changes_and_factor_groups_pair_values():
    h3 = _key(task="ModChain", horizon=3, prior=0.5, temperature=1.0, hint=0)
    p1 = _key(task="ModChain", horizon=5, prior=1.0, temperature=1.0, hint=0)
    mixed = _key(task="ModChain", horizon=3, prior=0.5, temperature=1.5, hint=0)
    cells = _cells(
        [
            ("ref", REF, "", 8, 0, 100.0, 0.0),
            ("h[horizon=3]", h3, "", 8, 0, 100.0, 0.0),
            ("p[prior=1.0]", p1, "", 8, 0, 100.0, 0.0),
            ("mix", mixed, "", 8, 0, 100.0, 0.0),
            ("hint", _key(task="ModChain", horizon=5, prior=0.5, temperature=1.0, hint=2), "", 8, 0, 100.0, 0.0),
        ]
    )
    assert sa.recipe_settings(cells, REF) == {"hint=2": ("hint", {"hint"})}  # mix changes a factor too
    groups = sa.factor_groups(cells, REF)
    assert groups["horizon"] == {"5": "ref", "3": "h[horizon=3]"}
    assert groups["prior"] == {"0.5": "ref", "1.0": "p[prior=1.0]"}
    assert "depth" not in groups  # not swept


def test_curve_measures_per_cell():
    one = {"setting": "ref", "width": 8, "base_p1": 0.1, "n_samples": 4096}
    cells = pd.DataFrame(
        [{**one, "seed": 0, "status": "ok", "rl_p1": 0.05}, {**one, "seed": 1, "status": "failed", "rl_p1": 0.1}]
    )
    steps = np.arange(0, 150, 10.0)
    r = np.concatenate([np.linspace(0.1, 0.5, 8), np.linspace(0.45, 0.1, 7)])
    curves = {("ref", 8, 0): {"reward": r, "entropy": np.linspace(2, 1, 15), "samples": steps * 128, "step": steps}}
    out = sa.add_curve_measures(cells, curves)
    ok, bad = out.iloc[0], out.iloc[1]
    assert ok.rise_fall and ok.final_reward == pytest.approx(np.mean(r[-3:]))
    assert ok.entropy_kept == pytest.approx(np.linspace(2, 1, 15)[7] / 2)
    assert ok.format_start == pytest.approx(0.0)
    assert ok.format_end == pytest.approx((ok.final_reward - 0.05) / ok.final_reward)
    assert ok.collapsed  # 0.1 -> 0.05 over 4096 samples is beyond 2 binomial standard errors
    assert np.isnan(bad.final_reward) and np.isnan(bad.A) and pd.isna(bad.rise_fall)


def test_task_factor_keeps_the_reference_setting_of_its_task():
    """The shipped study's "task" row compared ModChain at L = 7 with the other tasks: the later
    horizon setting overwrote the reference (L = 5) under the value "ModChain". Fails on the old code."""
    cfg = dict(prior=0.5, temperature=1.0, hint=0, depth=1)
    rows = [
        ("threshold", _key(task="ModChain", horizon=5, **cfg), "", 8, 0, 100.0, 0.0),
        ("horizon[horizon=7]", _key(task="ModChain", horizon=7, **cfg), "", 8, 0, 100.0, 0.0),
        ("addition", _key(task="MultiDigitAdd", horizon=3, **cfg), "", 8, 0, 100.0, 0.0),
    ]
    groups = sa.factor_groups(_cells(rows), _key(task="ModChain", horizon=5, **cfg))
    assert groups["task"] == {"ModChain": "threshold", "MultiDigitAdd": "addition"}
    assert groups["horizon"] == {"5": "threshold", "7": "horizon[horizon=7]"}


def test_seed_floor_and_c8_per_setting():
    pred = pd.DataFrame(
        {
            "setting": ["a"] * 4 + ["b"] * 2,
            "width": [8, 8, 8, 16, 8, 8],
            "seed": [0, 1, 2, 0, 0, 1],
            "gain": [0.0, 0.3, 0.6, 0.5, 0.0, 0.02],
            "ln N": [0.3] * 6,
        }
    )
    floor = sa.seed_floor(pred)
    assert floor[:3] == pytest.approx([0.45, 0.3, 0.15]) and np.isnan(floor[3])  # width 16 has one seed
    rows, up = sa.c8_by_setting(pred, ["ln N"])
    assert [r["takes_off"] for r in rows] == [True, False] and up["n_settings"] == 1 and up["n_cells"] == 4
    assert up["ln N"] == pytest.approx(np.mean([0.3, 0.0, 0.3, 0.2]))


def test_c8_holds_only_if_it_beats_ln_n_where_rl_takes_off():
    """The shipped C8: combination MAE 0.153 vs ln N 0.224 overall ("holds" under the old rule), but
    0.181 vs 0.178 on the reference setting where RL takes off; fails on the old rule."""
    from theory.claims import verdict_c8

    table = {
        "combination": {"mae": 0.153, "auroc": 0.93, "nc_err_steps": 0.35, "n_settings": 11},
        "ln N": {"mae": 0.224, "auroc": 0.62, "nc_err_steps": 2.25, "n_settings": 11},
    }
    up = {"combination": 0.181, "ln N": 0.178, "seed floor": 0.118, "n_settings": 1, "n_cells": 24}
    v = verdict_c8(table, ("combination", "ln N"), takeoff=up)
    assert v.verdict.startswith("fails: where RL takes off"), v.verdict
    assert "seed floor 0.118" in v.result
    up["combination"] = 0.12
    assert verdict_c8(table, ("combination", "ln N"), takeoff=up).verdict == "holds"
