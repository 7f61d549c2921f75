"""Adaptive threshold refinement: where to add widths and seeds after a coarse width sweep.

A width *gains* when its mean RL gain over seeds is at least ``threshold`` (0.1 by default, the
same line as the predictors' "gain >= 0.1"). The *bracket* is (largest non-gaining width,
smallest gaining width), ordered; when the curve is not monotone the two can swap, and the bracket
then covers the whole region where gaining and non-gaining widths interleave.

One round proposes the geometric midpoint of the bracket (bisection in log N: with N ∝ width^a
the midpoint in log width is the midpoint in log N), rounded to an even width (rotary positions),
and raises every width in or at the bracket to ``min_seeds`` seeds. Refinement stops when the
N_c interval (the fit's, converted to width, or else the bracket) spans at most one √2 step of
width (a factor 2 in N for N ∝ width²), when no even width is left inside the bracket and the
seeds are complete, when there is no bracket, or when the budget (rounds) ends; ``stop`` says which.

    r = propose_refinement({8: [0.0, 0.01], 16: [0.02], 32: [0.4], 64: [0.5]})
    r.new_widths  # [22]   r.more_seeds  # {16: [1, 2, 3, 4], 32: [1, 2, 3, 4]}   r.stop  # ''
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._result import JsonMixin
from .text import within_steps

__all__ = [
    "SQRT2_STEP",
    "STEP_TOL",
    "Refinement",
    "gain_bracket",
    "bimodal_widths",
    "steps",
    "propose_refinement",
    "STOPS",
]

SQRT2_STEP = float(np.log(np.sqrt(2.0)))
"""One √2 step of width in ln(width)."""
STEP_TOL = 0.15
"""Tolerance in steps: even widths are off the exact √2 ladder (22 -> 32 is 1.08 steps)."""
STOPS = ("", "resolved", "grid resolution", "no bracket", "budget")
"""'' (go on), N_c interval within one √2 step, no even width left inside a bracket that has all
its seeds, nothing to bracket (every width or no width gains), or the rounds are spent."""


def steps(lo: float, hi: float) -> float:
    """Number of √2 steps of width between lo and hi."""
    return float(abs(np.log(hi) - np.log(lo)) / SQRT2_STEP)


def gain_bracket(gains: dict[int, list[float]], threshold: float = 0.1) -> tuple[int, int] | None:
    """(lower, upper) width around the rise of the mean gain through ``threshold``; None when every
    width gains or none does. NaN gains (failed cells) are ignored; a width with none is skipped."""
    mean = {w: float(np.nanmean(g)) for w, g in gains.items() if np.isfinite(np.asarray(g, float)).any()}
    gaining = [w for w, m in mean.items() if m >= threshold]
    not_gaining = [w for w, m in mean.items() if m < threshold]
    if not gaining or not not_gaining:
        return None
    a, b = max(not_gaining), min(gaining)
    return (min(a, b), max(a, b))


@dataclass
class Refinement(JsonMixin):
    """One round's proposal, or why refinement stops."""

    bracket: tuple[int, int] | None
    """(largest non-gaining, smallest gaining) width, ordered; None when nothing is bracketed."""
    interval_steps: float
    """Width of the N_c interval judged, in √2 steps (NaN without a bracket or interval)."""
    new_widths: list[int]
    """Widths to add, each with seeds 0 .. min_seeds - 1."""
    more_seeds: dict[int, list[int]]
    """Existing widths in or at the bracket -> the seeds to add there."""
    stop: str
    """One of STOPS; '' when this round should run."""
    reason: str
    notes: list[str] = field(default_factory=list)


def bimodal_widths(gains: dict[int, list[float]], threshold: float = 0.1) -> list[int]:
    """Widths whose seeds came out both ways: at least one gain >= ``threshold`` (a take-off) and at
    least one below it. There a mean over seeds is a coin flip's, and only more seeds tell P(take-off)."""
    out = []
    for w, g in gains.items():
        a = np.asarray(g, float)
        a = a[np.isfinite(a)]
        if (a >= threshold).any() and (a < threshold).any():
            out.append(int(w))
    return sorted(out)


def _even(x: float) -> int:
    return int(2 * round(x / 2))


def propose_refinement(
    gains: dict[int, list[float]],
    threshold: float = 0.1,
    interval: tuple[float, float] | None = None,
    min_seeds: int = 5,
    rounds_left: int = 1,
    takeoff_verdict: str | None = None,
    takeoff_seeds: int | None = None,
) -> Refinement:
    """The next round for one width sweep (module docstring).

    ``gains``: width -> the gains of the seeds run there (seed i at position i; NaN for a failed
    seed). ``interval``: the fit's N_c interval in width units, when there is one; it decides
    whether N_c is resolved (else the bracket does). ``takeoff_verdict``: theory.takeoff's verdict on
    the same cells; a narrow bracket is not "resolved" while it says "not determined" (the bracket of
    mean gains can be narrow while P(take-off) is still a coin flip): seeds are added instead, and
    when none can be, refinement stops with "grid resolution", never "resolved". ``takeoff_seeds``:
    widths whose seeds came out both ways (``bimodal_widths``) get seeds up to this many (>= 12 near
    the take-off), in the same round as the bracket's."""
    if min_seeds < 1:
        raise ValueError(f"min_seeds must be >= 1, got {min_seeds}")
    br = gain_bracket(gains, threshold)
    if br is None:
        mean = [float(np.nanmean(g)) for g in gains.values() if np.isfinite(np.asarray(g, float)).any()]
        what = "every width gains" if mean and min(mean) >= threshold else "no width gains"
        return Refinement(
            None,
            float("nan"),
            [],
            {},
            "no bracket",
            f"{what} >= {threshold:g}: there is no rise inside the grid to refine",
        )
    lo, hi = br
    notes = []
    mean = {w: float(np.nanmean(g)) for w, g in gains.items() if np.isfinite(np.asarray(g, float)).any()}
    if any(m < threshold and w > lo for w, m in mean.items() if w >= hi) or any(
        m >= threshold and w < hi for w, m in mean.items() if w <= lo
    ):
        notes.append(f"gain is not monotone in width: gaining and non-gaining widths interleave in {lo}-{hi}")
    use = interval if interval is not None and all(np.isfinite(interval)) and interval[1] > interval[0] else br
    span = steps(*use)
    undetermined = takeoff_verdict is not None and takeoff_verdict.startswith("not determined")
    if undetermined:
        notes.append(f"the take-off fit says {takeoff_verdict}")
    if span <= 1 + STEP_TOL and not undetermined:
        src = "the fit's N_c interval" if use is interval else "the bracket"
        return Refinement(
            br,
            span,
            [],
            {},
            "resolved",
            f"{src} ({use[0]:.3g}-{use[1]:.3g}) spans {within_steps(span, 1, STEP_TOL)}",
            notes,
        )
    mid = _even(np.sqrt(lo * hi))
    new = [mid] if lo < mid < hi and mid not in gains and span > 1 + STEP_TOL else []
    target = {w: min_seeds for w in gains if lo <= w <= hi}
    for w in bimodal_widths(gains, threshold) if takeoff_seeds else []:
        target[w] = max(target.get(w, 0), takeoff_seeds)
    more = {w: list(range(len(gains[w]), t)) for w, t in sorted(target.items()) if len(gains[w]) < t}
    if not new and not more:
        return Refinement(
            br,
            span,
            [],
            {},
            "grid resolution",
            f"no even width left between {lo} and {hi} and every width there has "
            f">= {min_seeds} seeds, yet the interval spans {within_steps(span, 1, STEP_TOL)}"
            + (" and the take-off fit is not determined" if undetermined else ""),
            notes,
        )
    if rounds_left < 1:
        return Refinement(
            br,
            span,
            new,
            more,
            "budget",
            f"the study's budget ended with the N_c interval at {span:.2f} √2 steps (bracket {lo}-{hi})",
            notes,
        )
    return Refinement(
        br,
        span,
        new,
        more,
        "",
        f"bracket {lo}-{hi} spans {within_steps(span, 1, STEP_TOL)}: add width(s) {new} and seeds "
        + ", ".join(f"{w}: up to {target[w]}" for w in sorted(more)),
        notes,
    )
