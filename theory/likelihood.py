"""Likelihoods for y(N) and the maximum-likelihood fit of one family (batched, multi-start).

- ``binomial``: y is a rate with known trial counts (``n_trials`` prompts behind each value);
  successes ``y * n_trials`` need not be integers (pass@1 averaged over samples per prompt).
- ``gaussian``: y is anything else (a gain, a log-probability); the noise sd is profiled out
  (its MLE is sqrt(RSS / n)) and counted as one extra parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

from .families import Family

__all__ = ["Data", "FamilyFit", "negloglik", "fit_batch", "fit_family"]

_EPS = 1e-9


@dataclass
class Data:
    """Observations flattened out of a DataArray: one entry per cell."""

    x: np.ndarray
    """(n,) ln N of each cell."""
    y: np.ndarray
    """(n,) observed value (rate or continuous metric)."""
    n_trials: np.ndarray | None
    """(n,) trials behind each rate (binomial), or None (gaussian)."""
    group: np.ndarray
    """(n,) integer id of the cell's size/setting (bootstrap stratum)."""
    unit: np.ndarray
    """(n,) integer id of the resampling unit within the stratum (seed), -1 when none."""

    @property
    def likelihood(self) -> str:
        return "binomial" if self.n_trials is not None else "gaussian"


def negloglik(mu: np.ndarray, data: Data) -> np.ndarray:
    """Negative log-likelihood of means ``mu`` (n,) or (B, n) -> scalar or (B,)."""
    y = data.y
    if data.n_trials is None:
        n = y.shape[-1]
        rss = np.sum((y - mu) ** 2, axis=-1) + 1e-300
        return 0.5 * n * (np.log(2 * np.pi * rss / n) + 1.0)
    m = data.n_trials
    k = y * m
    p = np.clip(mu, _EPS, 1 - _EPS)
    log_binom = gammaln(m + 1) - gammaln(k + 1) - gammaln(m - k + 1)
    return -np.sum(log_binom + k * np.log(p) + (m - k) * np.log1p(-p), axis=-1)


def n_free(family: Family, data: Data) -> int:
    """Free parameters including the profiled noise sd of the gaussian likelihood."""
    return family.n_params + (1 if data.n_trials is None else 0)


@dataclass
class FamilyFit:
    """Maximum-likelihood fit of one family."""

    family: str
    theta: np.ndarray
    nll: float
    converged: bool
    at_bound: list[str]
    """Names of parameters that ended on a box bound (an identifiability warning)."""


def _nll(mu, y, m):
    return negloglik(mu, Data(np.empty(0), y, m, np.empty(0), np.empty(0)))


def fit_batch(
    family: Family,
    x: np.ndarray,
    y: np.ndarray,
    m: np.ndarray | None,
    theta0: np.ndarray,
    bounds: list[tuple[float | None, float | None]],
    n_iter: int = 80,
) -> tuple[np.ndarray, np.ndarray]:
    """Batched Levenberg-Marquardt (gaussian) / Fisher scoring (binomial) from ``theta0``.

    x, y, m: (B, n); theta0: (P,) or (B, P). Returns (theta (B, P), converged (B,), nll (B,)).
    """
    B, P = x.shape[0], np.shape(theta0)[-1]
    lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
    hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    theta = np.broadcast_to(np.asarray(theta0, float), (B, P)).copy()  # (B, P)
    theta = np.clip(theta, lo, hi)
    lam = np.full(B, 1e-2)
    mean = lambda t: family.mean(t, x)  # theta (B, P), x (B, n) -> (B, n)
    nll = _nll(mean(theta), y, m)
    still = np.zeros(B, dtype=int)  # consecutive iterations without meaningful progress
    for _ in range(n_iter):
        mu = mean(theta)  # (B, n)
        h = 1e-6 * np.maximum(1.0, np.abs(theta))  # (B, P)
        J = np.empty(x.shape + (P,))  # (B, n, P)
        for p in range(P):
            e = np.zeros(P)
            e[p] = 1.0
            J[..., p] = (mean(theta + h[:, p, None] * e) - mean(theta - h[:, p, None] * e)) / (2 * h[:, p, None])
        if m is None:
            w = np.ones_like(mu)
        else:
            mc = np.clip(mu, 1e-6, 1 - 1e-6)
            w = m / (mc * (1 - mc))
        JtW = J.transpose(0, 2, 1) * w[:, None, :]  # (B, P, n)
        H = JtW @ J  # (B, P, P)
        g = (JtW @ (y - mu)[..., None])[..., 0]  # (B, P)
        D = np.maximum(np.diagonal(H, axis1=1, axis2=2), 1e-12)  # (B, P)
        A = H + lam[:, None, None] * np.eye(P) * D[:, None, :]
        try:
            step = np.linalg.solve(A, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = g / (D * (1 + lam[:, None]))
        cand = np.clip(theta + step, lo, hi)
        nll_c = _nll(mean(cand), y, m)
        better = np.isfinite(nll_c) & (nll_c < nll)
        gain = np.where(better, nll - nll_c, 0.0)
        theta = np.where(better[:, None], cand, theta)
        nll = np.where(better, nll_c, nll)
        lam = np.where(better, lam / 3, lam * 4)
        still = np.where(gain < 1e-8 * (1 + np.abs(nll)), still + 1, 0)
        if np.all(still >= 4):
            break
    return theta, (still >= 4) & np.isfinite(nll), nll


def fit_family(family: Family, data: Data, starts: list[np.ndarray] | None = None) -> FamilyFit:
    """Multi-start maximum likelihood: all starts run as one batch of ``fit_batch``; the best wins.

    The change-point family (a kink in x_c) is polished derivative-free from the best start.
    """
    bounds = family.bounds(data.x)
    starts = np.array(family.starts(data.x, data.y) if starts is None else starts, dtype=float)  # (S, P)
    S, n = len(starts), len(data.y)
    m = None if data.n_trials is None else np.broadcast_to(data.n_trials, (S, n))
    theta, ok, nll = fit_batch(
        family, np.broadcast_to(data.x, (S, n)), np.broadcast_to(data.y, (S, n)), m, starts, bounds
    )
    score = np.where(np.isfinite(nll), nll, np.inf)
    i = int(np.argmin(score))
    best_theta, best_nll, converged = theta[i], float(nll[i]), bool(ok[i])
    if family.name == "changepoint":
        res = minimize(
            lambda t: float(negloglik(family.mean(t, data.x), data)),
            best_theta,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-7, "fatol": 1e-10},
        )
        if res.fun <= best_nll:
            best_theta, best_nll, converged = res.x, float(res.fun), True
    at_bound = []
    for name, v, (lo, hi) in zip(family.param_names, best_theta, bounds, strict=True):
        scale = 1e-4 * (abs(hi - lo) if lo is not None and hi is not None else 1.0)
        if (lo is not None and v - lo < scale) or (hi is not None and hi - v < scale):
            at_bound.append(name)
    return FamilyFit(family.name, np.asarray(best_theta), best_nll, converged and np.isfinite(best_nll), at_bound)
