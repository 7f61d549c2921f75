"""Transition fits of y(N) (H1, H7): four families plus a constant, likelihood, bootstrap, verdict.

``fit_transition(y)`` takes any DataArray with an ``n_params`` coordinate (toy grid: dims
width/depth/seed; real LLMs: dim ``model``). Every non-NaN cell is one observation at ln N;
``seed`` (``unit_dim``) marks the resampling unit of the bootstrap. Mask failed cells to NaN first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import xarray as xr
from scipy.stats import norm

from ._result import JsonMixin
from .bootstrap import bootstrap_family
from .families import FAMILIES, make_families
from .likelihood import Data, fit_family, n_free
from .selection import WIDTH_10_90, ModelComparison, compare, rise_width, verdict_from
from .text import logistic_only

__all__ = [
    "TransitionFit",
    "SharpnessCheck",
    "to_data",
    "fit_transition",
    "fit_transition_data",
    "sharpness_survives",
    "MIN_SIZES",
    "threshold_size",
]

MIN_SIZES = 5
"""Fewer distinct sizes than this and the N_c of a fit is flagged as not trustworthy."""
MIN_RESOLVED = 2
"""Fewer sizes than this inside the rise (5-95 %) and the rise is steeper than the grid resolves:
the likelihood is then flat in N_c between the sizes around the rise, so N_c is reported as that
bracket (an interval), never as a located point."""
MIN_INSIDE = 3
"""Fewer sizes than this inside the rise (5-95 %) and N_c's CI is flagged: the bootstrap then
under-covers (seen in the synthetic coverage test: 30/40 at w = 0.35 with 0.77 ln-N spacing)."""


def to_data(y: xr.DataArray, n_trials: xr.DataArray | float | None = None, unit_dim: str = "seed") -> Data:
    """Flatten ``y`` (any dims, coord ``n_params``) into one observation per non-NaN cell."""
    if "n_params" not in y.coords:
        raise ValueError(f"to_data: '{y.name}' needs an 'n_params' coordinate (dims {y.dims})")
    dims = list(y.dims)
    x = np.log(y["n_params"].broadcast_like(y).transpose(*dims).values.astype(float)).ravel()
    v = y.transpose(*dims).values.astype(float).ravel()
    nt = None
    if n_trials is not None:
        nt_da = xr.DataArray(n_trials) if np.isscalar(n_trials) else n_trials
        nt = nt_da.broadcast_like(y).transpose(*dims).values.astype(float).ravel()
    grid = np.indices(y.shape).reshape(len(dims), -1)  # (n_dims, n_cells)
    strata = [i for i, d in enumerate(dims) if d != unit_dim]
    group = (
        np.ravel_multi_index(tuple(grid[strata]), tuple(y.shape[i] for i in strata))
        if strata
        else np.zeros(v.size, dtype=int)
    )
    unit = grid[dims.index(unit_dim)] if unit_dim in dims else np.full(v.size, -1)
    ok = np.isfinite(v) & np.isfinite(x) & (np.isfinite(nt) if nt is not None else True)
    if nt is not None and np.any((v[ok] < 0) | (v[ok] > 1)):
        raise ValueError("to_data: binomial likelihood needs rates in [0, 1]; pass n_trials=None")
    return Data(x[ok], v[ok], None if nt is None else nt[ok], group[ok], unit[ok])


@dataclass
class TransitionFit(JsonMixin):
    """Fits of all families, the verdict, and N_c / w with bootstrap CIs (of the logistic)."""

    likelihood: str
    n_obs: int
    n_sizes: int
    N_range: tuple[float, float]
    params: dict[str, dict[str, float]]
    """Per family: parameter name -> MLE."""
    converged: dict[str, bool]
    comparison: ModelComparison
    verdict: str
    """``sharp transition``, ``smooth``, ``no trend`` or ``undetermined``."""
    evidence: list[str]
    N_c: float
    """Logistic midpoint; when ``N_c_bracketed``, the geometric midpoint of the bracket instead."""
    N_c_ci: tuple[float, float]
    """Standard bootstrap interval (log space); when ``N_c_bracketed``, the bracket, widened to the
    percentile interval of the replicates' N_c where that reaches outside it."""
    N_c_ci_percentile: tuple[float, float]
    """Percentile bootstrap interval of N_c (for comparison with the standard interval N_c_ci)."""
    w: float
    """Logistic width in ln N (10-90 % rise = 4.39 w)."""
    w_ci: tuple[float, float]
    ci_level: float
    bootstrap: str
    """Resampling scheme: ``seeds``, ``prompts`` or ``residuals``."""
    n_boot_ok: int
    n_boot_failed: int
    boot_fail_frac: float
    """Fraction of bootstrap replicates whose refit failed (no start converged); NaN without a bootstrap."""
    N_c_bracketed: bool
    """The rise is steeper than the grid resolves (fewer than ``MIN_RESOLVED`` sizes inside its 5-95 %):
    N_c is known only to lie between the grid sizes on either side of the rise."""
    N_c_note: str
    """Why N_c is an interval and not a located point ('' when the rise is resolved); reports print it."""
    trustworthy: bool
    """Whether N_c can be trusted; ``problems`` says why not."""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def predict(self, n_params: np.ndarray, family: str | None = None) -> np.ndarray:
        """The fitted curve of ``family`` (default: best by BIC) at ``n_params``."""
        fam = family or self.comparison.best_bic
        lo, hi = np.log(self.N_range[0]), np.log(self.N_range[1])
        fams = make_families(np.array([lo, hi]))  # same reference points as the fit
        theta = np.array(list(self.params[fam].values()))
        return fams[fam].mean(theta, np.log(np.asarray(n_params, dtype=float)))


def fit_transition(
    y: xr.DataArray,
    n_trials: xr.DataArray | float | None = None,
    *,
    unit_dim: str = "seed",
    n_boot: int = 200,
    seed: int = 0,
    ci: float = 0.9,
    families: tuple[str, ...] = FAMILIES,
) -> TransitionFit:
    """Fit y(N) with every family, compare by AIC/BIC, bootstrap N_c and w of the logistic.

    ``n_trials`` (e.g. ``n_eval_prompts``) switches to the binomial likelihood for rates.
    """
    return fit_transition_data(to_data(y, n_trials, unit_dim), n_boot=n_boot, seed=seed, ci=ci, families=families)


def fit_transition_data(
    data: Data, *, n_boot: int = 200, seed: int = 0, ci: float = 0.9, families: tuple[str, ...] = FAMILIES
) -> TransitionFit:
    """``fit_transition`` on already flattened observations."""
    sizes = np.unique(data.x)
    if len(sizes) < 3:
        raise ValueError(f"fit_transition: need >= 3 distinct n_params, got {len(sizes)}")
    # The families' reference points (x_min, x_mean) use the sizes' range, not the cell weights, so
    # that ``predict`` can rebuild them from N_range alone.
    fams = make_families(np.array([sizes.min(), sizes.max()]))
    fits = {f: fit_family(fams[f], data) for f in families}
    cmp = compare({f: r.nll for f, r in fits.items()}, {f: n_free(fams[f], data) for f in fits}, len(data.y))
    span = float(sizes.max() - sizes.min())

    lg = fits.get("logistic")
    problems, notes, lg_notes = [], [], []  # lg_notes: the logistic's, marked so beside another verdict
    ln_nc = ln_w = np.nan
    nc_ci = w_ci = nc_pct = (np.nan, np.nan)
    n_ok = n_fail = 0
    scheme = "none"
    bracketed, nc_note = False, ""
    if lg is not None:
        _, _, ln_nc, ln_w = lg.theta
        thetas, n_fail, scheme = bootstrap_family(fams["logistic"], data, lg.theta, n_boot, seed)
        n_ok = len(thetas)
        if n_ok >= 10:
            # Standard bootstrap interval in log space: estimate ± z · sd_boot. With the small n_boot
            # affordable here it is better calibrated than percentiles (synthetic coverage test:
            # 89 % vs 85 % nominal-90 % at n_boot = 60); the percentile interval is kept alongside.
            # Resampling n units inside a stratum shrinks the variance by (n - 1) / n (3 seeds: by a
            # third), so sd_boot is scaled back by sqrt(n / (n - 1)).
            z = norm.ppf(0.5 + ci / 2) * _small_sample_factor(data, scheme)
            sd_nc, sd_w = thetas[:, 2].std(ddof=1), thetas[:, 3].std(ddof=1)
            nc_ci = (np.exp(ln_nc - z * sd_nc), np.exp(ln_nc + z * sd_nc))
            w_ci = (np.exp(ln_w - z * sd_w), np.exp(ln_w + z * sd_w))
            nc_pct_ln = np.quantile(thetas[:, 2], [(1 - ci) / 2, (1 + ci) / 2])
            nc_pct = tuple(np.exp(nc_pct_ln))
        nc_bounds = fams["logistic"].bounds(data.x)[2]
        bracket = _unresolved_bracket(sizes, ln_nc, ln_w, nc_bounds)
        if bracket is not None:
            lo_b, hi_b = bracket
            bracketed = True
            nc_note = (
                f"the rise is steeper than the grid resolves (fewer than {MIN_RESOLVED} sizes inside it): "
                f"N_c lies between {np.exp(lo_b):.3g} and {np.exp(hi_b):.3g}, no finer"
            )
            ln_nc = 0.5 * (lo_b + hi_b)
            lo_ci, hi_ci = lo_b, hi_b
            if n_ok >= 10:  # widened where the replicates put their rise outside the bracket
                lo_ci = min(lo_b, float(nc_pct_ln[0]))
                hi_ci = max(hi_b, float(nc_pct_ln[1]))
            nc_ci = (np.exp(lo_ci), np.exp(hi_ci))
        elif np.isfinite(nc_ci[0]) and not nc_ci[1] > nc_ci[0]:
            nc_ci = (np.nan, np.nan)  # a degenerate bootstrap: no interval rather than a point
            nc_note = "the bootstrap gave no spread of N_c: no interval"
        found, severe = _trust_problems(lg, sizes, ln_nc, ln_w, nc_ci, n_ok, n_fail)
        problems += found
        if "ln_w" in lg.at_bound:
            lg_notes.append("w at its lower bound: the rise is sharper than the grid resolves (w is an upper bound)")
    else:
        problems.append("logistic family not fitted: no N_c")
        severe = True
    for f, r in fits.items():
        if not r.converged:
            notes.append(f"{f} fit did not converge")
    widths = {} if lg is None else {"logistic": WIDTH_10_90 * float(np.exp(ln_w))}
    if "changepoint" in fits:
        xs = np.linspace(sizes.min(), sizes.max(), 1001)
        widths["changepoint"] = rise_width(fams["changepoint"].mean(fits["changepoint"].theta, xs), xs)
    alternatives = {} if lg is None else _logistic_other_regime(fams["logistic"], data, ln_w, span)
    verdict, evidence = verdict_from(cmp, widths, span, not severe, alternatives)
    nc_note = logistic_only(nc_note, verdict) if nc_note else ""
    notes = [logistic_only(n, verdict) for n in lg_notes] + notes
    return TransitionFit(
        likelihood=data.likelihood,
        n_obs=int(len(data.y)),
        n_sizes=int(len(sizes)),
        N_range=(float(np.exp(sizes.min())), float(np.exp(sizes.max()))),
        params={f: dict(zip(fams[f].param_names, map(float, r.theta), strict=True)) for f, r in fits.items()},
        converged={f: r.converged for f, r in fits.items()},
        comparison=cmp,
        verdict=verdict,
        evidence=evidence,
        N_c=float(np.exp(ln_nc)),
        N_c_ci=(float(nc_ci[0]), float(nc_ci[1])),
        N_c_ci_percentile=(float(nc_pct[0]), float(nc_pct[1])),
        w=float(np.exp(ln_w)),
        w_ci=(float(w_ci[0]), float(w_ci[1])),
        ci_level=ci,
        bootstrap=scheme,
        n_boot_ok=n_ok,
        n_boot_failed=n_fail,
        boot_fail_frac=float(n_fail / (n_ok + n_fail)) if n_ok + n_fail else float("nan"),
        N_c_bracketed=bracketed,
        N_c_note=nc_note,
        trustworthy=not problems,
        problems=problems,
        notes=notes,
    )


def _logistic_other_regime(family, data: Data, ln_w: float, span: float) -> dict[str, tuple[str, float]]:
    """The logistic refitted with its width held in the other category than its MLE's (module
    ``selection``): {label: (category, BIC)}. Serves the verdict as a rival of the free logistic."""
    ln_thr = float(np.log(0.5 * span / WIDTH_10_90))  # w where the 10-90 % rise is half the span
    sharp = WIDTH_10_90 * np.exp(ln_w) < 0.5 * span
    free = family.bounds(data.x)

    def bounds(x):
        b = family.bounds(x)
        b[3] = (ln_thr, free[3][1]) if sharp else (free[3][0], ln_thr)
        return b

    fit = fit_family(replace(family, bounds=bounds), data)
    bic = n_free(family, data) * np.log(len(data.y)) + 2 * fit.nll
    label = "logistic with w held smooth" if sharp else "logistic with w held sharp"
    return {label: ("smooth" if sharp else "sharp", float(bic))}


def _small_sample_factor(data: Data, scheme: str) -> float:
    """sqrt(n / (n - 1)) for n units per stratum (median) under the ``seeds`` scheme, else 1."""
    if scheme != "seeds":
        return 1.0
    counts = np.bincount(data.group)
    n = float(np.median(counts[counts > 0]))
    return float(np.sqrt(n / (n - 1))) if n > 1 else 1.0


def _unresolved_bracket(
    sizes: np.ndarray, ln_nc: float, ln_w: float, nc_bounds: tuple[float, float]
) -> tuple[float, float] | None:
    """(ln N below, ln N above) the rise when fewer than ``MIN_RESOLVED`` sizes lie inside its 5-95 %.

    Below: the largest size under the rise (or N_c's lower bound if none); above: the smallest size
    over it (or N_c's upper bound). None when the rise is resolved."""
    half = np.log(19.0) * np.exp(ln_w)  # 5-95 % of the rise is ln N_c ± ln(19) w
    if int(np.sum(np.abs(sizes - ln_nc) < half)) >= MIN_RESOLVED:
        return None
    below, above = sizes[sizes <= ln_nc - half], sizes[sizes >= ln_nc + half]
    lo = float(below.max()) if below.size else float(nc_bounds[0])
    hi = float(above.min()) if above.size else float(nc_bounds[1])
    return lo, hi


def _trust_problems(lg, sizes, ln_nc, ln_w, nc_ci, n_ok, n_fail) -> tuple[list[str], bool]:
    """Reasons the logistic N_c cannot be trusted, and whether they also void a "sharp" verdict
    (too few sizes, N_c not bracketed, no convergence). Few sizes *inside* a sharp rise only
    limit where N_c is known (to about the grid spacing), not that the rise is sharp."""
    out = []
    if len(sizes) < MIN_SIZES:
        out.append(f"{_n_sizes(len(sizes))} (< {MIN_SIZES})")
    below, above = int(np.sum(sizes < ln_nc)), int(np.sum(sizes > ln_nc))
    if min(below, above) < 2:
        out.append(
            f"N_c not bracketed: {below} size{'s' if below != 1 else ''} below and {above} above (need >= 2 each)"
        )
    if not lg.converged:
        out.append("logistic fit failed to converge")
    if "ln_N_c" in lg.at_bound:
        out.append("N_c at the edge of its allowed range")
    severe = bool(out)
    inside = int(np.sum(np.abs(sizes - ln_nc) <= np.log(19.0) * np.exp(ln_w)))  # 5-95 % of the rise
    if inside < MIN_INSIDE:
        out.append(
            f"{_n_sizes(inside, 'no')} inside the transition (5-95 % of the rise; need >= {MIN_INSIDE}): "
            "N_c is located only to about the grid spacing"
        )
    if n_ok < 10:
        out.append(f"only {n_ok} bootstrap fits converged")
    elif n_fail > 0.1 * (n_ok + n_fail):
        out.append(f"{n_fail} of {n_ok + n_fail} bootstrap fits failed")
    if np.all(np.isfinite(nc_ci)) and np.log(nc_ci[1]) - np.log(nc_ci[0]) > sizes.max() - sizes.min():
        out.append("CI of N_c wider than the grid")
    return out, severe


@dataclass
class SharpnessCheck(JsonMixin):
    """Does a sharp transition in a rate survive on a continuous metric (Schaeffer et al. 2023)?"""

    verdict_rate: str
    verdict_continuous: str
    survives: str
    """``yes``, ``no`` (the continuous metric is smooth: mirage-like) or ``undetermined``."""
    width_decades_rate: float
    width_decades_continuous: float
    reason: str


def sharpness_survives(rate: TransitionFit, continuous: TransitionFit) -> SharpnessCheck:
    """Compare verdicts of the same fits on a rate and on its continuous counterpart (e.g. log p)."""
    dec = lambda f: WIDTH_10_90 * f.w / np.log(10)
    if rate.verdict != "sharp transition":
        s, why = "undetermined", f"the rate itself is '{rate.verdict}', nothing to survive"
    elif continuous.verdict == "sharp transition":
        s, why = "yes", "the continuous metric also prefers a sharp transition"
    elif continuous.verdict in ("smooth", "no trend"):
        s, why = "no", f"the continuous metric is '{continuous.verdict}': the sharpness is metric-made"
    else:
        s, why = "undetermined", "the continuous metric does not separate sharp from smooth"
    return SharpnessCheck(rate.verdict, continuous.verdict, s, dec(rate), dec(continuous), why)


def _n_sizes(n: int, zero: str = "no") -> str:
    """'only 1 size', 'only 3 sizes', 'no size' (``zero`` for 0)."""
    return f"{zero} size" if n == 0 else f"only {n} size{'s' if n != 1 else ''}"


def threshold_size(n: np.ndarray, fit: dict | None) -> int | None:
    """Index into ``n`` of the size nearest the fitted threshold N_c in ln N (its interval's geometric
    middle when N_c is only bracketed); None without a fit. ``fit`` is a TransitionFit as JSON
    (fits.json's H1 rl_gain): the size the pass@k figure adds."""
    if not fit:
        return None
    nc = fit.get("N_c")
    lo, hi = fit.get("N_c_ci") or (np.nan, np.nan)
    if fit.get("N_c_bracketed") or nc is None or not np.isfinite(nc):
        nc = float(np.sqrt(lo * hi)) if np.isfinite(lo) and np.isfinite(hi) and lo > 0 else None
    if nc is None:
        return None
    return int(np.nanargmin(np.abs(np.log(n) - np.log(nc))))
