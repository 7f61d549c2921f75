"""Model families for y(N) with x = ln N: the candidates compared by the transition fits.

Each family is a ``Family`` with a vectorised mean function ``mean(theta, x)`` and a few starting
points. Parameters are unconstrained reals except where bounds say otherwise; widths and rates
are fitted in log space.

- ``logistic``:   y = y0 + A / (1 + exp(-(x - x_c) / w))              theta = (y0, A, x_c, ln w)
- ``power``:      y = y_inf - B * exp(-alpha (x - x_min))              theta = (y_inf, B, ln alpha)
                  i.e. a smooth power law in N saturating at y_inf: y_inf - B (N / N_min)^-alpha
- ``linear``:     y = a + b (x - x_mean)                               theta = (a, b)
- ``changepoint``: continuous piecewise-linear, kink at x_c            theta = (a, b1, b2, x_c)
- ``constant``:   y = a                                                theta = (a,)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Family", "FAMILIES", "make_families"]


@dataclass(frozen=True)
class Family:
    """A parametric curve in x = ln N with its starting points and box bounds."""

    name: str
    """Family id (``logistic``, ``power``, ``linear``, ``changepoint``, ``constant``)."""
    param_names: tuple[str, ...]
    """Names of theta's entries, in order."""
    mean: Callable[[np.ndarray, np.ndarray], np.ndarray]
    """``mean(theta, x)``: theta (P,) or (B, P); x (n,) -> (n,) or (B, n)."""
    starts: Callable[[np.ndarray, np.ndarray], list[np.ndarray]]
    """``starts(x, y)``: starting thetas for multi-start optimisation."""
    bounds: Callable[[np.ndarray], list[tuple[float | None, float | None]]]
    """``bounds(x)``: box bounds per parameter for L-BFGS-B."""

    @property
    def n_params(self) -> int:
        return len(self.param_names)


def _cols(theta: np.ndarray) -> list[np.ndarray]:
    theta = np.asarray(theta, dtype=float)
    return [theta[..., i, None] for i in range(theta.shape[-1])]  # each (..., 1)


def _span(x: np.ndarray) -> float:
    return max(float(np.ptp(x)), 1e-6)


def _logistic_mean(theta, x):
    y0, a, xc, logw = _cols(theta)
    z = np.clip((x - xc) / np.exp(logw), -60, 60)
    return y0 + a / (1.0 + np.exp(-z))


def _logistic_starts(x, y):
    lo, hi = np.percentile(y, [10, 90])
    sign = 1.0 if np.corrcoef(x, y)[0, 1] >= 0 or not np.isfinite(np.corrcoef(x, y)[0, 1]) else -1.0
    y0, amp = (lo, hi - lo) if sign > 0 else (hi, lo - hi)
    span = _span(x)
    out = []
    for xc in np.quantile(np.unique(x), [0.2, 0.4, 0.6, 0.8]):
        for w in (span / 20, span / 5):
            out.append(np.array([y0, amp, xc, np.log(w)]))
    return out


def _logistic_bounds(x):
    span = _span(x)
    return [
        (None, None),
        (None, None),
        (x.min() - 0.5 * span, x.max() + 0.5 * span),
        (np.log(span / 500), np.log(10 * span)),
    ]


def _power_mean(theta, x, x_min=0.0):
    y_inf, b, log_alpha = _cols(theta)
    return y_inf - b * np.exp(-np.exp(log_alpha) * (x - x_min))


def _linear_mean(theta, x, x_mean=0.0):
    a, b = _cols(theta)
    return a + b * (x - x_mean)


def _changepoint_mean(theta, x):
    a, b1, b2, xc = _cols(theta)
    d = x - xc
    return a + np.where(d < 0, b1 * d, b2 * d)


def _constant_mean(theta, x):
    (a,) = _cols(theta)
    return a + 0.0 * x


def make_families(x: np.ndarray) -> dict[str, Family]:
    """The five families, with reference points (x_min, x_mean) taken from the data's x."""
    x = np.asarray(x, dtype=float)
    x_min, x_mean, span = float(x.min()), float(x.mean()), _span(x)

    def power_starts(xx, y):
        hi, lo = np.percentile(y, [95, 5])
        return [np.array([hi, hi - lo, np.log(a / span)]) for a in (0.5, 2.0, 8.0)] + [
            np.array([lo, lo - hi, np.log(2.0 / span)])
        ]

    def linear_starts(xx, y):
        b = np.polyfit(xx - x_mean, y, 1) if np.ptp(xx) > 0 else np.array([0.0, y.mean()])
        return [np.array([b[1], b[0]])]

    def cp_range(xx):  # the kink stays between the second-smallest and second-largest size
        u = np.unique(xx)
        return (u[1], u[-2]) if len(u) >= 4 else (u[0], u[-1])

    def cp_starts(xx, y):
        out = []
        for xc in np.linspace(*cp_range(xx), 6):
            out.append(np.array([np.interp(xc, np.sort(xx), y[np.argsort(xx)]), 0.0, 0.0, xc]))
        return out

    return {
        "logistic": Family(
            "logistic", ("y0", "A", "ln_N_c", "ln_w"), _logistic_mean, _logistic_starts, _logistic_bounds
        ),
        "power": Family(
            "power",
            ("y_inf", "B", "ln_alpha"),
            lambda t, xx: _power_mean(t, xx, x_min),
            power_starts,
            lambda xx: [(None, None), (None, None), (np.log(0.01 / span), np.log(60.0 / span))],
        ),
        "linear": Family(
            "linear",
            ("a", "b"),
            lambda t, xx: _linear_mean(t, xx, x_mean),
            linear_starts,
            lambda xx: [(None, None), (None, None)],
        ),
        "changepoint": Family(
            "changepoint",
            ("a", "b1", "b2", "ln_N_c"),
            _changepoint_mean,
            cp_starts,
            lambda xx: [(None, None)] * 3 + [cp_range(xx)],
        ),
        "constant": Family(
            "constant",
            ("a",),
            _constant_mean,
            lambda xx, y: [np.array([y.mean()])],
            lambda xx: [(None, None)],
        ),
    }


FAMILIES = ("logistic", "power", "linear", "changepoint", "constant")
"""Family names in the order they are reported."""
