"""report.md's "## Self-correction" section: for a run with `revise` cells (the aha-behaviour preset),
how RL changes the use of `<wait>` per size, how often a revision fixes the step, the completion
length over RL, and the RL gain with revise on against off; one line per size says what happened.
The aha's onset per cell is in the Theory section (aha fit, aha/onset.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from theory.claims_behaviour import fix_use
from theory.text import DASH
from toymodels.results import ok_only, rl_gain

from .plots_behaviour import length_curves, revision_panels

__all__ = ["behaviour_frame", "behaviour_figure", "behaviour_section"]

_EVAL = ("wait_rate", "revise_fix_rate", "completion_len")
FIGURE = "self_correction.png"


def _cell_fields(spec: dict, coords: dict) -> dict:
    """The config fields of one cell from the grid spec (fixed, its variant, its axis values)."""
    return {
        **spec.get("fixed", {}),
        **spec.get("variants", {}).get(coords.get("variant"), {}),
        **{k: v for k, v in coords.items() if k != "variant"},
    }


def behaviour_frame(ds: xr.Dataset) -> pd.DataFrame:
    """One row per ok cell: task, revise, width, seed, n_params, gain and base_/rl_ of wait_rate,
    revise_fix_rate, completion_len (held-out prompts, in-distribution)."""
    spec = json.loads(ds.attrs.get("config", "{}"))
    d = ok_only(ds)
    vars_ = {
        f"{ph}_{v}": d[f"{ph}_{v}"].sel(split="id")
        for v in _EVAL
        for ph in ("base", "rl")
        if f"{ph}_{v}" in d and "split" in d[f"{ph}_{v}"].dims
    }
    vars_["gain"] = rl_gain(d).drop_vars(["k", "split"], errors="ignore")
    vars_["n_params"] = d["n_params"].broadcast_like(vars_["gain"])
    df = xr.Dataset(vars_).drop_vars(["k", "split"], errors="ignore").to_dataframe().reset_index()
    dims = [c for c in df.columns if c in d["status"].dims]
    fields = [_cell_fields(spec, dict(zip(dims, row, strict=True))) for row in df[dims].itertuples(index=False)]
    df["task"] = [f.get("task", "ModChain") for f in fields]
    df["revise"] = [bool(f.get("revise", False)) for f in fields]
    return df[np.isfinite(df["gain"])]


def _length_rows(ds: xr.Dataset):
    """(task, revise, n_params, updates, completion length over RL) of each cell of a run with variants."""
    name = next((v for v in ds.data_vars if "completion_len" in str(v) and "step" in ds[v].dims), None)
    if name is None or "variant" not in ds.dims:
        return
    spec, d = json.loads(ds.attrs.get("config", "{}")), ok_only(ds)
    for v in ds["variant"].values:
        f = _cell_fields(spec, {"variant": str(v)})
        c = d[name].sel(variant=v)
        cells = [x for x in c.dims if x != "step"]
        n = d["n_params"].broadcast_like(c.isel(step=0)).stack(_cell=cells).values.astype(float)
        c = c.stack(_cell=cells).transpose("_cell", "step")  # (cells, step)
        for i in range(c.sizes["_cell"]):
            yield f.get("task", "ModChain"), bool(f.get("revise", False)), n[i], ds["step"].values, c.values[i]


def _has_revise(ds: xr.Dataset) -> bool:
    return "base_wait_rate" in ds and "rl_pass_at_k" in ds and bool(behaviour_frame(ds)["revise"].any())


def behaviour_figure(ds: xr.Dataset, run_dir: Path) -> list[Path]:
    """The self-correction figure of a run with revise cells (none otherwise)."""
    if not _has_revise(ds):
        return []
    curves = length_curves(_length_rows(ds)) if "variant" in ds.dims else None
    return [revision_panels(behaviour_frame(ds), Path(run_dir) / "figures" / FIGURE, curves)]


def behaviour_section(ds: xr.Dataset) -> list[str]:
    """The section's lines (empty when the run has no cell with revise on)."""
    if not _has_revise(ds):
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
