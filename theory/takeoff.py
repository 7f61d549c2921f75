"""The take-off as a probability: P(take-off | ln N) over every seed, and the gain given take-off.

Above the smallest widths RL either takes off or does not, by seed (and by CPU): a mean gain over
three seeds of a coin flip is not a size law. Each cell is one Bernoulli trial,

    take-off  <=>  RL gain >= ``TAKEOFF`` on held-out prompts,

and P(take-off) is fitted against x = ln N by maximum likelihood, in three families:

- ``constant``:  P = c                                  (no size trend)
- ``logistic``:  P = σ((x − m) / s)                      (rises from 0 to 1)
- ``ceiling``:   P = A · σ((x − m) / s), 0 < A < 1       (rises to a plateau: some seeds never
  take off however large the model; seen in the demo, 2 of 3 seeds at widths 32-128)

BIC picks the family. *Sharpness* is the 10-90 % width of the rise, in decades of N
(``WIDTH_10_90 · s / ln 10``); its interval comes from the profile likelihood (likelihood ratio at
``LEVEL``), never from a bootstrap: with every seed below some size failing and every seed above it
taking off the likelihood is maximal at s -> 0, every bootstrap replicate too, and a bootstrap
interval would collapse to a point. The profile interval then reads [0, upper]: as steep as you like
up to the steepness the seeds still allow.

The verdict (``classify``) treats both sides alike: ``sharp`` needs the whole width interval below
``BOUNDARY_DECADES``, ``smooth`` the whole interval above it; a fit that is not trustworthy (too few
sizes, the rise not bracketed by the grid, too few cells) is ``not determined`` whichever side it
leans to. ``N_c`` is the 50 % point of the fitted P(take-off), with its profile interval; a plateau
at or below one half has no 50 % point and N_c is then None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.special import expit

from ._result import JsonMixin

__all__ = [
    "TAKEOFF",
    "BOUNDARY_DECADES",
    "LEVEL",
    "MIN_SIZES",
    "MIN_CELLS",
    "TakeoffFit",
    "fit_takeoff",
    "classify",
    "takeoff_from_gain",
    "takeoff_verdict",
]

TAKEOFF = 0.1
"""An RL gain in pass@1 (held-out prompts) of at least this much is a take-off."""
BOUNDARY_DECADES = 0.5
"""Sharp vs smooth: a 10-90 % rise of P(take-off) within half a decade of N (a factor 3.2 in
parameters, 1.8 in width for N ∝ width²) is sharp; stated before any fit, not tuned."""
LEVEL = 0.9
"""Confidence level of the profile-likelihood intervals."""
MIN_SIZES = 5
"""Fewer distinct sizes and the fit is not trustworthy."""
MIN_CELLS = 12
"""Fewer cells (seeds over all sizes) and the fit is not trustworthy."""
WIDTH_10_90 = 2.0 * np.log(9.0)
"""10-90 % rise of a logistic in units of its scale s."""
DELTA_BIC = 2.0
"""ΔBIC by which the constant must lose before a size trend is called."""
_S_MIN, _S_MAX_SPANS = 1e-3, 20.0
"""Profile range of the scale s in ln N: from 1e-3 (a step) to 20 grid spans (flat)."""


def takeoff_from_gain(gain: np.ndarray, threshold: float = TAKEOFF) -> np.ndarray:
    """1.0 where gain >= threshold, 0.0 below, NaN where the gain is NaN."""
    g = np.asarray(gain, dtype=float)
    return np.where(np.isfinite(g), (g >= threshold).astype(float), np.nan)


def _p(x: np.ndarray, m: float, s: float, a: float = 1.0) -> np.ndarray:
    return a * expit((x - m) / s)


def _nll(p: np.ndarray, k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Binomial negative log-likelihood (without the constant) of ``k`` take-offs in ``n`` cells per
    size (last axis) under probabilities ``p``."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -np.sum(k * np.log(p) + (n - k) * np.log1p(-p), axis=-1)


_N_S, _N_M, _N_A = 61, 241, 41
"""Profile grid: scales s (log-spaced), midpoints m, plateaus A (the ceiling family)."""


def _grid_nll(xs, k, n, span: float):
    """nll over the whole (A, s, m) grid: (A, S, M) with the grid's axes."""
    s_grid = np.geomspace(_S_MIN, _S_MAX_SPANS * span, _N_S)
    m_grid = np.linspace(xs[0] - span, xs[-1] + span, _N_M)
    a_grid = np.concatenate([np.linspace(0.02, 0.98, _N_A - 1), [1.0]])
    z = (xs[None, None, :] - m_grid[None, :, None]) / s_grid[:, None, None]  # (S, M, sizes)
    p = a_grid[:, None, None, None] * expit(z)[None]  # (A, S, M, sizes)
    return _nll(p, k, n), a_grid, s_grid, m_grid


def _interval(grid: np.ndarray, prof: np.ndarray, nll_min: float, level: float) -> tuple[float, float]:
    """Ends of {grid : prof <= nll_min + chi2_1(level) / 2}, interpolated between grid points; an end
    at the grid's edge stays there (read: not bounded within the profile range)."""
    cut = nll_min + stats.chi2.ppf(level, 1) / 2
    inside = np.flatnonzero(prof <= cut)
    if inside.size == 0:
        i = int(np.nanargmin(prof))
        return float(grid[i]), float(grid[i])
    i0, i1 = inside[0], inside[-1]

    def cross(i_in: int, i_out: int) -> float:
        a, b = prof[i_in], prof[i_out]
        t = 0.0 if not np.isfinite(b) or b == a else (cut - a) / (b - a)
        return float(grid[i_in] + t * (grid[i_out] - grid[i_in]))

    lo = float(grid[0]) if i0 == 0 else cross(i0, i0 - 1)
    hi = float(grid[-1]) if i1 == len(grid) - 1 else cross(i1, i1 + 1)
    return lo, hi


def _x50(m, s, a):
    """x where a·σ((x − m)/s) = 1/2 (NaN where a <= 1/2); broadcasts."""
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0.5, m - s * np.log(np.where(a > 0.5, 2 * a - 1, 1.0)), np.nan)


def _profile_x50(nll, a_grid, s_grid, m_grid, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Profile nll over the 50 % point: the minimum of the grid's nll over every (A, s, m) whose
    x50 falls in each bin of a grid from lo to hi."""
    x50 = _x50(m_grid[None, None, :], s_grid[None, :, None], a_grid[:, None, None])  # (A, S, M)
    edges = np.linspace(lo, hi, 162)
    centre = 0.5 * (edges[1:] + edges[:-1])
    ok = np.isfinite(x50) & (x50 >= lo) & (x50 < hi)
    b = np.digitize(x50[ok], edges) - 1
    prof = np.full(centre.size, np.inf)
    np.minimum.at(prof, b, nll[ok])
    return centre, prof


@dataclass
class TakeoffFit(JsonMixin):
    """P(take-off | ln N) fitted over all seeds, with profile intervals and the verdict."""

    family: str
    """``constant``, ``logistic`` or ``ceiling`` (best by BIC)."""
    bic: dict[str, float]
    n_cells: int
    n_sizes: int
    sizes: list[float]
    """Distinct N, ascending."""
    n_per_size: list[int]
    takeoffs_per_size: list[int]
    N_c: float | None
    """50 % point of the fitted P(take-off); None when P never reaches one half."""
    N_c_ci: tuple[float, float]
    """Profile-likelihood interval of N_c (NaN when N_c is None; 0 or ∞ where the profile does not
    bound it within one grid span beyond the sizes measured)."""
    width_decades: float
    """10-90 % width of the fitted rise in decades of N (NaN for the constant)."""
    width_ci: tuple[float, float]
    """Profile-likelihood interval of the width; its lower end is 0 when a step fits as well."""
    ceiling: float
    """Plateau A of P(take-off) (1.0 for the logistic, c for the constant)."""
    trustworthy: bool
    problems: list[str] = field(default_factory=list)
    verdict: str = ""
    """``sharp``, ``smooth``, ``no trend`` or ``not determined: ...`` (``classify``)."""
    gain_given_takeoff: list[float] = field(default_factory=list)
    """Mean gain of the take-off cells per size (NaN where none took off)."""
    midpoint_lnN: float = float("nan")
    """Midpoint m of the rising family's logistic in ln N (its 50 % point when A = 1)."""
    scale_lnN: float = float("nan")
    """Scale s of the rising family's logistic in ln N."""

    def predict(self, n_params) -> np.ndarray:
        """Fitted P(take-off) at ``n_params``."""
        x = np.log(np.asarray(n_params, dtype=float))
        if self.family == "constant":
            return np.full(x.shape, self.ceiling)
        return _p(x, self.midpoint_lnN, self.scale_lnN, self.ceiling)


def fit_takeoff(n_params, takeoff, gain=None, level: float = LEVEL) -> TakeoffFit:
    """Fit P(take-off | ln N) to cells: ``n_params`` and ``takeoff`` (0/1, NaN = skip) per cell;
    ``gain`` per cell (optional) gives the mean gain given take-off per size."""
    nn = np.asarray(n_params, dtype=float).ravel()
    y = np.asarray(takeoff, dtype=float).ravel()
    if nn.shape != y.shape:
        raise ValueError(f"fit_takeoff: n_params {nn.shape} and takeoff {y.shape} differ in shape")
    ok = np.isfinite(nn) & np.isfinite(y) & (nn > 0)
    if np.any((y[ok] != 0) & (y[ok] != 1)):
        raise ValueError("fit_takeoff: takeoff must be 0 or 1 per cell (NaN to skip)")
    x, y = np.log(nn[ok]), y[ok]
    g = None if gain is None else np.asarray(gain, dtype=float).ravel()[ok]
    xs = np.unique(x)
    if xs.size < 2:
        raise ValueError(f"fit_takeoff: needs at least 2 distinct sizes, got {xs.size}")
    n = np.array([np.sum(x == v) for v in xs], dtype=float)  # (sizes,) cells per size
    k = np.array([np.sum(y[x == v]) for v in xs], dtype=float)  # (sizes,) take-offs per size
    span = float(xs[-1] - xs[0])

    nll, a_grid, s_grid, m_grid = _grid_nll(xs, k, n, span)  # (A, S, M)
    c = float(k.sum() / n.sum())
    best = {
        "constant": float(_nll(np.full(xs.shape, c), k, n)),
        "logistic": float(nll[-1].min()),  # a_grid[-1] == 1
        "ceiling": float(nll[:-1].min()),
    }
    n_par = {"constant": 1, "logistic": 2, "ceiling": 3}
    bic = {f: float(n_par[f] * np.log(n.sum()) + 2 * best[f]) for f in best}
    family = min(bic, key=bic.get)
    rising = "ceiling" if bic["ceiling"] < bic["logistic"] else "logistic"
    sub = nll[:-1] if rising == "ceiling" else nll[-1:]
    ia, i_s, im = np.unravel_index(int(np.argmin(sub)), sub.shape)
    flat = np.flatnonzero(sub[ia, i_s] <= sub[ia, i_s, im] + 1e-9)  # a step between two sizes fits
    im = int(flat[flat.size // 2])  # equally well anywhere between them: take the middle, not an end
    a = float(a_grid[:-1][ia] if rising == "ceiling" else 1.0)
    s, m = float(s_grid[i_s]), float(m_grid[im])

    gtk = [
        float(np.mean(g[(x == v) & (y == 1)])) if g is not None and np.any((x == v) & (y == 1)) else float("nan")
        for v in xs
    ]
    fit = TakeoffFit(
        family=family,
        bic=bic,
        n_cells=int(n.sum()),
        n_sizes=int(xs.size),
        sizes=[float(v) for v in np.exp(xs)],
        n_per_size=[int(v) for v in n],
        takeoffs_per_size=[int(v) for v in k],
        N_c=None,
        N_c_ci=(float("nan"), float("nan")),
        width_decades=float("nan"),
        width_ci=(float("nan"), float("nan")),
        ceiling=c,
        trustworthy=False,
        gain_given_takeoff=gtk,
    )
    if family != "constant":
        fit.midpoint_lnN, fit.scale_lnN, fit.ceiling = m, s, a
        to_dec = WIDTH_10_90 / np.log(10)
        fit.width_decades = float(s * to_dec)
        lo_s, hi_s = _interval(np.log(s_grid), sub.min(axis=(0, 2)), best[rising], level)
        lo_s, hi_s = np.exp(lo_s), np.exp(hi_s)
        fit.width_ci = (
            0.0 if lo_s <= s_grid[0] * 1.0001 else float(lo_s * to_dec),
            np.inf if hi_s >= s_grid[-1] * 0.9999 else float(hi_s * to_dec),
        )
        x50 = float(_x50(m, s, a))
        if np.isfinite(x50):
            a_sub = a_grid[:-1] if rising == "ceiling" else a_grid[-1:]
            g50, p50 = _profile_x50(sub, a_sub, s_grid, m_grid, xs[0] - span, xs[-1] + span)
            lo, hi = _interval(g50, p50, best[rising], level)
            fit.N_c = float(np.exp(x50))
            fit.N_c_ci = (
                0.0 if lo <= g50[0] else float(np.exp(lo)),
                np.inf if hi >= g50[-1] else float(np.exp(hi)),
            )
    fit.problems = _problems(fit, xs, m)
    fit.trustworthy = not fit.problems
    fit.verdict = classify(fit)
    return fit


def _problems(fit: TakeoffFit, sizes, m: float) -> list[str]:
    """Why the fit cannot be trusted (empty when it can)."""
    out = []
    if fit.n_sizes < MIN_SIZES:
        out.append(f"{fit.n_sizes} sizes (need >= {MIN_SIZES})")
    if fit.n_cells < MIN_CELLS:
        out.append(f"{fit.n_cells} cells (need >= {MIN_CELLS})")
    if fit.family != "constant" and np.isfinite(m):
        below, above = int(np.sum(sizes < m)), int(np.sum(sizes > m))
        if below < 1 or above < 1:
            out.append(f"the rise is not inside the grid ({below} sizes below its midpoint, {above} above)")
    return out


def classify(fit: TakeoffFit, bic: dict[str, float] | None = None) -> str:
    """``sharp`` / ``smooth`` / ``no trend`` / ``not determined: ...``, both sides alike.

    ``no trend``: the constant is best by ΔBIC >= 2 over both rising families; ``sharp`` / ``smooth``:
    a rising family is best by ΔBIC >= 2 over the constant and the width interval lies wholly
    below / above ``BOUNDARY_DECADES``. An untrustworthy fit is not determined either way."""
    bic = bic or fit.bic
    if not fit.trustworthy:
        return "not determined: " + "; ".join(fit.problems)
    rising_best = min(bic["logistic"], bic["ceiling"])
    if fit.family == "constant":
        if rising_best - bic["constant"] >= DELTA_BIC:
            return "no trend"
        return f"not determined: constant and rising P(take-off) within ΔBIC {rising_best - bic['constant']:.1f}"
    if bic["constant"] - rising_best < DELTA_BIC:
        return f"not determined: the rise beats a constant P(take-off) by ΔBIC {bic['constant'] - rising_best:.1f} only"
    lo, hi = fit.width_ci
    b = BOUNDARY_DECADES
    if hi < b:
        return "sharp"
    if lo > b:
        return "smooth"
    return (
        f"not determined: the 10-90% width lies in [{lo:.2f}, {_fmt_inf(hi)}] decades, "
        f"on both sides of the {b:g}-decade boundary"
    )


def _fmt_inf(v: float) -> str:
    return "∞" if not np.isfinite(v) else f"{v:.2f}"


def takeoff_verdict(n_params, gain) -> str | None:
    """``classify``'s verdict on cells given by N and gain (NaN gains skipped); None when fewer than
    2 sizes have a gain (nothing to fit)."""
    nn, g = np.asarray(n_params, dtype=float).ravel(), np.asarray(gain, dtype=float).ravel()
    ok = np.isfinite(nn) & np.isfinite(g) & (nn > 0)
    if np.unique(nn[ok]).size < 2:
        return None
    return fit_takeoff(nn[ok], takeoff_from_gain(g[ok])).verdict
