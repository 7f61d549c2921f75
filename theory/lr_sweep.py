"""The numbers of an lr sweep per width (docs/recipe.md's recipe.json): theory.lr_select's choice
on the validation gain and everything the page shows beside it.

Per width (at the grid's first depth): validation gain = rl_val_pass_at_1 - base_val_pass_at_1 per
seed, the rule's input (a seed whose status is not ok makes its rate ineligible); the evaluation
gain on the final evaluation's prompts (in-distribution pass@1), reported and never used to choose;
rl_health counts per rate (the labels are given, computed by toymodels.health.grid_health) and the
largest logged KL. Pure: the grid in, a JSON-ready dict out.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from .health import counts
from .lr_select import select_lr

__all__ = ["analyse", "finite_list"]


def finite_list(a) -> list:
    """Numbers rounded to 4 places for JSON; a value that is not finite becomes None."""
    return [None if not np.isfinite(x) else round(float(x), 4) for x in np.asarray(a, float)]


def _width_row(grid: xr.Dataset, health: xr.DataArray, w, val: xr.DataArray, ev: xr.DataArray, lrs: list) -> dict:
    sel = {"width": w, "depth": grid["depth"].values[0]}
    v = val.sel(sel).transpose("rl_lr", "seed").values
    div = (grid["status"].sel(sel) != "ok").transpose("rl_lr", "seed").values
    r = select_lr(lrs, v, div)
    e = ev.sel(sel).transpose("rl_lr", "seed").values
    return {
        "n_params": int(grid["n_params"].sel(width=w).values.max()),
        "lr": r["lr"],
        "best_lr": r["best_lr"],
        "lr_one_se": r["lr_one_se"],
        "rule": r["rule"],
        "reason": r["reason"],
        "val_gain_mean": finite_list(r["mean"]),
        "val_gain_se": finite_list(r["se"]),
        "eligible": [bool(x) for x in r["eligible"]],
        "eval_gain_mean": finite_list(np.nanmean(e, 1)),
        "base_val_pass_at_1": float(grid["base_val_pass_at_1"].sel(sel).mean()),
        "health": {str(lr): counts(health.sel(sel).sel(rl_lr=lr).values) for lr in grid["rl_lr"].values},
        "max_kl": finite_list(grid["kl"].sel(sel).max(["seed", "step"]).values) if "kl" in grid else None,
    }


def analyse(grid: xr.Dataset, health: xr.DataArray) -> dict:
    """recipe.json of a sweep over rl_lr: ``{"lrs", "widths": {width: the rule's choice and the
    numbers behind it}, "n_seeds", "n_val_prompts", "n_eval_prompts", "cell_wall_min", "device"}``;
    ``health`` is each cell's rl_health label."""
    for v in ("base_val_pass_at_1", "rl_val_pass_at_1", "rl_lr"):
        if v not in grid.variables:
            raise ValueError(f"an lr sweep needs {v!r} (a grid over rl_lr with val_prompts > 0)")
    val = grid["rl_val_pass_at_1"] - grid["base_val_pass_at_1"]
    ev = grid["rl_pass_at_k"].sel(split="id", k=1) - grid["base_pass_at_k"].sel(split="id", k=1)
    lrs = [float(x) for x in grid["rl_lr"].values]
    out = {"lrs": lrs, "widths": {str(int(w)): _width_row(grid, health, w, val, ev, lrs) for w in grid["width"].values}}
    out["n_seeds"] = int(grid.sizes["seed"])
    out["n_val_prompts"] = json.loads(grid.attrs["cell_config"]).get("val_prompts")
    out["n_eval_prompts"] = int(grid.attrs.get("n_eval_prompts", 0)) or None
    out["cell_wall_min"] = round(float(grid["wall_s"].sum()) / 60, 1) if "wall_s" in grid else None
    out["device"] = grid.attrs.get("device")
    return out
