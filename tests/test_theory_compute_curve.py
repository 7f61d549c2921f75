"""C9's compute curve R(C) (theory/compute_curve.py): parameters recovered from synthetic curves."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from theory.compute_curve import fit_compute_curve, fit_compute_curves, forecast_final, sigmoid

C = np.concatenate([[0.0], np.linspace(640, 19200, 30)])


@pytest.mark.parametrize("R0,A,C_mid,B", [(0.05, 0.6, 3000.0, 1.5), (0.1, 0.9, 8000.0, 3.0), (0.0, 0.3, 1500.0, 0.8)])
def test_recovers_parameters(R0, A, C_mid, B):
    rng = np.random.default_rng(0)
    R = sigmoid(C, R0, A, C_mid, B) + 0.01 * rng.standard_normal(C.size)
    f = fit_compute_curve(C, R)
    assert f.converged
    assert f.A == pytest.approx(A, abs=0.03)
    assert f.R0 == pytest.approx(R0, abs=0.03)
    assert np.log(f.C_mid) == pytest.approx(np.log(C_mid), abs=0.15)
    assert f.B == pytest.approx(B, rel=0.25)
    assert f.rmse < 0.015


def test_per_cell_fits_keep_grid_dims_and_forecast_extrapolates():
    A = np.array([0.3, 0.8])
    R = np.stack([sigmoid(C, 0.05, a, 2000.0, 2.0) for a in A])  # (width, step)
    da = xr.DataArray(
        R, dims=("width", "step"), coords={"width": [8, 64], "step": np.arange(C.size), "samples": ("step", C)}
    )
    fits = fit_compute_curves(da)
    assert fits.A.dims == ("width",)
    np.testing.assert_allclose(fits.A.values, A, atol=0.02)
    # the first quarter already shows most of the rise here: the forecast reaches the end value
    final, fit = forecast_final(C, R[1])
    assert final == pytest.approx(R[1, -1], abs=0.05)
    assert fit.n_points < C.size / 3
    # too few points: NaN, with the reason
    f = fit_compute_curve(C[:3], R[1, :3])
    assert np.isnan(f.A) and "points" in f.note
