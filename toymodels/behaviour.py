"""The self-correction cells of a run with `revise` cells (the aha-behaviour preset), as tables:
one row per ok cell with its `<wait>` use, revision fix rate and completion length before and after
RL and its RL gain, and each cell's completion length over RL (with its mean per task, revise and
size). aha/report_behaviour.py renders them (report.md's Self-correction section and its figure).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from .results import ok_only, rl_gain

__all__ = ["EVAL", "behaviour_frame", "cell_fields", "has_revise", "length_curves", "length_rows"]

EVAL = ("wait_rate", "revise_fix_rate", "completion_len")
"""The evaluated behaviour variables, each as base_<name> and rl_<name>."""


def cell_fields(spec: dict, coords: dict) -> dict:
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
        for v in EVAL
        for ph in ("base", "rl")
        if f"{ph}_{v}" in d and "split" in d[f"{ph}_{v}"].dims
    }
    vars_["gain"] = rl_gain(d).drop_vars(["k", "split"], errors="ignore")
    vars_["n_params"] = d["n_params"].broadcast_like(vars_["gain"])
    df = xr.Dataset(vars_).drop_vars(["k", "split"], errors="ignore").to_dataframe().reset_index()
    dims = [c for c in df.columns if c in d["status"].dims]
    fields = [cell_fields(spec, dict(zip(dims, row, strict=True))) for row in df[dims].itertuples(index=False)]
    df["task"] = [f.get("task", "ModChain") for f in fields]
    df["revise"] = [bool(f.get("revise", False)) for f in fields]
    return df[np.isfinite(df["gain"])]


def length_rows(ds: xr.Dataset):
    """(task, revise, n_params, updates, completion length over RL) of each cell of a run with variants."""
    name = next((v for v in ds.data_vars if "completion_len" in str(v) and "step" in ds[v].dims), None)
    if name is None or "variant" not in ds.dims:
        return
    spec, d = json.loads(ds.attrs.get("config", "{}")), ok_only(ds)
    for v in ds["variant"].values:
        f = cell_fields(spec, {"variant": str(v)})
        c = d[name].sel(variant=v)
        cells = [x for x in c.dims if x != "step"]
        n = d["n_params"].broadcast_like(c.isel(step=0)).stack(_cell=cells).values.astype(float)
        c = c.stack(_cell=cells).transpose("_cell", "step")  # (cells, step)
        for i in range(c.sizes["_cell"]):
            yield f.get("task", "ModChain"), bool(f.get("revise", False)), n[i], ds["step"].values, c.values[i]


def has_revise(ds: xr.Dataset) -> bool:
    """Whether the run has an ok cell with revise on (and the behaviour and RL variables the section reads)."""
    return "base_wait_rate" in ds and "rl_pass_at_k" in ds and bool(behaviour_frame(ds)["revise"].any())


def length_curves(rows) -> dict | None:
    """{(task, revise): (sizes, updates, mean completion length over RL per size)} from rows of
    (task, revise, n_params, updates, length curve), one per cell (NaN for cells not ok); None without rows."""
    by: dict = {}
    for task, revise, n, steps, y in rows:
        by.setdefault((task, bool(revise)), {}).setdefault(float(n), []).append((steps, y))
    out = {}
    for key, sizes in by.items():
        ns = sorted(sizes)
        out[key] = (ns, sizes[ns[-1]][0][0], [np.nanmean([y for _, y in sizes[n]], axis=0) for n in ns])
    return out or None
