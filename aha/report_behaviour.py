"""report.md's "## Self-correction" section: for a run with `revise` cells (the aha-behaviour preset),
how RL changes the use of `<wait>` per size, how often a revision fixes the step, the completion
length over RL, and the RL gain with revise on against off; one line per size says what happened.
The cells' numbers are toymodels.behaviour's; the aha's onset per cell is in the Theory section (aha fit,
toymodels/onset.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from theory.claims_behaviour import fix_use
from theory.text import DASH
from toymodels.behaviour import behaviour_frame, has_revise, length_curves, length_rows

from .plots_behaviour import revision_panels

__all__ = ["behaviour_frame", "behaviour_figure", "behaviour_section"]

FIGURE = "self_correction.png"


def behaviour_figure(ds: xr.Dataset, run_dir: Path) -> list[Path]:
    """The self-correction figure of a run with revise cells (none otherwise)."""
    if not has_revise(ds):
        return []
    curves = length_curves(length_rows(ds)) if "variant" in ds.dims else None
    return [revision_panels(behaviour_frame(ds), Path(run_dir) / "figures" / FIGURE, curves)]


def behaviour_section(ds: xr.Dataset) -> list[str]:
    """The section's lines (empty when the run has no cell with revise on)."""
    if not has_revise(ds):
        return []
    df = behaviour_frame(ds)
    lines = [
        "## Self-correction",
        "",
        "With `revise`, `<wait>` discards the step written before it and the next token rewrites it; the "
        "verifier judges the collapsed trace. Wait rate = share of sampled completions with a `<wait>`; fix rate "
        "= share of revisions whose discarded step was wrong and whose rewrite is right; fixing revisions = "
        "wait rate × fix rate. Means over ok seeds, held-out prompts; gain = RL pass@1 − base pass@1.",
        "",
        f"![Self-correction against size](figures/{FIGURE})",
        "",
        "| task | width | N | wait rate base → RL | fix rate base → RL | fixing revisions base → RL | "
        "completion length base → RL | gain, revise on | gain, revise off |",
        "|---" * 9 + "|",
    ]
    m = lambda s: DASH if not np.isfinite(s).any() else f"{np.nanmean(s):.3f}"  # noqa: E731
    notes = []
    for (task, w), g in df.groupby(["task", "width"]):
        on, off = g[g.revise], g[~g.revise]
        if on.empty:
            continue
        lines.append(
            f"| {task} | {w} | {int(on.n_params.iloc[0]):,} | {m(on.base_wait_rate)} → {m(on.rl_wait_rate)} | "
            f"{m(on.base_revise_fix_rate)} → {m(on.rl_revise_fix_rate)} | {m(fix_use(on, 'base'))} → "
            f"{m(fix_use(on, 'rl'))} | {m(on.base_completion_len)} → {m(on.rl_completion_len)} | {m(on.gain)} | "
            f"{m(off.gain)} |"
        )
        dw = float(np.nanmean(on.rl_wait_rate - on.base_wait_rate))
        word = "raised" if dw > 0.02 else "lowered" if dw < -0.02 else "left about unchanged"
        notes.append(
            f"- {task}, width {w}: RL {word} the use of `<wait>` ({dw:+.3f}); gain {m(on.gain)} with revise, "
            f"{m(off.gain)} without."
        )
    return lines + [
        "",
        "What happened at each size (a change of the wait rate within ±0.02 counts as unchanged):",
        "",
        *notes,
        "",
    ]
