"""Sharpening and collapse: what an RL gain in pass@1 is made of, measured against the base model's
greedy accuracy, and the cells where RL made the model worse.

- **Sharpening**: RL moving sampled pass@1 towards what greedy decoding of the base model already
  gets right. Per cell, the gain g = RL pass@1 − base pass@1 splits into
  ``beyond_greedy`` = max(RL pass@1 − max(base greedy accuracy, base pass@1), 0), the part above
  anything the base model already produced greedily, and ``sharpening`` = g − beyond_greedy.
  ``gap_closed`` = (RL pass@1 − base pass@1) / (base greedy − base pass@1), where that gap is > 0.
- **Collapse**: RL pass@1 below base pass@1 by more than the evaluation's noise. Each pass@1 is
  estimated from ``n_samples`` = n_eval_prompts × k_max samples; with binomial standard errors
  se = sqrt(p (1 − p) / n_samples), a cell collapsed when
  base − RL > ``Z_COLLAPSE`` · sqrt(se_base² + se_RL²). Samples of one prompt are correlated, so
  the true noise is larger than this binomial one when prompts differ in difficulty: the rule
  errs towards calling a drop a collapse (a count of collapses is an upper bound in that sense).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ._result import JsonMixin

__all__ = [
    "Z_COLLAPSE",
    "collapsed",
    "Collapses",
    "count_collapses",
    "sharpening",
    "SharpeningSummary",
    "summarize_sharpening",
]

Z_COLLAPSE = 2.0
"""Standard errors of the difference by which RL pass@1 must fall below base pass@1."""


def collapsed(base_p1, rl_p1, n_samples, z: float = Z_COLLAPSE):
    """True where RL pass@1 fell below base pass@1 by more than ``z`` binomial standard errors of
    the difference (module docstring); NaN inputs give False. Broadcasts (numpy or xarray)."""
    se2 = lambda p: np.clip(p, 0, 1) * (1 - np.clip(p, 0, 1)) / n_samples  # noqa: E731
    # a floor of one success in n_samples keeps a drop from exactly 0 or 1 from looking noiseless
    floor = 1.0 / np.asarray(n_samples, dtype=float) ** 2
    noise = np.sqrt(np.maximum(se2(base_p1) + se2(rl_p1), floor))
    out = (base_p1 - rl_p1) > z * noise
    return out.fillna(False) if isinstance(out, xr.DataArray) else np.asarray(out) & np.isfinite(base_p1 - rl_p1)


@dataclass
class Collapses(JsonMixin):
    """The cells (seeds) where RL made pass@1 worse by more than the evaluation's noise."""

    n: int
    """Number of collapsed cells."""
    n_cells: int
    """Cells with both pass@1 values (status ok)."""
    cells: list[dict]
    """Each collapsed cell: its grid coordinates, base and RL pass@1, and the drop."""
    rule: str
    n_samples: list[float] = field(default_factory=list)
    """Samples behind each pass@1 (n_eval_prompts × k_max), as used by the rule."""


def count_collapses(base_p1: xr.DataArray, rl_p1: xr.DataArray, n_samples, z: float = Z_COLLAPSE) -> Collapses:
    """``collapsed`` over every cell of two aligned DataArrays (dims e.g. width, depth, seed)."""
    base_p1, rl_p1 = xr.broadcast(base_p1, rl_p1)
    flag = collapsed(base_p1, rl_p1, n_samples, z)
    both = base_p1.notnull() & rl_p1.notnull()
    stacked = xr.Dataset({"b": base_p1, "r": rl_p1, "f": flag}).stack(_cell=list(base_p1.dims))
    cells = []
    for i in np.flatnonzero(stacked["f"].values):
        c = stacked.isel(_cell=i)
        coords = {d: _plain(c[d].values) for d in base_p1.dims}
        b, r = float(c["b"]), float(c["r"])
        cells.append({**coords, "base_pass1": b, "rl_pass1": r, "drop": b - r})
    ns = np.unique(np.asarray(n_samples, dtype=float)).tolist()
    rule = (
        f"RL pass@1 below base pass@1 by > {z:g} binomial standard errors of the difference, "
        f"from n_eval_prompts × k_max = {', '.join(f'{v:g}' for v in ns)} samples per pass@1"
    )
    return Collapses(len(cells), int(both.sum()), cells, rule, ns)


def sharpening(base_p1, rl_p1, base_greedy) -> tuple:
    """(sharpening, beyond_greedy) parts of the gain RL pass@1 − base pass@1 (module docstring)."""
    gain = rl_p1 - base_p1
    beyond = np.maximum(rl_p1 - np.maximum(base_greedy, base_p1), 0.0)
    return gain - beyond, beyond


@dataclass
class SharpeningSummary(JsonMixin):
    """Means over ok cells of the gain, its sharpening and beyond-greedy parts, overall and per size."""

    mean_gain: float
    mean_sharpening: float
    """Mean of the part of the gain that stays within base greedy accuracy."""
    mean_beyond_greedy: float
    """Mean of the part of RL pass@1 above both base greedy accuracy and base pass@1."""
    frac_gain_sharpening: float
    """mean_sharpening / mean_gain (NaN when the mean gain is not positive)."""
    per_size: list[dict]
    """Per n_params: base pass@1, base greedy accuracy, RL pass@1, gain, sharpening, beyond, gap_closed."""


def summarize_sharpening(base_p1: xr.DataArray, rl_p1: xr.DataArray, base_greedy: xr.DataArray) -> SharpeningSummary:
    """Summary over cells with all three values; ``n_params`` must be a coordinate."""
    base_p1, rl_p1, base_greedy = xr.broadcast(base_p1, rl_p1, base_greedy)
    ok = base_p1.notnull() & rl_p1.notnull() & base_greedy.notnull()
    sh, bg = sharpening(base_p1, rl_p1, base_greedy)
    v = lambda da: da.values[ok.values].astype(float)  # noqa: E731  (ok cells, flattened)
    gain = v(rl_p1 - base_p1)
    n = v(base_p1["n_params"].broadcast_like(base_p1))
    rows = []
    for size in np.unique(n):
        m = n == size
        b, g, r = v(base_p1)[m].mean(), v(base_greedy)[m].mean(), v(rl_p1)[m].mean()
        rows.append(
            {
                "n_params": float(size),
                "base_pass1": b,
                "base_greedy_acc": g,
                "rl_pass1": r,
                "gain": r - b,
                "sharpening": v(sh)[m].mean(),
                "beyond_greedy": v(bg)[m].mean(),
                "gap_closed": (r - b) / (g - b) if g - b > 1e-9 else float("nan"),
            }
        )
    mg = float(gain.mean()) if gain.size else float("nan")
    ms = float(v(sh).mean()) if gain.size else float("nan")
    return SharpeningSummary(
        mg, ms, float(v(bg).mean()) if gain.size else float("nan"), ms / mg if mg > 0 else float("nan"), rows
    )


def _plain(v):
    v = v.item() if hasattr(v, "item") else v
    return v.decode() if isinstance(v, bytes) else v
