"""Predictors of the RL gain before RL and their leave-one-setting-out evaluation
(theory/predict_gain.py): no setting informs its own prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from theory.predict_gain import (
    PREDICTORS,
    auroc,
    base_features,
    crossing_N,
    fit_predictor,
    leave_one_setting_out,
    select_combination,
)


def synthetic(n_settings=6, seed=0) -> pd.DataFrame:
    """Settings whose threshold in N differs; the gain follows coverage, not size."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_settings):
        shift = 0.6 * s
        for w in (8, 16, 32, 64, 128):
            N = 12.0 * w**2
            for sd in range(3):
                cov = 1 / (1 + np.exp(-(np.log(N) - 9.5 - shift) * 2)) + 0.02 * rng.standard_normal()
                rows.append(
                    {
                        "setting": f"s{s}",
                        "width": w,
                        "n_params": N,
                        "seed": sd,
                        "coverage": cov,
                        "step_prob_L": cov**2,
                        "phi0": 0.5 * cov,
                        "greedy": rng.random(),
                        "lnN": np.log(N),
                        "forecast_rise": cov + 0.05 * rng.standard_normal(),
                        "gain": 0.6 * cov - 0.05 + 0.03 * rng.standard_normal(),
                    }
                )
    return pd.DataFrame(rows)


def test_no_setting_informs_its_own_prediction():
    df = synthetic()
    ref = leave_one_setting_out(df)
    held = "s2"
    bumped = df.copy()
    bumped.loc[bumped.setting == held, "gain"] += np.linspace(-0.5, 0.9, int((bumped.setting == held).sum()))
    out = leave_one_setting_out(bumped)
    for name in PREDICTORS:
        a = ref.predictions.loc[ref.predictions.setting == held, name].to_numpy()
        b = out.predictions.loc[out.predictions.setting == held, name].to_numpy()
        np.testing.assert_array_equal(a, b, err_msg=name)  # its own targets never entered its fit
        other_a = ref.predictions.loc[ref.predictions.setting == "s0", name].to_numpy()
        other_b = out.predictions.loc[out.predictions.setting == "s0", name].to_numpy()
        assert not np.array_equal(other_a, other_b), name  # the test can see a change where one belongs


def test_base_feature_beats_size_when_the_threshold_moves():
    res = leave_one_setting_out(synthetic())
    t = res.table
    assert t["coverage"]["mae"] < 0.5 * t["ln N"]["mae"]
    assert t["coverage"]["auroc"] > 0.95 and t["coverage"]["auroc"] > t["ln N"]["auroc"]
    assert t["coverage"]["nc_err_steps"] < t["ln N"]["nc_err_steps"]
    assert t["combination"]["mae"] <= t["greedy"]["mae"]  # selection avoids the pure-noise feature
    assert set(t) == set(PREDICTORS) and res.n_settings == 6


def test_combination_picks_a_signal_bearing_subset():
    df = synthetic()
    rng = np.random.default_rng(1)
    df["step_prob_L"], df["phi0"] = rng.random(len(df)), rng.random(len(df))  # only coverage carries signal
    comb = select_combination(df)
    assert "coverage" in comb.features and comb.n_fit == len(df)
    assert comb.coef[comb.features.index("coverage")] == pytest.approx(0.6, abs=0.1)


def test_auroc_crossing_and_features():
    assert auroc([0.1, 0.2, 0.9, 0.8], [False, False, True, True]) == 1.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert np.isnan(auroc([0.1, 0.2], [True, True]))
    N = np.array([100.0, 400.0, 1600.0])
    nc, why = crossing_N(N, [0.0, 0.05, 0.15])
    assert why == "" and 400 < nc < 1600
    assert np.log(nc) == pytest.approx(np.log(400) + 0.5 * np.log(4))
    assert crossing_N(N, [0.2, 0.3, 0.4])[1] == "below" and crossing_N(N, [0.0, 0.0, 0.05])[1] == "above"
    f = base_features(0.5, 0.9, 5, 0.5, 8, 0.7, 1000.0)
    assert f["step_prob_L"] == pytest.approx(0.9**5) and f["phi0"] == pytest.approx(1 - 2 * 0.5**8)
    p = fit_predictor(synthetic(), "coverage", ["coverage"])
    assert p.coef[0] == pytest.approx(0.6, abs=0.05)
    probs = p.prob_gain(pd.DataFrame({"coverage": [0.0, 1.0]}))
    assert probs[0] < 0.05 and probs[1] > 0.95
