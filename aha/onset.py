"""Aha onsets of a run: the change-point fit of ``theory.onset`` on every cell's RL reward curve.

``aha fit`` (``fit_run``) calls ``onset_section``, which writes

- ``RUN_DIR/onset.nc``: per cell (the grid's dims) ``aha_found``, ``aha_call``, ``aha_onset``,
  ``aha_jump``, ``aha_sharpness`` and the theory's ``first_signal_updates``, beside ``phi_start``
  (φ measured at the first RL update) and ``n_params``; documented in toymodels.storage.VARIABLE_ATTRS;
- ``fits.json["onset"]``: the rule, counts per call and per size, and how the onset relates to
  size, to φ at the start of RL and to the predicted first-signal time (Spearman ρ over the cells
  with an aha);
- a figure of onset against N, cells without an aha marked.

Cells on a curriculum are not judged: their reward is measured on a horizon that changes at
scheduled updates. The curve is the mean reward per sampled completion at each logged update: with the sparse
binary reward it is the sampled pass@1 on the training prompts. The results record no other
per-update success curve (no per-update trace pass@1), so the onset is the reward's.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import xarray as xr

from theory.claims_behaviour import spearman
from theory.onset import RULE, detect_onset, first_signal_time
from toymodels import storage

__all__ = ["CURVE", "onset_dataset", "onset_summary", "onset_section"]

CURVE = "reward"
"""The RL curve the aha is detected on."""
_OUT = ("aha_found", "aha_call", "aha_onset", "aha_jump", "aha_sharpness")


def _grid_dims(da: xr.DataArray) -> list[str]:
    return [d for d in da.dims if d not in ("step", "split", "k")]


def onset_dataset(ds: xr.Dataset, G: int = 8, prompts_per_update: int = 16) -> xr.Dataset | None:
    """Per-cell onset fits of ``ds[CURVE]`` over ``step`` (None without the curve); cells whose
    status is not ok get ``aha_call`` 'n/a', cells whose RL horizon changes over the run (a
    curriculum) 'curriculum' (not judged), both with ``aha_found`` False and NaN numbers."""
    if CURVE not in ds or "step" not in ds[CURVE].dims:
        return None
    curve = ds[CURVE]
    dims = _grid_dims(curve)
    curve = curve.transpose(*dims, "step")
    t = ds["step"].values.astype(float)
    ok = (
        (ds["status"] == "ok").broadcast_like(curve.isel(step=0)).transpose(*dims).values
        if "status" in ds
        else np.ones(curve.shape[:-1], bool)
    )
    shape = curve.shape[:-1]
    found = np.zeros(shape, bool)
    call = np.full(shape, "n/a", dtype=object)
    num = {k: np.full(shape, np.nan) for k in ("aha_onset", "aha_jump", "aha_sharpness")}
    values = curve.values.astype(float)
    sched = _scheduled(ds, dims)
    for idx in np.ndindex(shape):
        if not ok[idx]:
            continue
        if sched[idx]:
            call[idx] = "curriculum"
            continue
        o = detect_onset(t, values[idx])
        found[idx], call[idx] = o.found, o.call
        num["aha_onset"][idx], num["aha_jump"][idx], num["aha_sharpness"][idx] = o.onset, o.jump, o.sharpness
    coords = {d: curve[d] for d in dims}
    out = xr.Dataset(
        {"aha_found": (dims, found), "aha_call": (dims, call.astype(str)), **{k: (dims, v) for k, v in num.items()}},
        coords=coords,
    )
    if "n_params" in ds.coords:
        out = out.assign_coords(n_params=ds["n_params"])
    if "informative_frac" in ds:
        out["phi_start"] = ds["informative_frac"].isel(step=0).where(ok_da(ds))
    if "base_trace_pass_at_k" in ds:
        p = ds["base_trace_pass_at_k"].sel(k=1, split="id")
        out["first_signal_updates"] = xr.apply_ufunc(first_signal_time, p, G, prompts_per_update).where(ok_da(ds))
    out.attrs = {
        "curve": CURVE,
        "rule": RULE,
        "last_update": float(t.max()),
        "group_size": G,
        "prompts_per_update": prompts_per_update,
    }
    return storage.describe_variables(out)


def _scheduled(ds: xr.Dataset, dims: list[str]) -> np.ndarray:
    """Per cell: the RL horizon changes over the run (a curriculum), so the reward is measured on a
    task that changes at scheduled updates and its jumps are the schedule's, not an aha."""
    if "rl_horizon" not in ds or "step" not in ds["rl_horizon"].dims:
        return np.zeros([ds.sizes[d] for d in dims], bool)
    h = ds["rl_horizon"]
    return (h.max("step") != h.min("step")).broadcast_like(ds[CURVE].isel(step=0)).transpose(*dims).values


def ok_da(ds: xr.Dataset) -> xr.DataArray | bool:
    return ds["status"] == "ok" if "status" in ds else True


def _rho(x: np.ndarray, y: np.ndarray) -> dict:
    """theory's Spearman rule (at least MIN_RHO cells) as JSON: None where it is not computed."""
    rho, p, n = spearman(x, y)
    return {"rho": None, "p": None, "n": n} if not np.isfinite(rho) else {"rho": rho, "p": p, "n": n}


def onset_summary(on: xr.Dataset) -> dict:
    """fits.json["onset"]: calls, per-size counts and onsets, Spearman ρ of the onset (cells with an
    aha; at least 5) against ln N, φ at the start of RL and the predicted first-signal time."""
    flat = on.to_dataframe().reset_index() if on.sizes else None
    judged = flat[~flat["aha_call"].isin(["n/a", "curriculum"])]
    aha = judged[judged["aha_found"].astype(bool)]
    by_size = []
    for n, g in judged.groupby("n_params"):
        a = g[g["aha_found"].astype(bool)]
        by_size.append(
            {
                "n_params": float(n),
                "width": int(g["width"].iloc[0]),
                "cells": len(g),
                "aha": len(a),
                "onsets": sorted(float(x) for x in a["aha_onset"]),
                "jumps": [float(x) for x in a["aha_jump"]],
            }
        )
    col = lambda name: aha[name].to_numpy(float) if name in aha else np.full(len(aha), np.nan)  # noqa: E731
    fs = col("first_signal_updates")
    ratio = col("aha_onset") / fs
    return {
        "rule": RULE,
        "curve": CURVE,
        "cells": len(judged),
        "aha": len(aha),
        "calls": dict(Counter(judged["aha_call"])),
        "by_size": by_size,
        "onset_vs_lnN": _rho(np.log(col("n_params")), col("aha_onset")),
        "onset_vs_phi_start": _rho(col("phi_start"), col("aha_onset")),
        "onset_vs_first_signal": _rho(fs, col("aha_onset")),
        "median_onset_over_first_signal": float(np.nanmedian(ratio)) if np.isfinite(ratio).any() else None,
    }


def _rho_text(r: dict) -> str:
    return f"n/a ({r['n']} cells)" if r["rho"] is None else f"{r['rho']:+.2f} (p = {r['p']:.2g}, n = {r['n']})"


def onset_section(ds: xr.Dataset, run_dir: Path, G: int, prompts_per_update: int) -> tuple[dict, list[str], list]:
    """(fits.json entry, report lines, figure paths) of the onset fits; writes RUN_DIR/onset.nc."""
    on = onset_dataset(ds, G, prompts_per_update)
    if on is None:
        return {}, [f"- **Aha onset**: not testable: the run has no {CURVE} curve over RL updates"], []
    storage.atomic_write_dataset(Path(run_dir) / "onset.nc", on)
    s = onset_summary(on)
    sizes = ", ".join(
        f"width {b['width']}: {b['aha']}/{b['cells']}"
        + (f" (onset {', '.join(f'{x:.0f}' for x in b['onsets'])})" if b["onsets"] else "")
        for b in s["by_size"]
    )
    calls = ", ".join(f"{k} {v}" for k, v in sorted(s["calls"].items()))
    ratio = s["median_onset_over_first_signal"]
    lines = [
        f"- **Aha onset** (change-point fit of each ok cell's {CURVE} curve over RL updates; per-cell results "
        f"in onset.nc): an aha in {s['aha']} of {s['cells']} cells (calls: {calls}); per size: {sizes}.",
        f"  - onset (update) against ln N: Spearman ρ = {_rho_text(s['onset_vs_lnN'])}; against φ at the first "
        f"RL update: {_rho_text(s['onset_vs_phi_start'])}; against the predicted first-signal time "
        f"(theory.onset.first_signal_time, from base trace pass@1): {_rho_text(s['onset_vs_first_signal'])}"
        + (f"; median onset / predicted first-signal time {ratio:.3g}" if ratio is not None else "")
        + ".",
        f"  - rule: {RULE}.",
    ]
    from .plots_behaviour import onset_vs_size  # noqa: PLC0415

    fig = onset_vs_size(on, Path(run_dir) / "figures" / "aha_onset_vs_size.png")
    return s, lines, [fig]
