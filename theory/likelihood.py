"""Likelihoods for y(N) and the multi-start maximum-likelihood fit of one family.

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

__all__ = ["Data", "FamilyFit", "negloglik", "fit_family"]

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


def fit_family(family: Family, data: Data, starts: list[np.ndarray] | None = None) -> FamilyFit:
    """Multi-start L-BFGS-B on the negative log-likelihood; returns the best start."""
    bounds = family.bounds(data.x)
    starts = family.starts(data.x, data.y) if starts is None else starts
    best = None
    for t0 in starts:
        t0 = np.array([np.clip(v, lo if lo is not None else -np.inf, hi if hi is not None else np.inf)
                       for v, (lo, hi) in zip(t0, bounds, strict=True)])
        res = minimize(lambda t: float(negloglik(family.mean(t, data.x), data)), t0,
                       method="L-BFGS-B", bounds=bounds)
        if best is None or (np.isfinite(res.fun) and res.fun < best.fun):
            best = res
    if family.name == "changepoint":  # the kink makes gradients unreliable: polish derivative-free
        res = minimize(lambda t: float(negloglik(family.mean(t, data.x), data)), best.x,
                       method="Nelder-Mead", bounds=bounds, options={"xatol": 1e-6, "fatol": 1e-9})
        if res.fun <= best.fun:
            res.success = True
            best = res
    at_bound = []
    for name, v, (lo, hi) in zip(family.param_names, best.x, bounds, strict=True):
        scale = 1e-4 * (abs(hi - lo) if lo is not None and hi is not None else 1.0)
        if (lo is not None and v - lo < scale) or (hi is not None and hi - v < scale):
            at_bound.append(name)
    return FamilyFit(family.name, np.asarray(best.x), float(best.fun),
                     bool(best.success and np.isfinite(best.fun)), at_bound)
