"""Helpers over a grid's results Dataset (DESIGN.md's schema), the one set every report, fit and
figure uses: which dims are the grid's and which are extra swept settings, slices by the extra
dims with one label format, selection on the dims present, the ok-mask, the derived `rl_gain`,
the config of every cell group, and the per-size series (mean and sd over ok seeds) of the
gain-vs-size figure.

    for sel, sub in slices(ds):                 # one (selection, sub-dataset) per extra-dim combination
        print(slice_label(sel))                 # 'horizon=3, prior=0.5' ('' without extra dims)
    gain = ok_only(rl_gain(ds), ds)             # RL gain in pass@1 (id split), not-ok cells NaN
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from theory.text import each_or_both, threads

GRID_DIMS = ("width", "depth", "seed", "model")
"""Dims that place a cell on the size grid (`model` for real LLMs)."""
AXES = ("split", "k", "step")
"""Dims of the measurements within a cell."""


def extra_dims(obj: xr.Dataset | xr.DataArray) -> list[str]:
    """The swept settings beyond the size grid (horizon, prior, variant, ...), in the object's order."""
    return [str(d) for d in obj.dims if d not in GRID_DIMS + AXES]


def sel(da: xr.DataArray | xr.Dataset, **kw: Any):
    """``da.sel(**kw)`` on the dims it has (the others are ignored)."""
    return da.sel({d: v for d, v in kw.items() if d in da.dims})


def ok_mask(ds: xr.Dataset) -> xr.DataArray | None:
    """True where a cell's status is 'ok'; None when the dataset records no status."""
    return ds["status"] == "ok" if "status" in ds else None


def ok_only(obj: xr.Dataset | xr.DataArray, ds: xr.Dataset | None = None):
    """``obj`` with cells whose status is not 'ok' (diverged, failed) set to NaN; the status is
    ``ds``'s (default: ``obj``'s own); unchanged without one."""
    ok = ok_mask(obj if ds is None else ds)
    return obj if ok is None else obj.where(ok)


def rl_gain(ds: xr.Dataset, split: str = "id") -> xr.DataArray:
    """rl_gain = RL pass@1 - base pass@1 on ``split`` (derived, never stored)."""
    return (ds.rl_pass_at_k.sel(k=1, split=split) - ds.base_pass_at_k.sel(k=1, split=split)).rename("rl_gain")


def slices(obj, dims: list[str] | None = None) -> list[tuple[dict[str, Any], Any]]:
    """(selection, sub-object) for each combination of ``dims`` (default: the extra dims), in the
    order of their coordinates; ``[({}, obj)]`` without any. The sub-object keeps the selected
    values as scalar coordinates."""
    dims = extra_dims(obj) if dims is None else list(dims)
    if not dims:
        return [({}, obj)]
    out = []
    for values in itertools.product(*(obj[d].values.tolist() for d in dims)):
        chosen = dict(zip(dims, values, strict=True))
        out.append((chosen, obj.sel(chosen)))
    return out


def slice_label(chosen: dict[str, Any]) -> str:
    """The one label of a slice: 'horizon=3, prior=0.5' ('' for the whole grid)."""
    return ", ".join(f"{d}={v}" for d, v in chosen.items())


def file_suffix(chosen: dict[str, Any]) -> str:
    """The slice's label as a file-name suffix: '_horizon=3_prior=0.5' ('' for the whole grid)."""
    label = re.sub(r"[^A-Za-z0-9=.-]+", "_", slice_label(chosen)).strip("_")
    return f"_{label}" if label else ""


def group_configs(ds: xr.Dataset) -> list[dict[str, Any]]:
    """The config of every cell group of the grid, each with its axis values under "coords"
    (attr ``group_configs``; a grid.nc written before it was recorded has only its first group's,
    ``cell_config``, with no coords)."""
    try:
        if "group_configs" in ds.attrs:
            return json.loads(ds.attrs["group_configs"])
        first = json.loads(ds.attrs.get("cell_config", "{}"))
    except (TypeError, ValueError):
        return []
    return [{**first, "coords": {}}] if first else []


def first_config(ds: xr.Dataset) -> dict[str, Any]:
    """The first cell group's config ({} when the grid records none): what the run's report
    quotes for settings that every group shares."""
    groups = group_configs(ds)
    return {k: v for k, v in groups[0].items() if k != "coords"} if groups else {}


def fit_settings(ds: xr.Dataset) -> dict:
    """The settings a run's theory fits need (task, its horizon as task_kwargs L, the RL group size,
    updates and prompts per update), from the first group's config or a nested `config` attr."""
    try:
        cell, cfg = first_config(ds), json.loads(ds.attrs.get("config", "{}"))
    except (TypeError, ValueError):
        return {}
    if not cell:
        return cfg
    import envs  # noqa: PLC0415

    task_kwargs = dict(cell.get("task_kwargs") or {})
    harg = envs.task_class(cell["task"]).horizon_arg
    if cell.get("horizon") is not None:
        task_kwargs[harg] = cell["horizon"]
    task_kwargs.setdefault("L", task_kwargs.get(harg))
    rl = {
        "group_size": cell.get("group_size"),
        "n_updates": cell.get("rl_updates"),
        "prompts": cell.get("prompts_per_update"),
    }
    return {"task": cell["task"], "task_kwargs": task_kwargs, "rl": rl}


def compare_runs(a: Path, b: Path) -> dict:
    """Largest absolute difference per variable between two grid.nc of the same grid."""
    from .storage import load_dataset  # noqa: PLC0415

    da, db = load_dataset(Path(a) / "grid.nc"), load_dataset(Path(b) / "grid.nc")
    diffs = {}
    for v in sorted(set(da.data_vars) & set(db.data_vars)):
        if v == "wall_s" or da[v].dtype.kind not in "fiu":
            continue
        x, y = da[v].values.astype(float), db[v].values.astype(float)
        both = np.isfinite(x) & np.isfinite(y)
        diffs[v] = float(np.abs(x - y)[both].max()) if both.any() else 0.0
    same = all(d == 0 for d in diffs.values())
    gains = [(d.rl_pass_at_k - d.base_pass_at_k).sel(k=1, split="id") for d in (da, db)]
    dg = float(np.nanmax(np.abs(gains[0].values - gains[1].values)))
    how = each_or_both(_threads(a), _threads(b))
    summary = (
        f"two runs on one machine, {how}, gave bit-identical results (every variable but wall_s)"
        if same
        else f"two runs on one machine, {how}, differed: the largest difference in a cell's "
        f"RL gain was {dg:.3f} (per variable in docs/demo/repro.json)"
    )
    return {"identical": same, "max_abs_diff": diffs, "max_gain_diff": dg, "summary": summary}


def _threads(run_dir: Path) -> str:
    env = Path(run_dir) / "env.json"
    t = json.loads(env.read_text()).get("timing", {}) if env.exists() else {}
    return threads(t["torch_threads"]) if t else "unknown threads"


def gain_vs_size_series(sub: xr.Dataset) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Curves of the gain-vs-size figure for one depth, each (n_params, mean over ok seeds) sorted by N:
    RL gain, base pass@1 beside base greedy accuracy (their gap is what sharpening can close), base
    pass@k_max and trace pass@k_max."""
    return {k: (n, m) for k, (n, m, _) in size_series(sub).items()}


def size_series(sub: xr.Dataset) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """As `gain_vs_size_series`, each with the sd over ok seeds as a third array."""
    d = ok_only(sub)
    kmax = int(d.k.max())
    n = d.n_params.values if d.n_params.ndim else np.full(d.sizes["width"], float(d.n_params))
    order = np.argsort(n)
    ms = lambda da: (n[order], da.mean("seed").values[order], da.std("seed", ddof=1).values[order])  # noqa: E731
    out = {"RL gain (pass@1)": ms(rl_gain(d)), "base pass@1": ms(d.base_pass_at_k.sel(k=1, split="id"))}
    if "base_greedy_acc" in d:
        out["base greedy acc"] = ms(d.base_greedy_acc.sel(split="id"))
    out[f"base pass@{kmax}"] = ms(d.base_pass_at_k.sel(k=kmax, split="id"))
    if "base_trace_pass_at_k" in d:
        out[f"base trace pass@{kmax}"] = ms(d.base_trace_pass_at_k.sel(k=kmax, split="id"))
    return out
