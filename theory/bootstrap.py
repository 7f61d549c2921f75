"""Bootstrap resampling of flattened observations and vectorised refits of one family.

Resampling scheme (chosen from what the data hold, in this order):

1. ``seeds``: when strata (sizes/settings) hold >= 2 units (seeds), resample units with replacement
   inside each stratum; the seed-to-seed spread already contains the prompt noise.
2. ``prompts``: otherwise, with binomial counts, redraw successes ~ Binomial(n_trials, y).
3. ``residuals``: otherwise (one gaussian value per size), resample residuals of the fitted curve.

All replicates are refitted at once by ``likelihood.fit_batch``, warm-started at the full-data MLE.
"""

from __future__ import annotations

import numpy as np

from .families import Family
from .likelihood import Data, fit_batch

__all__ = ["resample_scheme", "resample_batch", "bootstrap_family"]


def resample_scheme(data: Data) -> str:
    """``seeds``, ``prompts`` or ``residuals`` (see module docstring)."""
    if np.any(data.unit >= 0):
        counts = np.bincount(data.group)
        if np.median(counts[counts > 0]) >= 2:
            return "seeds"
    return "prompts" if data.n_trials is not None else "residuals"


def resample_batch(
    data: Data, rng: np.random.Generator, scheme: str, n_boot: int, fitted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``n_boot`` replicates: x (B, n), y (B, n), n_trials (B, n) or None."""
    B, n = n_boot, len(data.y)
    if scheme == "seeds":
        idx = np.empty((B, n), dtype=int)
        for g in np.unique(data.group):
            members = np.flatnonzero(data.group == g)
            idx[:, members] = members[rng.integers(0, len(members), size=(B, len(members)))]
        nt = None if data.n_trials is None else data.n_trials[idx]
        return data.x[idx], data.y[idx], nt
    x = np.broadcast_to(data.x, (B, n))
    if scheme == "prompts":
        m = np.maximum(np.round(data.n_trials), 1).astype(np.int64)
        y = rng.binomial(np.broadcast_to(m, (B, n)), np.clip(data.y, 0.0, 1.0)) / m
        return x, y, np.broadcast_to(m.astype(float), (B, n))
    resid = data.y - fitted
    return x, fitted + resid[rng.integers(0, n, size=(B, n))], None


def bootstrap_family(
    family: Family, data: Data, theta_hat: np.ndarray, n_boot: int, seed: int
) -> tuple[np.ndarray, int, str]:
    """Refit ``family`` on ``n_boot`` replicates, warm-started at ``theta_hat``.

    Returns (thetas (n_ok, P), n_failed, scheme); a replicate fails when it does not converge.
    """
    rng = np.random.default_rng(seed)
    scheme = resample_scheme(data)
    fitted = family.mean(theta_hat, data.x)
    x, y, m = resample_batch(data, rng, scheme, n_boot, fitted)
    theta, ok, _ = fit_batch(family, x, y, m, np.asarray(theta_hat, float), family.bounds(data.x))
    return theta[ok], int(np.sum(~ok)), scheme
