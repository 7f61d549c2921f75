"""Base capability per task, budget and width (issue 22 item 4), from a base-only grid: the numbers
of docs/capability.md, analysed once into capability.json (aha/capability.py renders the page).

Per task, budget (pretrain_tokens_per_param: 0 is the fixed budget) and width, means over ok seeds
of: base trace coverage (trace pass@k_max: every step and the answer right in at least one of k_max
samples), base pass@1, greedy accuracy and per-step probability, with the chance level. Coverage
*spans the range* when it is <= SPAN_LOW at the smallest width and >= SPAN_HIGH at the largest; it
*falls with width* when it drops by more than FALL between neighbouring widths.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

__all__ = ["FALL", "METRICS", "SPAN_HIGH", "SPAN_LOW", "analyse"]

SPAN_LOW, SPAN_HIGH, FALL = 0.05, 0.5, 0.05
METRICS = {
    "coverage": ("base_trace_pass_at_k", "kmax"),
    "pass@1": ("base_pass_at_k", 1),
    "greedy": ("base_greedy_acc", None),
    "step_prob": ("base_step_prob", None),
}
"""Each table column: (grid variable, its k: an int, "kmax" or None for a variable without k)."""


def _metric(ds: xr.Dataset, name: str) -> xr.DataArray:
    var, k = METRICS[name]
    da = ds[var].sel(split="id")
    if k is not None:
        da = da.sel(k=int(ds["k"].max()) if k == "kmax" else k)
    return da.where(ds["status"] == "ok").mean("seed")


def analyse(grid: xr.Dataset) -> dict:
    """{task variant: {budget: {"widths", "n_params", "tokens", metric: [...], "spans", "falls"}}}."""
    if "base_trace_pass_at_k" not in grid or "rl_pass_at_k" in grid:
        raise ValueError("a capability grid is a base-only grid (aha grid --base-only, or preset 'capability')")
    cfg = json.loads(grid.attrs["config"])
    variants = cfg.get("variants") or {"": {}}
    budgets = grid["pretrain_tokens_per_param"].values if "pretrain_tokens_per_param" in grid.dims else [0.0]
    tokens = cfg["fixed"].get("pretrain_tokens")
    out = {"k_max": int(grid["k"].max()), "seeds": int(grid.sizes["seed"]), "pretrain_tokens": tokens, "tasks": {}}
    widths = [int(w) for w in grid["width"].values]
    for v in variants:
        sub = grid.sel(variant=v) if "variant" in grid.dims else grid
        task = {"setting": variants[v], "chance": float(sub["chance"].sel(split="id").max()), "budgets": {}}
        for b in budgets:
            cell = sub.sel(pretrain_tokens_per_param=b) if "pretrain_tokens_per_param" in sub.dims else sub
            cell = cell.isel(depth=0)
            row = {"widths": widths, "n_params": [int(x) for x in np.ravel(cell["n_params"].values)][: len(widths)]}
            for m in METRICS:
                row[m] = [round(float(x), 4) for x in _metric(cell, m).values]
            cov = np.array(row["coverage"])
            row["spans"] = bool(cov[0] <= SPAN_LOW and cov[-1] >= SPAN_HIGH)
            row["falls"] = bool(np.any(np.diff(cov) < -FALL))
            task["budgets"][f"{float(b):g}"] = row
        out["tasks"][v or cfg["fixed"].get("task", "task")] = task
    return out
