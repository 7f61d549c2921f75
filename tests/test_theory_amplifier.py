"""Amplifier (coverage, crossover, gain model + LOO), entropy law, threshold predictor."""

import numpy as np
import pytest
import xarray as xr

from theory.amplifier import (
    GainParams,
    chance_corrected,
    crossover,
    fit_gain_model,
    gain_feature,
    loo_compare,
    predict_gain,
)
from theory.entropy_law import entropy_law_vs_size, fit_entropy_law
from theory.predictor import compare_prediction, predict_threshold


def test_chance_corrected_and_crossover():
    assert chance_corrected(0.1, 0.1, 1) == pytest.approx(0.0, abs=1e-12)
    assert chance_corrected(0.05, 0.1, 1) == 0.0
    assert chance_corrected(1.0, 0.1, 4) == 1.0
    k = np.array([1, 2, 4, 8, 16, 32, 64])
    base = xr.DataArray(1 - 0.9**k, dims="k", coords={"k": k})
    rl = xr.DataArray(np.full(7, 0.5), dims="k", coords={"k": k})
    cx = crossover(base, rl)
    assert 4 < float(cx["k_star"]) < 8 and not bool(cx["expanded"])


def test_gain_model_fit_predict_roundtrip_and_loo():
    rng = np.random.default_rng(0)
    n = np.repeat(np.logspace(4, 8, 12), 3)
    p0 = 1 / (1 + np.exp(-(np.log(n) - np.log(1e6)) * rng.uniform(0.5, 1.5, n.size)))  # coverage ≠ size
    gain = 0.6 * gain_feature(p0, G=8) + rng.normal(0, 0.01, n.size)
    params = fit_gain_model(p0, gain, G=8)
    assert params.scale == pytest.approx(0.6, abs=0.03)
    back = GainParams.from_json(params.to_json())
    assert back == params
    pred = predict_gain(np.array([0.2, 0.5]), params=back)
    assert pred.calibrated and np.all(pred.lo < pred.mean) and np.all(pred.mean < pred.hi)
    loo = loo_compare(p0, gain, n, np.repeat(np.arange(12), 3), G=8)
    assert loo.rmse["gain_model"] < loo.rmse["linear_lnN"] and loo.rmse["gain_model"] < loo.rmse["constant"]
    assert loo.verdict.startswith("base-only model predicts")


def test_entropy_law_recovery():
    rng = np.random.default_rng(0)
    n = np.array([1e4, 1e5, 1e6, 1e7])
    a_true = 0.2 + 0.05 * np.log(n)
    H = xr.DataArray(
        np.linspace(2.0, 0.5, 20)[:, None, None] + rng.normal(0, 0.01, (20, 4, 3)),
        dims=("step", "width", "seed"),
    )
    R = -xr.DataArray(a_true, dims="width") * np.exp(H) + 3.0 + H.copy(data=rng.normal(0, 0.01, H.shape))
    R = R.assign_coords(n_params=("width", n))
    law = fit_entropy_law(R, H)
    np.testing.assert_allclose(law["a"].mean("seed").values, a_true, rtol=0.05)
    s = entropy_law_vs_size(law)
    assert s.median_r2 > 0.95 and s.a_slope_lnN == pytest.approx(0.05, abs=0.01) and s.a_slope_p < 1e-3


def test_predictor_threshold_moves_with_L():
    n = np.logspace(4, 9, 11)
    q = 1 / (1 + np.exp(-(np.log(n) - np.log(1e6)) * 0.8))
    preds = [predict_threshold(q, n, L=L, n_updates=200, G=8) for L in (2, 4, 8)]
    ncs = [p.N_c for p in preds]
    assert all(np.isfinite(ncs)) and ncs[0] < ncs[1] < ncs[2]
    obs = xr.DataArray(np.array(preds[1].gain), dims="width", coords={"n_params": ("width", n)})
    table = compare_prediction(preds[1], obs)
    assert table.rmse == pytest.approx(0.0, abs=1e-12) and len(table.rows) == 11
