"""How numbers read in the reports: the one set of formatters that the verdicts' measured results
(theory.claims, theory.hypotheses) and the renderers of report.md, study.md and the README blocks
(aha/) share, so that a wording fix (an interval, a sign, a missing value) has one place to go.

Missing values arrive as NaN or, read back from JSON, as None; both print as the formats below
print NaN ('nan', or the dash where a table cell is empty).
"""

from __future__ import annotations

import numpy as np

DASH = "–"
"""An empty table cell."""


def num(x) -> float:
    """``x`` as a float; None (a non-finite number in JSON) is NaN."""
    return float("nan") if x is None else float(x)


def g(x, digits: int = 3) -> str:
    """General format with ``digits`` significant digits: 6.98e+03, 0.431, nan."""
    return f"{num(x):.{digits}g}"


def signed(x, digits: int = 2, round_zero: bool = True) -> str:
    """A sign always and a true minus: +0.54, −0.03; with ``round_zero`` a value that rounds to
    zero prints '+0.00', not '−0.00'."""
    v = round(num(x), digits) + 0.0 if round_zero else num(x)
    return f"{v:+.{digits}f}".replace("-", "−")


def sci(x) -> str:
    """A parameter count in two digits: 888 -> 8.9e2, 50100 -> 5e4; below 1000 as 2 significant digits."""
    x = num(x)
    out = f"{x:.2g}" if x < 1e3 else f"{x:.1e}"
    return out.replace("e+0", "e").replace("e+", "e")


def mean_or_dash(values, digits: int = 2) -> str:
    """Mean of the finite values, or the dash when there are none."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return DASH if v.size == 0 else f"{v.mean():.{digits}f}"


def mean_sd(values, digits: int = 3) -> str:
    """'mean ± sd' (sd over the finite values, ddof 1; 0 for one value), or the dash."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return DASH
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1) if v.size > 1 else 0:.{digits}f}"


def mean_interval(mc) -> str:
    """A mean with its interval and count, from (mean, lo, hi, n): '+0.120 [+0.050, +0.190] (n=9)';
    '+0.120 (n=1)' without an interval; 'n/a (0 cells)' without values."""
    m, lo, hi, n = (num(mc[0]), num(mc[1]), num(mc[2]), mc[3])
    if not np.isfinite(m):
        return "n/a (0 cells)"
    if not np.isfinite(lo):
        return f"{m:+.3f} (n={n})"
    return f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}] (n={n})"


def listing(values) -> str:
    """Axis values as the reports list them: one value, 'first–last' for more than three, else a comma list."""
    v = list(values)
    return str(v[0]) if len(v) == 1 else f"{v[0]}–{v[-1]}" if len(v) > 3 else ", ".join(map(str, v))


def between(lo, hi, fmt=signed) -> str:
    """'between A and B' for two bounds as ``fmt`` prints them; 'at A' when both print the same (an
    interval that collapses to a point in print is said once, never 'between +0.00 and +0.00')."""
    a, b = fmt(lo), fmt(hi)
    return f"at {a}" if a == b else f"between {a} and {b}"


def interval_in_grid(lo, hi, n_min, n_max, fmt=g) -> str:
    """An interval of N clipped to the sizes measured ``[n_min, n_max]``, each clipped end marked:
    nothing is known outside the grid, so an end beyond it prints as '< smallest' / '> largest'
    and the note gives the end the fit reached: 'between 3.31e+03 and > 1.99e+05 (the interval
    runs to 3.61e+05, beyond the largest size measured)'. Missing bounds print as 'no interval'."""
    lo, hi, n_min, n_max = num(lo), num(hi), num(n_min), num(n_max)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no interval"
    below, above = lo < n_min, hi > n_max
    a = f"< {fmt(n_min)}" if below else fmt(lo)
    b = f"> {fmt(n_max)}" if above else fmt(hi)
    notes = ([f"from {fmt(lo)}, below the smallest size measured"] if below else []) + (
        [f"to {fmt(hi)}, beyond the largest size measured"] if above else []
    )
    body = f"at {a}" if a == b else f"between {a} and {b}"
    return body + (f" (the interval runs {' and '.join(notes)})" if notes else "")


def gap_closed(share) -> str:
    """The share of the base's gap to greedy accuracy that RL closed, read for its sign: 'gap to
    greedy closed 45%'; a negative share means RL pass@1 fell below the base's, 'gap to greedy
    widened by 51%' (never 'closed −51%')."""
    s = num(share)
    if not np.isfinite(s):
        return "gap to greedy: n/a"
    return f"gap to greedy closed {s:.0%}" if s >= 0 else f"gap to greedy widened by {-s:.0%} (RL pass@1 fell)"


def part_of(part, whole) -> str:
    """A part of a gain with its share, for the sign: '(61%)' when part and whole have one sign;
    '(against the gain)' when they do not, where a percentage would read as a negative share."""
    p, w = num(part), num(whole)
    if not (np.isfinite(p) and np.isfinite(w)) or w == 0:
        return ""
    return f" ({p / w:.0%})" if p * w >= 0 else " (against the gain)"


def threads(n: int) -> str:
    """A torch thread count in words: '1 torch thread', '2 torch threads'."""
    return f"{n} torch thread{'' if n == 1 else 's'}"


def in_machine_units(seconds, yardstick: dict | None) -> str:
    """A wall time in the units of the machine it came from, from env.json's "yardstick"
    (toymodels.yardstick): 'matmul 94 GFLOP/s on 1 thread, tiny cell 0.67 s: the run took 190 tiny
    cells'. Empty when the run recorded no yardstick, so older env.json files render as before."""
    if not yardstick:
        return ""
    clock = yardstick.get("clock", "wall")
    return (
        f"matmul {yardstick['matmul_gflops_1thread']:.0f} GFLOP/s on 1 thread, tiny cell "
        f"{yardstick['tiny_cell_s']:.2f} s{'' if clock == 'wall' else f' ({clock} clock)'}: "
        f"the run took {num(seconds) / yardstick['tiny_cell_s']:.0f} tiny cells"
    )


def each_or_both(a: str, b: str) -> str:
    """Two descriptions of two things: 'each with A' when they are the same, else 'with A and B'
    (never '2 torch threads and 2 torch threads')."""
    return f"each with {a}" if a == b else f"with {a} and {b}"


CATEGORY = {"sharp": "sharp transition", "smooth": "smooth", "none": "no trend"}
"""A fitted family's category (theory.selection.category) as the verdict words name it."""
DECIDED = frozenset(CATEGORY.values())
"""The transition verdicts that a fit decides (the rest is 'undetermined')."""


def best_by_bic(family: str, category: str, verdict: str) -> str:
    """The BIC-best family as the verdict reads it: 'best by BIC: linear (smooth)' when the verdict
    is that family's category; otherwise 'lowest BIC: linear (smooth), not decisive: verdict
    undetermined', so a report never names a best fit beside a verdict that did not take it."""
    label = CATEGORY.get(category, category)
    if verdict == label:
        return f"best by BIC: {family} ({label})"
    return f"lowest BIC: {family} ({label}), not decisive: verdict {verdict}"


def rival(category: str, family: str, gap) -> str:
    """The ΔBIC to the best fit of another category: 'ΔBIC to the best no-trend alternative
    (constant) = 3.2'."""
    return f"ΔBIC to the best {CATEGORY.get(category, category)} alternative ({family}) = {num(gap):.1f}"


def fit_legend(family: str, verdict: str) -> str:
    """The legend of a transition figure's BIC-best curve, from the same verdict as its title."""
    return f"{family}: lowest BIC" + ("" if verdict in DECIDED else ", not decisive")


def fit_title(what: str, verdict: str, trustworthy: bool) -> str:
    """The title of a transition figure: what is plotted and the verdict word (never a 'best fit'
    that the verdict did not choose)."""
    return f"{what} against size: verdict {verdict}" + ("" if trustworthy else "\n(N_c not trustworthy)")


def nc_name(verdict: str) -> str:
    """N_c as a line beside ``verdict`` names it: 'N_c' for a sharp transition, otherwise
    'logistic N_c' (where the logistic fit puts its midpoint; the verdict located no transition)."""
    return "N_c" if verdict == "sharp transition" else "logistic N_c"


def logistic_only(note: str, verdict: str) -> str:
    """A note about the logistic fit (its width, its N_c) beside a verdict that is not a sharp
    transition, marked as the logistic's: 'logistic fit only (verdict smooth): ...'."""
    return note if verdict == "sharp transition" else f"logistic fit only (verdict {verdict}): {note}"


SQRT2_STEP_NOTE = "a √2 step multiplies the width by √2 and N (∝ width²) by about 2"
"""What a '√2 step' is, for every line that counts N_c's interval or error in them."""


def within_steps(span, limit: float, tol: float) -> str:
    """A span in √2 steps (``SQRT2_STEP_NOTE`` says what one is; study.md prints it once beside
    the lines that use it) compared with its limit, the comparison that holds said: '1.08 √2 steps,
    within 1 step (+0.15 tolerance: even widths lie off the √2 ladder)'; never '1.08 (<= 1)'."""
    s = num(span)
    word = "within" if s <= limit + tol else "more than"
    unit = "step" if limit == 1 else "steps"
    return f"{s:.2f} √2 steps, {word} {limit:g} {unit} (+{tol:g} tolerance: even widths lie off the √2 ladder)"


def power_text(p: dict | None) -> str:
    """A verdict's power (theory.power.power_row) in words: 'n small 13, large 11; detectable
    difference of mean gains 0.31 (the claim is about 0.1)'; the dash without one."""
    if not p:
        return DASH
    arms = ", ".join(f"{k} {v}" for k, v in p["arms"].items())
    if not p.get("about"):
        return f"n {arms}"
    mde = num(p.get("mde"))
    det = "n/a (too few cells)" if not np.isfinite(mde) else f"{mde:.2g}"
    out = f"n {arms}; detectable {p['about']} {det} (claim: {num(p['effect']):.2g})"
    return out + (f"; needs n ≈ {p['needs_n']} per arm" if p.get("needs_n") else "")


def bracket(lo, hi, fmt=g) -> str:
    """An interval as '[lo, hi]' with each end as ``fmt`` prints it; an infinite end prints as ∞."""

    def end(x) -> str:
        x = num(x)
        return ("∞" if x > 0 else "−∞") if np.isinf(x) else fmt(x)

    return f"[{end(lo)}, {end(hi)}]"


def decides(what: str, value: str, against: str = "", n=None) -> str:
    """The one number a claim's verdict rests on (Verdict.decisive), as study.md and the README print
    it: what it is, its value (with its interval where it has one), what the rule compared it with,
    and n: '10-90% width 0.07 [0.02, 1.69] decades vs 0.5 boundary, n=24'."""
    return f"{what} {value}" + (f" vs {against}" if against else "") + ("" if n is None else f", n={n}")


NOT_RECORDED = "(not recorded; rerun `aha study`)"
"""A claim's deciding number where verdicts.json comes from a study run before it was recorded."""
