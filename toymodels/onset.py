"""Per-cell aha onsets of a grid: the change-point fit of ``theory.onset`` on every cell's RL reward
curve, as a Dataset (RUN_DIR/onset.nc, written by `aha fit`: toymodels.run_fits summarises it, aha/fit.py
draws it).

Per cell (the grid's dims): ``aha_found``, ``aha_call``, ``aha_onset``, ``aha_jump``,
``aha_sharpness`` and the theory's ``first_signal_updates``, beside ``phi_start`` (φ measured at the
first RL update) and ``n_params``; documented in toymodels.storage.VARIABLE_ATTRS.

Cells on a curriculum are not judged: their reward is measured on a horizon that changes at
scheduled updates. The curve is the mean reward per sampled completion at each logged update: with
the sparse binary reward it is the sampled pass@1 on the training prompts. The results record no
other per-update success curve (no per-update trace pass@1), so the onset is the reward's.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from theory.onset import RULE, first_signal_time
from theory.onset_stats import detect_onsets

from . import storage
from .results import AXES, ok_mask

__all__ = ["CURVE", "onset_dataset"]

CURVE = "reward"
"""The RL curve the aha is detected on."""


def onset_dataset(ds: xr.Dataset, G: int = 8, prompts_per_update: int = 16) -> xr.Dataset | None:
    """Per-cell onset fits of ``ds[CURVE]`` over ``step`` (None without the curve); cells whose
    status is not ok get ``aha_call`` 'n/a', cells whose RL horizon changes over the run (a
    curriculum) 'curriculum' (not judged), both with ``aha_found`` False and NaN numbers."""
    if CURVE not in ds or "step" not in ds[CURVE].dims:
        return None
    dims = [d for d in ds[CURVE].dims if d not in AXES]
    curve = ds[CURVE].transpose(*dims, "step")
    cell = curve.isel(step=0)
    ok_da = ok_mask(ds)
    ok = np.ones(cell.shape, bool) if ok_da is None else ok_da.broadcast_like(cell).transpose(*dims).values
    sched = np.zeros(cell.shape, bool)
    if "rl_horizon" in ds and "step" in ds["rl_horizon"].dims:  # a curriculum: the horizon changes over RL
        h = ds["rl_horizon"]
        sched = (h.max("step") != h.min("step")).broadcast_like(cell).transpose(*dims).values
    found = detect_onsets(ds["step"].values.astype(float), curve.values, ok, sched)
    out = xr.Dataset({k: (dims, v) for k, v in found.items()}, coords={d: curve[d] for d in dims})
    if "n_params" in ds.coords:
        out = out.assign_coords(n_params=ds["n_params"])
    keep = True if ok_da is None else ok_da
    if "informative_frac" in ds:
        out["phi_start"] = ds["informative_frac"].isel(step=0).where(keep)
    if "base_trace_pass_at_k" in ds:
        p = ds["base_trace_pass_at_k"].sel(k=1, split="id")
        out["first_signal_updates"] = xr.apply_ufunc(first_signal_time, p, G, prompts_per_update).where(keep)
    out.attrs = {
        "curve": CURVE,
        "rule": RULE,
        "last_update": float(ds["step"].values.astype(float).max()),
        "group_size": G,
        "prompts_per_update": prompts_per_update,
    }
    return storage.describe_variables(out)
