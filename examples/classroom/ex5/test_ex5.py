"""Autograder of exercise 5: the fit on synthetic curves with known a, b, and on the demo's real curves
against theory/entropy_law.py."""

import numpy as np
import pytest
import xarray as xr

from theory.entropy_law import fit_entropy_law

rng = np.random.default_rng(5)


def test_recovers_known_a_and_b(graded):
    for a, b in ((0.4, 0.9), (1.3, 2.0), (0.05, 0.3)):
        H = np.sort(rng.uniform(0.1, 1.5, 40))[::-1]  # entropy falls over training
        R = -a * np.exp(H) + b + rng.normal(0, 0.005, H.size)
        got_a, got_b, r2 = graded.fit_law(H, R)
        assert got_a == pytest.approx(a, abs=0.02), (
            f"a = {got_a:.3f}, expected {a}: fit R against exp(H), not H; a is minus the slope"
        )
        assert got_b == pytest.approx(b, abs=0.03), f"b = {got_b:.3f}, expected {b}: b is the intercept"
        assert 0.9 < r2 <= 1.0, f"r2 = {r2:.3f} on nearly exact data: r2 is the squared correlation of exp(H) and R"


def test_skips_missing_points(graded):
    H = np.linspace(1.2, 0.2, 12)
    R = -0.5 * np.exp(H) + 1.5
    H[3], R[7] = np.nan, np.nan  # steps a diverged seed never reached
    a, b, _ = graded.fit_law(H, R)
    assert np.isfinite(a) and a == pytest.approx(0.5), "fit_law returned NaN or a wrong a: leave out non-finite points"


def test_matches_theory_on_the_demo_curves(graded, demo_run):
    ds = xr.open_dataset(demo_run / "grid.nc", engine="h5netcdf").load().isel(depth=0)
    law = fit_entropy_law(ds.reward, ds.entropy)
    for w in ds.width.values[::2]:
        for s in ds.seed.values[:2]:
            cell = ds.sel(width=w, seed=s)
            a, b, _ = graded.fit_law(cell.entropy.values, cell.reward.values)
            want = law.sel(width=w, seed=s)
            assert a == pytest.approx(float(want.a), rel=1e-6, abs=1e-9), f"a on the demo's width {w}, seed {s}"
            assert b == pytest.approx(float(want.b), rel=1e-6, abs=1e-9), f"b on the demo's width {w}, seed {s}"


def test_reward_when_entropy_is_spent(graded):
    for a, b in rng.uniform(0, 2, (4, 2)):
        assert graded.reward_when_entropy_is_spent(a, b) == pytest.approx(b - a), "at H = 0, exp(H) = 1"
