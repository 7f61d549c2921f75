"""Reward against RL compute (C9): the saturating curve of the ScaleRL study (arXiv 2510.13786),

    R(C) = R0 + (A − R0) / (1 + (C_mid / C)^B),

fitted per cell to the training reward against the episodes consumed (C = the ``samples``
coordinate of the curves). A is the ceiling, C_mid the compute at half of the rise, B its
steepness; R(0) = R0. A recipe that only makes RL faster moves C_mid or B; one that changes
where RL ends moves A.

``forecast_final`` is the early-RL forecast of C8: the same curve fitted on the first quarter
of the updates only, read off at the last update's compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

from ._result import JsonMixin

__all__ = ["CurveFit", "sigmoid", "fit_compute_curve", "fit_compute_curves", "forecast_final", "PARAMS"]

PARAMS = ("R0", "A", "C_mid", "B")
B_BOUNDS = (0.2, 10.0)


def sigmoid(C, R0, A, C_mid, B):
    """R(C) (module docstring); R(0) = R0."""
    C = np.asarray(C, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        ratio = np.where(C > 0, (C_mid / np.maximum(C, 1e-300)) ** B, np.inf)
    return R0 + (A - R0) / (1 + ratio)


@dataclass
class CurveFit(JsonMixin):
    """One cell's fit; NaN parameters when it could not be fitted (``note`` says why)."""

    R0: float
    A: float
    C_mid: float
    B: float
    rmse: float
    n_points: int
    converged: bool
    note: str = ""


def _nan_fit(n: int, note: str) -> CurveFit:
    return CurveFit(np.nan, np.nan, np.nan, np.nan, np.nan, n, False, note)


def fit_compute_curve(C, R, r_bounds: tuple[float, float] = (0.0, 1.0), c_mid_max: float | None = None) -> CurveFit:
    """Least-squares fit of R(C) to one curve (NaN points dropped), several starts.

    R0 and A stay within ``r_bounds`` (the reward's range); C_mid within [C_min/10, c_mid_max]
    (default 100 x the largest C), B within B_BOUNDS."""
    C, R = np.asarray(C, dtype=float), np.asarray(R, dtype=float)
    ok = np.isfinite(C) & np.isfinite(R)
    C, R = C[ok], R[ok]
    if len(C) < 4:
        return _nan_fit(len(C), f"only {len(C)} points (< 4 parameters)")
    pos = C[C > 0]
    if pos.size < 2:
        return _nan_fit(len(C), "fewer than 2 points with C > 0")
    lo_r, hi_r = r_bounds
    lc_lo = np.log(pos.min() / 10)
    lc_hi = np.log(c_mid_max if c_mid_max is not None else 100 * pos.max())
    lb = [lo_r, lo_r, lc_lo, B_BOUNDS[0]]
    ub = [hi_r, hi_r, lc_hi, B_BOUNDS[1]]

    def resid(t):
        return sigmoid(C, t[0], t[1], np.exp(t[2]), t[3]) - R

    r0 = float(np.clip(R[np.argmin(C)], lo_r, hi_r))
    best = None
    for a in (float(np.clip(R.max(), lo_r, hi_r)), float(np.clip(R[np.argmax(C)], lo_r, hi_r)), hi_r):
        for lc in np.linspace(np.log(pos.min()), np.log(pos.max()), 3):
            for b in (0.7, 2.0):
                x0 = np.clip([r0, a, lc, b], np.array(lb) + 1e-9, np.array(ub) - 1e-9)
                try:
                    res = least_squares(resid, x0, bounds=(lb, ub), method="trf")
                except ValueError:
                    continue
                if best is None or res.cost < best.cost:
                    best = res
    if best is None:
        return _nan_fit(len(C), "no start converged")
    t = best.x
    rmse = float(np.sqrt(np.mean(best.fun**2)))
    return CurveFit(float(t[0]), float(t[1]), float(np.exp(t[2])), float(t[3]), rmse, int(len(C)), bool(best.success))


def fit_compute_curves(
    reward: xr.DataArray, compute: str = "samples", step_dim: str = "step", r_bounds: tuple[float, float] = (0.0, 1.0)
) -> xr.Dataset:
    """``fit_compute_curve`` for every cell of ``reward`` (dims: grid dims + ``step_dim``; coord
    ``compute`` over ``step_dim``). Returns R0, A, C_mid, B, rmse over the grid dims."""
    C = reward[compute].values if compute in reward.coords else reward[step_dim].values
    other = [d for d in reward.dims if d != step_dim]
    stacked = reward.transpose(*other, step_dim).values.reshape(-1, reward.sizes[step_dim])
    out = {p: np.full(stacked.shape[0], np.nan) for p in (*PARAMS, "rmse")}
    for i, row in enumerate(stacked):
        if np.isfinite(row).sum() >= 4:
            f = fit_compute_curve(C, row, r_bounds)
            for p in (*PARAMS, "rmse"):
                out[p][i] = getattr(f, p)
    shape = [reward.sizes[d] for d in other]
    coords = {k: v for k, v in reward.coords.items() if step_dim not in v.dims and k != compute}
    return xr.Dataset({p: (other, v.reshape(shape)) for p, v in out.items()}, coords=coords)


def forecast_final(C, R, frac: float = 0.25, r_bounds: tuple[float, float] = (0.0, 1.0)) -> tuple[float, CurveFit]:
    """The reward at the last C predicted from the curve fitted on the points with
    C <= frac · C_max only (the early-RL forecast); NaN when those points cannot be fitted."""
    C, R = np.asarray(C, dtype=float), np.asarray(R, dtype=float)
    early = C <= frac * np.nanmax(C)
    fit = fit_compute_curve(C[early], R[early], r_bounds)
    if not np.isfinite(fit.A):
        return float("nan"), fit
    return float(sigmoid(np.nanmax(C), fit.R0, fit.A, fit.C_mid, fit.B)), fit
