"""Information criteria across families and the plain-language verdict drawn from them.

Verdict rules (BIC, Kass & Raftery's "positive evidence" threshold of 2):

- each fitted family is put in a category: ``changepoint`` -> sharp; ``logistic`` -> sharp when its
  10-90 % width (2 ln 9 · w in ln N) is under half the grid's ln N span, smooth otherwise;
  ``power`` and ``linear`` -> smooth; ``constant`` -> none;
- the verdict is the best family's category ("sharp transition", "smooth", "no trend") when the
  best family of every *other* category is worse by ΔBIC >= 2, else "undetermined";
- a "sharp transition" whose N_c is not trustworthy (see ``transitions``) becomes "undetermined".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._result import JsonMixin

__all__ = ["ModelComparison", "compare", "category", "verdict_from", "WIDTH_10_90", "DELTA_BIC"]

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
    return ModelComparison(
        aic, bic, min(aic, key=aic.get), min(bic, key=bic.get), {f: v / tot for f, v in w.items()}
    )


def category(family: str, ln_w: float | None, ln_span: float) -> str:
    """``sharp``, ``smooth`` or ``none`` for a fitted family (module docstring)."""
    if family == "changepoint":
        return "sharp"
    if family == "logistic":
        return "sharp" if WIDTH_10_90 * np.exp(ln_w) < 0.5 * ln_span else "smooth"
    return "none" if family == "constant" else "smooth"


def verdict_from(
    cmp: ModelComparison, ln_w: float | None, ln_span: float, n_c_trustworthy: bool
) -> tuple[str, list[str]]:
    """The verdict and the evidence lines behind it."""
    cats = {f: category(f, ln_w, ln_span) for f in cmp.bic}
    best = cmp.best_bic
    rivals = {f: b for f, b in cmp.bic.items() if cats[f] != cats[best]}
    evidence = [f"best by BIC: {best} ({cats[best]})"]
    if ln_w is not None and "logistic" in cmp.bic:
        evidence.append(
            f"logistic 10-90% width = {WIDTH_10_90 * np.exp(ln_w) / np.log(10):.2f} decades of N "
            f"(grid spans {ln_span / np.log(10):.2f})"
        )
    if not rivals:
        return "undetermined", evidence + ["only one category fitted"]
    rival = min(rivals, key=rivals.get)
    gap = rivals[rival] - cmp.bic[best]
    evidence.append(f"ΔBIC to best {cats[rival]} alternative ({rival}) = {gap:.1f}")
    if gap < DELTA_BIC:
        return "undetermined", evidence + [f"ΔBIC < {DELTA_BIC:g}: the data do not separate the categories"]
    v = _LABEL[cats[best]]
    if v == "sharp transition" and not n_c_trustworthy:
        return "undetermined", evidence + ["preferred a sharp transition, but N_c is not trustworthy"]
    return v, evidence
