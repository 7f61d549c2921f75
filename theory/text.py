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
    return f"{x:.2g}" if x < 1e3 else f"{x:.1e}".replace("e+0", "e").replace("e+", "e")


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
