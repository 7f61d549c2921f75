"""Entropy-reward law (H6): R = −a·exp(H) + b fitted per cell over ``step``; a and b against N.

Per cell this is ordinary least squares of R on X = exp(H) (closed form, vectorised with xarray).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.stats import linregress

from ._result import JsonMixin

__all__ = ["fit_entropy_law", "EntropyLawSummary", "entropy_law_vs_size"]


def fit_entropy_law(reward: xr.DataArray, entropy: xr.DataArray, step_dim: str = "step") -> xr.Dataset:
    """Per cell over ``step_dim``: ``a``, ``b``, ``r2`` and ``n_steps`` (finite points used)."""
    X = np.exp(entropy)
    ok = np.isfinite(X) & np.isfinite(reward)
    X, R = X.where(ok), reward.where(ok)
    Xm, Rm = X.mean(step_dim), R.mean(step_dim)
    cov = ((X - Xm) * (R - Rm)).mean(step_dim)
    vx, vr = ((X - Xm) ** 2).mean(step_dim), ((R - Rm) ** 2).mean(step_dim)
    slope = cov / vx.where(vx > 0)
    r2 = cov**2 / (vx * vr).where(vx * vr > 0)
    return xr.Dataset({"a": -slope, "b": Rm - slope * Xm, "r2": r2, "n_steps": ok.sum(step_dim)})


@dataclass
class EntropyLawSummary(JsonMixin):
    """How well the law holds and how a and b move with ln N."""

    n_cells: int
    median_r2: float
    frac_a_positive: float
    """Fraction of cells where reward rises as entropy falls (a > 0)."""
    a_slope_lnN: float
    a_slope_p: float
    b_slope_lnN: float
    b_slope_p: float


def entropy_law_vs_size(law: xr.Dataset, min_steps: int = 4) -> EntropyLawSummary:
    """Regress the per-cell a and b on ln n_params (cells with >= ``min_steps`` points)."""
    lnN = np.log(law["n_params"].broadcast_like(law["a"]))
    keep = (law["n_steps"] >= min_steps) & np.isfinite(law["a"]) & np.isfinite(law["b"])
    x, a, b, r2 = (v.where(keep).values.ravel() for v in (lnN, law["a"], law["b"], law["r2"]))
    m = np.isfinite(x) & np.isfinite(a)
    x, a, b, r2 = x[m], a[m], b[m], r2[m]
    nan = float("nan")
    if len(np.unique(x)) >= 3:
        ra, rb = linregress(x, a), linregress(x, b)
        sa, pa, sb, pb = ra.slope, ra.pvalue, rb.slope, rb.pvalue
    else:
        sa = pa = sb = pb = nan
    return EntropyLawSummary(
        int(len(a)),
        float(np.nanmedian(r2)) if len(r2) else nan,
        float(np.mean(a > 0)) if len(a) else nan,
        float(sa),
        float(pa),
        float(sb),
        float(pb),
    )
