"""C7's inputs: which cells are evidence about a model (their RL health), whether a design signal
acted at all, and each signal's benefit (with − without, paired by width and seed).

A design signal is compared on one shared base, RL with it against RL without it. Two things make
a cell no evidence about the model (issue 22): its RL saw no signal (``no-signal``: no informative
group at the start of RL) or it broke a capable base (``broke-capable``: a recipe bug until shown
otherwise). Grids recorded since issue 22 carry ``rl_health`` per cell; older ones do not, and
there the proxy is the informative-group fraction at the first RL update (``phi_start`` = 0 reads
no-signal; broke-capable cannot be told and is not guessed). A signal *acted* when at least half
of its cells are healthy and RL moved at least one of them (a gain that is not exactly 0); one that
did not act decides nothing and is reported beside the verdict with its counts.

Think-first is the benefit of asking for the trace: plain − no-think (the no-think setting is the
arm without it), so its sign is flipped and it is named ``think-first``. Both arms must share one
base (``base_shift``: the same final pretraining loss, or where a table lacks it the same base pass@1,
at every width and seed); a no-think arm pretrained
without chain of thought is another base, not an RL signal, and is excluded with that reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .study_stats import by_class

__all__ = ["EXCLUDED", "health", "acted", "base_shift", "benefits"]

EXCLUDED = ("no-signal", "broke-capable")
"""RL-health labels whose cells are never evidence about a model."""
FLIPPED = {"no-think": "think-first"}
"""Settings that are the arm *without* a signal: benefit = plain − setting, under the signal's name."""


def health(cells: pd.DataFrame) -> pd.Series:
    """Per cell: its ``rl_health`` when the grid recorded one, else 'no-signal' where φ at the first
    RL update is 0 and 'ok' otherwise (NaN φ: 'n/a')."""
    if "rl_health" in cells and cells["rl_health"].notna().any():
        return cells["rl_health"].fillna("n/a").astype(str)
    phi = cells["phi_start"] if "phi_start" in cells else pd.Series(np.nan, index=cells.index)
    return pd.Series(np.where(phi.isna(), "n/a", np.where(phi == 0, "no-signal", "ok")), index=cells.index)


def acted(sub: pd.DataFrame) -> tuple[bool, str]:
    """(acted, counts in words) for one signal's ok cells (module docstring)."""
    h = health(sub)
    bad = h.isin(EXCLUDED)
    counts = ", ".join(f"{k} {v}" for k, v in h.value_counts().sort_index().items())
    moved = bool(np.any(sub.loc[~bad, "gain"].fillna(0) != 0))
    ok = len(sub) > 0 and bad.sum() * 2 <= len(sub) and moved
    why = (
        ""
        if ok
        else (
            "no cells"
            if not len(sub)
            else "mostly no signal or broke a capable base"
            if bad.sum() * 2 > len(sub)
            else "RL moved no cell"
        )
    )
    return ok, f"{counts} of {len(sub)} cells" + (f": did not act ({why})" if why else "")


BASE_TOL = 1e-9
"""Two arms share one base when their base pass@1 agree to this at every common width and seed."""


def _base_id(arm: pd.DataFrame, plain: pd.DataFrame) -> str | None:
    """The column that identifies a base: its final pretraining loss when both tables record it (one
    pretraining gives one loss, whatever the arm asks at evaluation: a think-first pair on a corpus
    with the flag evaluates each arm in its own format), else base pass@1 (same prompts, same base)."""
    for col in ("pretrain_loss", "base_p1"):
        if col in arm and col in plain and arm[col].notna().any() and plain[col].notna().any():
            return col
    return None


def base_shift(arm: pd.DataFrame, plain: pd.DataFrame) -> float:
    """Largest difference of the base between the arm and plain over common (width, seed) (`_base_id`):
    0 on one shared base; NaN without common cells."""
    col = _base_id(arm, plain)
    if col is None:
        return 0.0
    a = arm.set_index(["width", "seed"])[col]
    b = plain.set_index(["width", "seed"])[col]
    d = (a - b.reindex(a.index)).abs().dropna()
    return float(d.max()) if len(d) else float("nan")


def benefits(cells: pd.DataFrame, ref_key: str, recipe: dict, classes: dict[int, str]):
    """({signal: {'small': [...], 'large': [...]}} of paired benefits over healthy pairs of signals
    that acted, {signal: why excluded}, {signal: health counts in words})."""
    ok = cells[cells.status == "ok"]
    good = ok[~health(ok).isin(EXCLUDED)]
    plain = good[good.key == ref_key].set_index(["width", "seed"])["gain"]
    out, excluded, counts = {}, {}, {}
    for name, setting in recipe.items():
        sub = ok[ok.setting == setting]
        label = FLIPPED.get(name, name)
        does, words = acted(sub)
        counts[label] = words
        ref_ok = ok[ok.key == ref_key]
        off = base_shift(sub, ref_ok)
        if does and off > BASE_TOL:
            what = "final pretraining loss" if _base_id(sub, ref_ok) == "pretrain_loss" else "base pass@1"
            does, words = False, f"{words}: not on plain's base ({what} differs by up to {off:.3g})"
        if not does:
            excluded[label] = words
            continue
        arm = good[good.setting == setting].set_index(["width", "seed"])["gain"]
        d = (arm - plain.reindex(arm.index)).dropna()
        if name in FLIPPED:
            d = -d
        out[label] = by_class(d.rename("diff").reset_index(), classes)
    return out, excluded, counts
