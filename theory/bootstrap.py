"""Bootstrap resampling of flattened observations and vectorised refits of one family.

Resampling scheme (chosen from what the data hold, in this order):

1. ``seeds``: when strata (sizes/settings) hold >= 2 units (seeds), resample units with replacement
   inside each stratum; the seed-to-seed spread already contains the prompt noise.
2. ``prompts``: otherwise, with binomial counts, redraw successes ~ Binomial(n_trials, y).
3. ``residuals``: otherwise (one gaussian value per size), resample residuals of the fitted curve.

All replicates are refitted at once by ``likelihood.fit_batch``, each from several starts (the
full-data MLE and the family's own starting points); the best converged start wins. Starting only
at the full-data MLE let a steep logistic (flat in its centre, where the clipped argument has no
gradient) stay where it began in every replicate, and the interval of N_c collapsed to a point.
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
    """Refit ``family`` on ``n_boot`` replicates, each from ``theta_hat`` and the family's starts.

    Returns (thetas (n_ok, P), n_failed, scheme); a replicate fails when none of its starts converges.
    """
    rng = np.random.default_rng(seed)
    scheme = resample_scheme(data)
    fitted = family.mean(theta_hat, data.x)
    x, y, m = resample_batch(data, rng, scheme, n_boot, fitted)  # each (B, n)
    starts = np.array([np.asarray(theta_hat, float), *family.starts(data.x, data.y)])  # (S, P)
    B, S, P = x.shape[0], len(starts), starts.shape[1]
    rep = lambda a: None if a is None else np.repeat(a, S, axis=0)  # (B, n) -> (B * S, n), replicate-major
    theta, ok, nll = fit_batch(
        family, rep(x), rep(y), rep(m), np.tile(starts, (B, 1)), family.bounds(data.x)
    )  # theta (B * S, P); ok, nll (B * S,)
    score = np.where(ok & np.isfinite(nll), nll, np.inf).reshape(B, S)
    best = np.argmin(score, axis=1)  # (B,)
    good = np.isfinite(score[np.arange(B), best])  # (B,) some start converged
    theta = theta.reshape(B, S, P)[np.arange(B), best]  # (B, P)
    return theta[good], int(np.sum(~good)), scheme
