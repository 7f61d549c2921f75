"""theory.takeoff (P(take-off | ln N) and its sharpness) and theory.power (detectable effects)."""

from __future__ import annotations

import numpy as np
import pytest

from theory import power
from theory.takeoff import BOUNDARY_DECADES, fit_takeoff, takeoff_from_gain

WIDTHS = np.array([8, 11, 16, 22, 32, 45, 64])
N = 75.0 * WIDTHS**2  # N ∝ width², as for the depth-1 transformers


def _draw(p, seeds, rng):
    n = np.repeat(N, seeds)
    return n, (rng.random(n.size) < np.repeat(p, seeds)).astype(float)


def _logistic(width_decades: float, mid: float) -> np.ndarray:
    s = width_decades * np.log(10) / (2 * np.log(9))
    return 1 / (1 + np.exp(-(np.log(N) - np.log(mid)) / s))


def test_takeoff_is_gain_at_least_the_line_and_nan_stays_nan():
    t = takeoff_from_gain([0.0, 0.099, 0.1, 0.8, np.nan])
    assert list(t[:4]) == [0, 0, 1, 1] and np.isnan(t[4])


def test_a_step_with_many_seeds_is_sharp_and_its_width_interval_does_not_collapse():
    rng = np.random.default_rng(0)
    n, y = _draw(np.where(WIDTHS >= 32, 1.0, 0.0), 12, rng)
    f = fit_takeoff(n, y)
    assert f.verdict == "sharp"
    lo, hi = f.width_ci
    assert lo == 0.0 and 0 < hi < BOUNDARY_DECADES  # [0, upper]: never a point
    assert N[3] * 0.9 < f.N_c < N[4] * 1.1  # between the last failing and first gaining size
    assert f.N_c_ci[0] < f.N_c < f.N_c_ci[1]


def test_a_wide_rise_is_smooth():
    rng = np.random.default_rng(1)
    n, y = _draw(_logistic(2.0, N[3]), 30, rng)
    f = fit_takeoff(n, y)
    assert f.verdict == "smooth"
    assert f.width_ci[0] > BOUNDARY_DECADES


def test_flat_probability_is_no_trend_and_three_seeds_of_a_plateau_decide_nothing():
    rng = np.random.default_rng(2)
    n, y = _draw(np.full(N.size, 0.5), 12, rng)
    assert fit_takeoff(n, y).verdict == "no trend"
    # a step to a plateau of 2/3 (the demo's widths 32-128) seen with 3 seeds: not determined
    n, y = _draw(np.where(WIDTHS >= 32, 2 / 3, 0.0), 3, np.random.default_rng(3))
    assert fit_takeoff(n, y).verdict.startswith("not determined")


@pytest.mark.parametrize("truth", ["sharp", "smooth"])
def test_an_untrustworthy_fit_is_not_determined_whichever_way_it_leans(truth):
    """Four sizes (below MIN_SIZES): the same data that would decide on seven do not decide."""
    rng = np.random.default_rng(4)
    p = np.where(WIDTHS >= 22, 1.0, 0.0) if truth == "sharp" else _logistic(2.0, N[3])
    n, y = _draw(p, 30, rng)
    keep = np.isin(n, N[1:5])
    f = fit_takeoff(n[keep], y[keep])
    assert not f.trustworthy and f.verdict.startswith("not determined")
    assert f.verdict != truth


def test_intervals_cover_the_truth_about_as_often_as_stated():
    rng = np.random.default_rng(5)
    hits_nc = hits_w = 0
    for _ in range(40):
        n, y = _draw(_logistic(1.0, N[3]), 12, rng)
        f = fit_takeoff(n, y)
        hits_nc += f.N_c is not None and f.N_c_ci[0] <= N[3] <= f.N_c_ci[1]
        hits_w += f.width_ci[0] <= 1.0 <= f.width_ci[1]
    assert hits_nc >= 30 and hits_w >= 28  # 90 % intervals; 40 draws


def test_gain_given_takeoff_is_the_mean_of_the_takeoff_cells_only():
    n = np.repeat(N[:5], 2)
    gain = np.array([0.0, 0.0, 0.0, 0.02, 0.0, 0.5, 0.2, 0.6, 0.8, 0.9])
    f = fit_takeoff(n, takeoff_from_gain(gain), gain)
    assert np.isnan(f.gain_given_takeoff[1]) and f.gain_given_takeoff[2] == pytest.approx(0.5)
    assert f.gain_given_takeoff[3] == pytest.approx(0.4) and f.takeoffs_per_size == [0, 0, 1, 2, 2]


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="0 or 1"):
        fit_takeoff(N, np.full(N.size, 0.5))
    with pytest.raises(ValueError, match="2 distinct sizes"):
        fit_takeoff(np.full(4, 100.0), np.ones(4))


def test_detectable_effects_shrink_with_seeds_and_match_the_closed_form():
    assert power.mde_means(0.4, 3) > power.mde_means(0.4, 12) > power.mde_means(0.4, 48)
    z = 1.6448536 + 0.8416212
    assert power.mde_means(0.4, 12) == pytest.approx(z * 0.4 * np.sqrt(2 / 12), rel=1e-6)
    n = power.n_for_means(power.mde_means(0.4, 12), 0.4)
    assert n in (12, 13)
    assert np.isnan(power.mde_means(0.4, 1))
    # proportions: 12 vs 12 seeds cannot see 0.5 -> 0.6, can see 0.0 -> 0.7
    assert power.mde_proportions(0.5, 12, 12) > 0.1
    assert power.mde_proportions(0.0, 12, 12) < 0.7
    assert power.n_for_proportions(0.5, 0.6) > 100
