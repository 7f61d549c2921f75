"""A verdict and the statistics every verdict rule shares (a t interval, disjoint intervals).

A ``Verdict`` is what a rule of theory/ returns for a hypothesis (H1-H11, theory.hypotheses) or a
study's claim (C1-C11, theory.claims, theory.claims_behaviour): the verdict word, the rule that
decided it, the measured result in words, the numbers it used (with n and the headline
interval where there is one) and, for a claim, the one number that decided it. Reports store it
as JSON (fits.json, verdicts.json) and render it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from ._result import JsonMixin

GAIN = 0.1
"""A gain of at least this much counts as RL paying off."""
LEVEL = 0.9
"""Confidence level of every interval."""
MIN_CELLS = 3
"""Fewer cells than this on a side of a comparison and the claim is not determined."""


@dataclass
class Verdict(JsonMixin):
    claim: str
    """What is decided: a claim id (C1 ... C11) or a hypothesis line (H1 rl_gain, H2 (phi), ...)."""
    result: str
    """The measured result in words, with intervals."""
    verdict: str
    """The verdict word, with its reason where the rule gives one (holds, fails, not determined: ...)."""
    rule: str
    """The rule that decided the verdict (printed in the reports)."""
    numbers: dict[str, Any] = field(default_factory=dict)
    """The numbers the rule read (and those its report's tables show)."""
    n: int | None = None
    """How many cells (or sizes, or rows) the verdict rests on; None where it is not one count."""
    interval: tuple[float, float] | None = None
    """The headline interval (at LEVEL, or a bracket of sizes) where the verdict has one."""
    power: dict[str, Any] = field(default_factory=dict)
    """n per arm and the smallest detectable effect at that n (theory.power.power_row); empty where
    the rule compares no arms."""
    decisive: str = ""
    """The one number the verdict word rests on, rendered (theory.text.decides): its value with its
    interval, n and the boundary it was compared against where there is one. For holds / fails the
    number the rule compared with its boundary; for 'holds only where …' / 'holds only in part' the
    number of the part that holds; for 'not determined' the number that fell short (an interval on
    both sides of the boundary, too few cells, a detectable effect larger than the claim's). Empty
    for the hypotheses H1-H11 (their reports print their own numbers)."""


def not_run(claim: str, why: str) -> Verdict:
    """The verdict of a claim a study moved elsewhere (aha.studies.Study.moved): not determined here,
    with why; it read no cells, so it set none aside."""
    return Verdict(
        claim,
        result="not measured in this study",
        verdict=f"not determined: not run in this study ({why})",
        rule="a claim a study does not run is not decided by it",
        numbers={"moved": why, "excluded": {"no-signal": 0, "broke-capable": 0}},
        decisive="none: not run in this study",
    )


def mean_ci(x, level: float = LEVEL) -> tuple[float, float, float, int]:
    """(mean, lo, hi, n) of the finite values: a t interval; lo = hi = NaN with fewer than 2."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    n = int(a.size)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(a.mean())
    if n < 2:
        return m, float("nan"), float("nan"), n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * a.std(ddof=1) / np.sqrt(n))
    return m, m - half, m + half, n


def intervals_disjoint(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Two intervals (NaN-free; ±inf allowed for open ends) do not overlap."""
    return a[1] < b[0] or b[1] < a[0]


def diff_ci(a, b, level: float = LEVEL) -> tuple[float, float, float, int]:
    """(mean(a) − mean(b), lo, hi, n_a + n_b) of the finite values: Welch's t interval (unequal
    spreads) at ``level``; lo = hi = NaN with fewer than 2 values on a side (as `mean_ci`: an interval
    of width 0 when neither side varies)."""
    x, y = (np.asarray(v, dtype=float) for v in (a, b))
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    n = int(x.size + y.size)
    if x.size == 0 or y.size == 0:
        return float("nan"), float("nan"), float("nan"), n
    d = float(x.mean() - y.mean())
    if x.size < 2 or y.size < 2:
        return d, float("nan"), float("nan"), n
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = float(np.sqrt(vx + vy))
    if se == 0:
        return d, d, d, n
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * se)
    return d, d - half, d + half, n
