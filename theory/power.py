"""How small an effect a comparison could have seen, and how many seeds it would need.

Every verdict row states n per arm and the smallest effect it could have detected (power
``POWER`` at its n, two-sided at the study's ``ALPHA``); a verdict whose interval covers zero while
its detectable effect is larger than the effect the claim is about says "not determined: needs
n ≈ …" instead of "no effect".

- means (gains, differences of gains): normal approximation, MDE = (z_{1-α/2} + z_power) ·
  sqrt(sd₁²/n₁ + sd₂²/n₂);
- proportions (take-off rates, detector rates): Cohen's arcsine h, MDE in h = (z_{1-α/2} + z_power) ·
  sqrt(1/n₁ + 1/n₂), turned back into a difference of proportions at the observed base rate.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = [
    "ALPHA",
    "POWER",
    "mde_means",
    "n_for_means",
    "mde_proportions",
    "n_for_proportions",
    "mde_paired",
    "n_for_paired",
    "sd",
    "power_row",
    "needs",
]

ALPHA = 0.1
"""Two-sided level (the study's 90 % intervals)."""
POWER = 0.8
"""Power at which the detectable effect is stated."""


def _z(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def mde_means(sd1: float, n1: int, sd2: float | None = None, n2: int | None = None, alpha=ALPHA, power=POWER) -> float:
    """Smallest difference of two means detectable at ``power`` (NaN with n < 2 on a side or no sd)."""
    sd2 = sd1 if sd2 is None else sd2
    n2 = n1 if n2 is None else n2
    if n1 < 2 or n2 < 2 or not (np.isfinite(sd1) and np.isfinite(sd2)):
        return float("nan")
    return _z(alpha, power) * math.sqrt(sd1**2 / n1 + sd2**2 / n2)


def mde_paired(sd_diff: float, n: int, alpha=ALPHA, power=POWER) -> float:
    """Smallest mean of paired differences detectable at ``power`` (NaN with n < 2)."""
    if n < 2 or not np.isfinite(sd_diff):
        return float("nan")
    return _z(alpha, power) * sd_diff / math.sqrt(n)


def n_for_means(effect: float, sd: float, alpha=ALPHA, power=POWER) -> int:
    """Cells per arm (two equal arms of spread ``sd``) to detect a difference ``effect``."""
    if effect <= 0 or not np.isfinite(sd) or sd <= 0:
        return 2
    return max(2, math.ceil(2 * (_z(alpha, power) * sd / effect) ** 2))


def _h(p: float) -> float:
    return 2 * math.asin(math.sqrt(min(max(p, 0.0), 1.0)))


def mde_proportions(p1: float, n1: int, n2: int, alpha=ALPHA, power=POWER) -> float:
    """Smallest rise of a proportion from ``p1`` detectable at ``power`` with arms of n1 and n2
    (the larger of the rise and the fall that can be seen; capped at the distance to 0 or 1)."""
    if n1 < 1 or n2 < 1:
        return float("nan")
    h = _z(alpha, power) * math.sqrt(1 / n1 + 1 / n2)
    up = math.sin(min(_h(p1) + h, math.pi) / 2) ** 2 - p1
    down = p1 - math.sin(max(_h(p1) - h, 0.0) / 2) ** 2
    return float(max(up, down))


def n_for_proportions(p1: float, p2: float, alpha=ALPHA, power=POWER) -> int:
    """Cells per arm (two equal arms) to tell ``p1`` from ``p2``."""
    h = abs(_h(p2) - _h(p1))
    if h == 0:
        return 10**9
    return max(1, math.ceil(2 * (_z(alpha, power) / h) ** 2))


def n_for_paired(effect: float, sd_diff: float, alpha=ALPHA, power=POWER) -> int:
    """Pairs needed to detect a mean paired difference ``effect``."""
    if effect <= 0 or not np.isfinite(sd_diff) or sd_diff <= 0:
        return 2
    return max(2, math.ceil((_z(alpha, power) * sd_diff / effect) ** 2))


def sd(x) -> float:
    """Sample sd (ddof 1) of the finite values; NaN with fewer than 2."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    return float(a.std(ddof=1)) if a.size >= 2 else float("nan")


def power_row(arms: dict[str, int], mde: float, effect: float, about: str, needs_n: int | None = None) -> dict:
    """What a verdict row states about its power: n per arm, the smallest effect it could have
    detected (``mde``, at power ``POWER`` and two-sided ``ALPHA``), the effect the claim is about,
    what the effect is a difference of, and the n per arm a null call would need (kept only where
    the detectable effect is larger than the claim's, ``needs``)."""
    return {
        "arms": {k: int(v) for k, v in arms.items()},
        "mde": float(mde),
        "effect": float(effect),
        "about": about,
        "needs_n": None if needs_n is None or not needs(mde, effect) else int(needs_n),
    }


def needs(mde: float, effect: float) -> bool:
    """A null call ("no effect") is not earned: the detectable effect is unknown or larger than the
    effect the claim is about."""
    return not np.isfinite(mde) or mde > effect
