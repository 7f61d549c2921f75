"""report.md's "## Self-correction" section: for a run with `revise` cells (the aha-behaviour preset),
how RL changes the use of `<wait>` per size, how often a revision fixes the step, the completion
length over RL, and the RL gain with revise on against off; one line per size says what happened.
The aha's onset per cell is in the Theory section (aha fit, aha/fit_onset.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .plots import ok_only
from .plots_behaviour import revision_panels

__all__ = ["behaviour_frame", "behaviour_section", "fix_use"]

_EVAL = ("wait_rate", "revise_fix_rate", "completion_len")


def fix_use(df: pd.DataFrame, ph: str) -> pd.Series:
    """Rate of fixing revisions of phase ``ph`` (base / rl): wait_rate x revise_fix_rate, 0 without revisions."""
    return df[f"{ph}_wait_rate"] * df[f"{ph}_revise_fix_rate"].fillna(0.0)


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
    vars_["gain"] = (d.rl_pass_at_k - d.base_pass_at_k).sel(k=1, split="id")
    vars_["n_params"] = d["n_params"].broadcast_like(vars_["gain"])
    df = xr.Dataset(vars_).drop_vars(["k", "split"], errors="ignore").to_dataframe().reset_index()
    dims = [c for c in df.columns if c in d["status"].dims]
    fields = [_cell_fields(spec, dict(zip(dims, row, strict=True))) for row in df[dims].itertuples(index=False)]
    df["task"] = [f.get("task", "ModChain") for f in fields]
    df["revise"] = [bool(f.get("revise", False)) for f in fields]
    return df[np.isfinite(df["gain"])]


def _length_curves(ds: xr.Dataset, df: pd.DataFrame) -> dict | None:
    """{(task, revise): (sizes, updates, mean completion length per size)} from a length curve over RL."""
    name = next((v for v in ds.data_vars if "completion_len" in str(v) and "step" in ds[v].dims), None)
    if name is None or "variant" not in ds.dims:
        return None
    spec = json.loads(ds.attrs.get("config", "{}"))
    out = {}
    d = ok_only(ds)
    for v in ds["variant"].values:
        f = _cell_fields(spec, {"variant": str(v)})
        c = d[name].sel(variant=v)
        c = c.mean([x for x in c.dims if x not in ("width", "step")])  # (width, step)
        out[(f.get("task", "ModChain"), bool(f.get("revise", False)))] = (
            d["n_params"].broadcast_like(c.isel(step=0)).values.astype(float),
            ds["step"].values,
            c.values,
        )
    return out


def behaviour_section(ds: xr.Dataset, run_dir: Path) -> list[str]:
    """The section's lines (empty when the run has no cell with revise on)."""
    if "base_wait_rate" not in ds or "rl_pass_at_k" not in ds:
        return []
    df = behaviour_frame(ds)
    if not df["revise"].any():
        return []
    fig = revision_panels(df, Path(run_dir) / "figures" / "self_correction.png", _length_curves(ds, df))
    lines = [
        "## Self-correction",
        "",
        "With `revise`, `<wait>` discards the step written before it and the next token rewrites it; the "
        "verifier judges the collapsed trace. Wait rate = share of sampled completions with a `<wait>`; fix rate "
        "= share of revisions whose discarded step was wrong and whose rewrite is right; fixing revisions = "
        "wait rate × fix rate. Means over ok seeds, held-out prompts; gain = RL pass@1 − base pass@1.",
        "",
        f"![Self-correction against size](figures/{fig.name})",
        "",
        "| task | width | N | wait rate base → RL | fix rate base → RL | fixing revisions base → RL | "
        "completion length base → RL | gain, revise on | gain, revise off |",
        "|---" * 9 + "|",
    ]
    m = lambda s: "–" if not np.isfinite(s).any() else f"{np.nanmean(s):.3f}"  # noqa: E731
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
