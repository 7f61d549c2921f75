"""Bootstrap resampling of flattened observations and bootstrap refits of one family.

Resampling scheme (chosen from what the data hold, in this order):

1. seeds: when strata (sizes/settings) hold >= 2 units (seeds), resample units with replacement
   inside each stratum; the seed-to-seed spread already contains the prompt noise.
2. prompts: otherwise, with binomial counts, redraw successes ~ Binomial(n_trials, y).
3. residuals: otherwise (one gaussian value per size), resample residuals of the fitted curve.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .families import Family
from .likelihood import Data, fit_family

__all__ = ["resample_scheme", "resample", "bootstrap_family"]


def resample_scheme(data: Data) -> str:
    """``seeds``, ``prompts`` or ``residuals`` (see module docstring)."""
    if np.any(data.unit >= 0):
        counts = np.bincount(data.group)
        if np.median(counts[counts > 0]) >= 2:
            return "seeds"
    return "prompts" if data.n_trials is not None else "residuals"


def resample(data: Data, rng: np.random.Generator, scheme: str, fitted: np.ndarray | None = None) -> Data:
    """One bootstrap replicate of ``data``; ``fitted`` (n,) is needed for ``residuals``."""
    if scheme == "seeds":
        idx = np.empty(len(data.y), dtype=int)
        for g in np.unique(data.group):
            members = np.flatnonzero(data.group == g)
            idx[members] = rng.choice(members, size=len(members), replace=True)
        nt = None if data.n_trials is None else data.n_trials[idx]
        return Data(data.x[idx], data.y[idx], nt, data.group[idx], data.unit[idx])
    if scheme == "prompts":
        m = np.maximum(np.round(data.n_trials).astype(np.int64), 1)
        y = rng.binomial(m, np.clip(data.y, 0.0, 1.0)) / m
        return replace(data, y=y, n_trials=m.astype(float))
    if fitted is None:
        raise ValueError("resample: residual bootstrap needs the fitted curve")
    resid = data.y - fitted
    return replace(data, y=fitted + rng.choice(resid, size=len(resid), replace=True))


def bootstrap_family(family: Family, data: Data, theta_hat: np.ndarray, n_boot: int, seed: int
                     ) -> tuple[np.ndarray, int, str]:
    """Refit ``family`` on ``n_boot`` replicates, warm-started at ``theta_hat``.

    Returns (thetas (n_ok, P), n_failed, scheme). A replicate fails when the optimiser does not
    converge or the replicate has a single distinct size.
    """
    rng = np.random.default_rng(seed)
    scheme = resample_scheme(data)
    fitted = family.mean(theta_hat, data.x)
    extra = family.starts(data.x, data.y)
    starts = [theta_hat] + extra[:: max(1, len(extra) // 2)]
    out, failed = [], 0
    for _ in range(n_boot):
        rep = resample(data, rng, scheme, fitted)
        if len(np.unique(rep.x)) < 2:
            failed += 1
            continue
        fit = fit_family(family, rep, starts)
        if fit.converged:
            out.append(fit.theta)
        else:
            failed += 1
    thetas = np.array(out).reshape(-1, family.n_params)
    return thetas, failed, scheme
