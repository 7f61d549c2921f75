"""Information criteria across families and the plain-language verdict drawn from them.

Verdict rules (BIC, Kass & Raftery's "positive evidence" threshold of 2):

- each fitted family is put in a category by the width of its rise: ``logistic`` and
  ``changepoint`` -> sharp when their 10-90 % rise spans under half the grid's ln N span, smooth
  otherwise (logistic: 2 ln 9 · w; change-point: measured on the fitted curve inside the grid, so a
  kink between two non-zero slopes, which fits any bent smooth curve, is smooth; a change-point
  curve that is not monotone is no single rise and is smooth too); ``power`` and ``linear`` ->
  smooth; ``constant`` -> none;
- the verdict is the best family's category ("sharp transition", "smooth", "no trend") when the
  best family of every *other* category is worse by ΔBIC >= 2, else "undetermined"; the rivals
  include the logistic refitted with its width held in the other category (a noisy smooth curve
  can fit a narrower logistic, but then the wide one must be clearly worse);
- a "sharp transition" whose N_c is not trustworthy (see ``transitions``) becomes "undetermined".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._result import JsonMixin
from .text import best_by_bic
from .text import rival as rival_text

__all__ = ["ModelComparison", "compare", "category", "rise_width", "verdict_from", "WIDTH_10_90", "DELTA_BIC"]

WIDTH_10_90 = 2.0 * np.log(9.0)
"""10-90 % rise of the logistic in units of w."""
DELTA_BIC = 2.0
"""ΔBIC needed before one category is preferred."""
_LABEL = {"sharp": "sharp transition", "smooth": "smooth", "none": "no trend"}


@dataclass
class ModelComparison(JsonMixin):
    """AIC/BIC per family (lower is better) and the family each criterion prefers."""

    aic: dict[str, float]
    bic: dict[str, float]
    best_aic: str
    best_bic: str
    bic_weights: dict[str, float]
    """exp(-ΔBIC/2) normalised: approximate posterior model probabilities."""


def compare(nll: dict[str, float], k: dict[str, int], n_obs: int) -> ModelComparison:
    """AIC = 2k + 2 nll, BIC = k ln n + 2 nll for each family."""
    aic = {f: 2 * k[f] + 2 * nll[f] for f in nll}
    bic = {f: k[f] * np.log(n_obs) + 2 * nll[f] for f in nll}
    b_min = min(bic.values())
    w = {f: np.exp(-(b - b_min) / 2) for f, b in bic.items()}
    tot = sum(w.values())
    return ModelComparison(aic, bic, min(aic, key=aic.get), min(bic, key=bic.get), {f: v / tot for f, v in w.items()})


def rise_width(curve: np.ndarray, x: np.ndarray) -> float:
    """10-90 % width in x of the rise (or fall) of ``curve`` sampled on the sorted grid ``x``.

    Infinite when the curve is flat or not monotone (its smaller-direction change is over 10 % of
    its larger one): that is no single rise."""
    d = np.diff(curve)
    up, down = float(np.sum(d[d > 0])), float(-np.sum(d[d < 0]))
    if max(up, down) <= 0 or min(up, down) > 0.1 * max(up, down):
        return float("inf")
    frac = np.cumsum(np.abs(d)) / (up + down)  # (len(x) - 1,) share of the change done by x[1:]
    return float(x[1:][np.argmax(frac >= 0.9)] - x[1:][np.argmax(frac >= 0.1)])


def category(family: str, width: float | None, ln_span: float) -> str:
    """``sharp``, ``smooth`` or ``none`` for a fitted family with 10-90 % rise ``width`` in ln N."""
    if family in ("logistic", "changepoint"):
        return "sharp" if width is not None and width < 0.5 * ln_span else "smooth"
    return "none" if family == "constant" else "smooth"


def verdict_from(
    cmp: ModelComparison,
    widths: dict[str, float],
    ln_span: float,
    n_c_trustworthy: bool,
    alternatives: dict[str, tuple[str, float]] | None = None,
) -> tuple[str, list[str]]:
    """The verdict and the evidence lines behind it.

    ``widths``: 10-90 % rise in ln N per family; ``alternatives``: further fits that only serve as
    rivals, name -> (category, BIC)."""
    alternatives = alternatives or {}
    cats = {f: category(f, widths.get(f), ln_span) for f in cmp.bic}
    best = cmp.best_bic
    rivals = {f: b for f, b in cmp.bic.items() if cats[f] != cats[best]}
    for name, (cat, b) in alternatives.items():
        cats[name] = cat
        if cat != cats[best] and np.isfinite(b):
            rivals[name] = b
    evidence = []
    for f in ("logistic", "changepoint"):
        if f in cmp.bic and widths.get(f) is not None:
            wd = widths[f] / np.log(10)
            evidence.append(
                f"{f} 10-90% width = {wd:.2f} decades of N (grid spans {ln_span / np.log(10):.2f})"
                if np.isfinite(wd)
                else f"{f}: no single monotone rise"
            )
    if not rivals:
        return _decided("undetermined", best, cats, evidence + ["only one category fitted"])
    rival = min(rivals, key=rivals.get)
    gap = rivals[rival] - cmp.bic[best]
    evidence.append(rival_text(cats[rival], rival, gap))
    if gap < DELTA_BIC:
        return _decided(
            "undetermined", best, cats, evidence + [f"ΔBIC < {DELTA_BIC:g}: the data do not separate the categories"]
        )
    v = _LABEL[cats[best]]
    if v == "sharp transition" and not n_c_trustworthy:
        return _decided(
            "undetermined", best, cats, evidence + ["preferred a sharp transition, but N_c is not trustworthy"]
        )
    return _decided(v, best, cats, evidence)


def _decided(verdict: str, best: str, cats: dict[str, str], evidence: list[str]) -> tuple[str, list[str]]:
    """The verdict and its evidence, led by the BIC-best family as that verdict reads it."""
    return verdict, [best_by_bic(best, cats[best], verdict), *evidence]
