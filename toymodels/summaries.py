"""Summaries of one grid that the reports write as JSON: fits.json's ``collapses``, ``sharpening``
and ``rl_health`` entries (`aha fit`, `aha report`), and each grid's row of docs/recipe/rerun.json
(`python -m aha.rerun`). Theory's rules applied to a grid's arrays, like toymodels.health; the
reports render these numbers and never recompute them.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from theory.health import counts as health_counts
from theory.sharpening import count_collapses, summarize_sharpening

from .health import grid_health
from .results import ok_only, rl_gain, sel, slice_label, slices

__all__ = ["CEILING", "health_entries", "n_eval_samples", "run_entries", "summarise"]

CEILING = 0.999
"""A no-signal cell whose base pass@1 is at least this had nothing left to learn (every group all
correct); one at most 1 - CEILING never earned a reward (every group all wrong)."""


def n_eval_samples(ds: xr.Dataset):
    """Samples behind each pass@1: n_eval_prompts (attr, or a variable when swept) × k_max; None if unknown."""
    n = ds["n_eval_prompts"] if "n_eval_prompts" in ds else ds.attrs.get("n_eval_prompts")
    return None if n is None or "k" not in ds.dims else n * int(ds.k.max())


def health_entries(ds: xr.Dataset) -> list[dict]:
    """fits.json's ``rl_health``: per setting (a slice of the extra dims), the cells per label."""
    try:
        h = ds["rl_health"] if "rl_health" in ds else grid_health(ds)
    except ValueError:  # a run without the RL variables the rule reads
        return []
    return [{"setting": slice_label(c), "counts": health_counts(sub.values)} for c, sub in slices(h)]


def run_entries(ds: xr.Dataset) -> dict:
    """fits.json's ``collapses``, ``sharpening`` and ``rl_health`` (ok cells only; what the run has of them)."""
    if "rl_pass_at_k" not in ds or "base_pass_at_k" not in ds:
        return {}
    d = ok_only(ds)
    b1, r1 = (sel(d[v], split="id", k=1) for v in ("base_pass_at_k", "rl_pass_at_k"))
    out, n = {}, n_eval_samples(ds)
    if n is not None:
        out["collapses"] = count_collapses(b1, r1, n.broadcast_like(b1) if isinstance(n, xr.DataArray) else n)
    if "base_greedy_acc" in ds:
        out["sharpening"] = summarize_sharpening(b1, r1, sel(d.base_greedy_acc, split="id"))
    health = health_entries(ds)
    if health:
        out["rl_health"] = health
    return out


def _rl_lr(ds: xr.Dataset) -> dict[str, float]:
    """RL learning rate per width as run (the grid spec's fixed value, its per-width overrides)."""
    spec = json.loads(ds.attrs.get("config", "{}"))
    cell = json.loads(ds.attrs.get("cell_config", "{}")) if "cell_config" in ds.attrs else {}
    default = spec.get("fixed", {}).get("rl_lr", cell.get("rl_lr"))
    by_width = spec.get("by_width", {})
    return {str(int(w)): float(by_width.get(str(int(w)), {}).get("rl_lr", default)) for w in ds["width"].values}


def summarise(ds: xr.Dataset) -> dict:
    """One grid's row of rerun.json: cells, rl_health counts (no-signal cells at the base's ceiling or
    floor), cells whose final training reward is 0, the largest logged KL, the mean RL gain per width,
    the RL learning rate per width and when the grid was created."""
    health = ds["rl_health"] if "rl_health" in ds else grid_health(ds)
    final = ok_only(ds["reward"]).isel(step=-1)
    gain = rl_gain(ok_only(ds))
    other = [d for d in gain.dims if d != "width"]
    per_width = gain.mean(other) if other else gain
    kl = ds["kl"].values.astype(float)
    base1 = ds["base_pass_at_k"].sel(split="id", k=1).broadcast_like(health)
    quiet = health == "no-signal"
    return {
        "no_signal_ceiling": int((quiet & (base1 >= CEILING)).sum()),
        "no_signal_floor": int((quiet & (base1 <= 1 - CEILING)).sum()),
        "cells": int(health.size),
        "health": health_counts(health.values),
        "final_reward_0": int((final == 0).sum()),
        "max_kl": float(np.nanmax(kl)) if np.isfinite(kl).any() else None,
        "gain_by_width": {str(int(w)): round(float(v), 4) for w, v in zip(per_width["width"].values, per_width.values)},
        "rl_lr": _rl_lr(ds),
        "created": ds.attrs.get("created"),
    }
