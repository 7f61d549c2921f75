"""Critical surface over two axes (H10, H11): N_c per slice of one axis, or a joint logistic in the
logs of two axes, y = y0 + A · sigmoid(b_u (ln u − mean) + b_v (ln v − mean) − c).

The joint fit's critical line is b_u (ln u − ū) + b_v (ln v − v̄) = c; its slope
d ln u_c / d ln v = −b_v / b_u says how much of one axis trades for the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.optimize import minimize
from scipy.stats import spearmanr

from ._result import JsonMixin
from .likelihood import Data, negloglik
from .transitions import TransitionFit, fit_transition

__all__ = ["CriticalSurface", "critical_surface", "JointSurface", "fit_joint_surface"]


@dataclass
class CriticalSurface(JsonMixin):
    """N_c (with CI, verdict, trust) for each value of ``slice_dim``."""

    slice_dim: str
    values: list[float]
    N_c: list[float]
    N_c_ci: list[tuple[float, float]]
    verdicts: list[str]
    trustworthy: list[bool]
    spearman_rho: float
    """Rank correlation of N_c with the slice value over trustworthy slices (NaN if < 3)."""
    notes: list[str] = field(default_factory=list)


def critical_surface(
    y: xr.DataArray, slice_dim: str = "depth", n_trials=None, *, n_boot: int = 200, seed: int = 0
) -> tuple[CriticalSurface, dict[float, TransitionFit]]:
    """Fit the transition within each slice of ``slice_dim`` (e.g. N over width at each depth)."""
    fits, notes = {}, []
    for v in y[slice_dim].values:
        sl = y.sel({slice_dim: v})
        nt = (
            n_trials.sel({slice_dim: v})
            if isinstance(n_trials, xr.DataArray) and slice_dim in n_trials.dims
            else n_trials
        )
        try:
            fits[float(v)] = fit_transition(sl, nt, n_boot=n_boot, seed=seed)
        except ValueError as e:
            notes.append(f"{slice_dim}={v}: {e}")
    vals = list(fits)
    trusted = [v for v in vals if fits[v].trustworthy]
    rho = float(spearmanr(trusted, [fits[v].N_c for v in trusted])[0]) if len(trusted) >= 3 else float("nan")
    if len(trusted) < 3:
        notes.append(f"only {len(trusted)} slices with a trustworthy N_c: no trend over {slice_dim}")
    surf = CriticalSurface(
        slice_dim,
        vals,
        [fits[v].N_c for v in vals],
        [fits[v].N_c_ci for v in vals],
        [fits[v].verdict for v in vals],
        [fits[v].trustworthy for v in vals],
        rho,
        notes,
    )
    return surf, fits


@dataclass
class JointSurface(JsonMixin):
    """Joint logistic over ln u and ln v (point estimates; no bootstrap)."""

    axes: tuple[str, str]
    params: dict[str, float]
    slope_ln_u_per_ln_v: float
    """d ln u_c / d ln v along the critical line."""
    converged: bool


def fit_joint_surface(y: xr.DataArray, u: str = "n_params", v: str = "tokens", n_trials=None) -> JointSurface:
    """Joint fit; ``u`` and ``v`` are coordinates (or dims) of ``y`` with positive values."""
    lu = np.log(y[u].broadcast_like(y).values.astype(float)).ravel()
    lv = np.log(y[v].broadcast_like(y).values.astype(float)).ravel()
    yy = y.values.astype(float).ravel()
    nt = None if n_trials is None else np.broadcast_to(np.asarray(n_trials, float), y.shape).ravel()
    ok = np.isfinite(yy)
    lu, lv, yy = lu[ok] - lu[ok].mean(), lv[ok] - lv[ok].mean(), yy[ok]
    data = Data(lu, yy, None if nt is None else nt[ok], np.zeros(len(yy), int), np.full(len(yy), -1))

    def mean(t):
        z = np.clip(t[3] * lu + t[4] * lv - t[2], -60, 60)
        return t[0] + t[1] / (1 + np.exp(-z))

    best = None
    for bu in (0.5, 2.0, 8.0):
        for bv in (0.0, 1.0):
            t0 = np.array([np.min(yy), np.ptp(yy), 0.0, bu, bv])
            r = minimize(lambda t: float(negloglik(mean(t), data)), t0, method="L-BFGS-B")
            if best is None or r.fun < best.fun:
                best = r
    p = dict(zip(("y0", "A", "c", "b_u", "b_v"), map(float, best.x), strict=True))
    slope = -p["b_v"] / p["b_u"] if p["b_u"] != 0 else float("nan")
    return JointSurface((u, v), p, slope, bool(best.success))
