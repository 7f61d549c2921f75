"""`rl_health` of the cells of a results Dataset (one run_cell, or a whole grid.nc), by `theory.health`.

The rule reads, per cell: status, pass@1 on the held-out "id" split before and after RL, the
number of held-out prompts, the informative-group fraction over the first 10% of the updates and
the ill-formed fraction of the rollouts over the last 10%. run_cell records the last two over every
update (`informative_early`, `ill_formed_late`); for a grid written before they existed, the first
comes from the logged `informative_frac` at the updates inside the first 10% (update 0 always is)
and the second is missing, so such a grid never calls a cell malformed.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from theory.health import rl_health

from .rl import edge_updates

CELL_DROP = ("split", "k", "step")


def _n_updates(ds: xr.Dataset) -> int | None:
    for key in ("config", "cell_config"):
        try:
            return int(json.loads(ds.attrs[key])["rl_updates"])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _early_informative(ds: xr.Dataset) -> xr.DataArray:
    if "informative_early" in ds:
        return ds["informative_early"]
    inf = ds["informative_frac"]
    n = _n_updates(ds)
    first = inf["step"] < (edge_updates(n) if n else 1)
    return inf.where(first).mean("step", skipna=True)


def _n_prompts(ds: xr.Dataset):
    if "n_eval_prompts" in ds:
        return ds["n_eval_prompts"]
    if "n_eval_prompts" in ds.attrs:
        return int(ds.attrs["n_eval_prompts"])
    raise ValueError("rl_health needs n_eval_prompts (a variable or an attribute of the dataset)")


def grid_health(ds: xr.Dataset) -> xr.DataArray:
    """rl_health per cell (every dim but split, k and step); needs the RL variables of a full run."""
    missing = [v for v in ("base_pass_at_k", "rl_pass_at_k", "status") if v not in ds]
    if missing or ("informative_early" not in ds and "informative_frac" not in ds):
        raise ValueError(
            f"rl_health needs a run with RL (base and rl pass@k, status, informative_frac); missing {missing}"
        )

    def p1(name):
        return ds[name].sel(split="id", k=1, drop=True)

    nan = xr.full_like(ds["status"], np.nan, dtype=float)
    ill = ds["ill_formed_late"] if "ill_formed_late" in ds else nan
    args = xr.broadcast(ds["status"], p1("base_pass_at_k"), p1("rl_pass_at_k"), _early_informative(ds), ill)
    n = _n_prompts(ds)
    n = n.broadcast_like(args[0]).values if isinstance(n, xr.DataArray) else n
    status, base, rl, early, late = (a.values for a in args)
    labels = rl_health(status, base, rl, n, early, late)
    out = xr.DataArray(np.asarray(labels, dtype=str), dims=args[0].dims, coords=args[0].coords)
    return out.drop_vars([c for c in CELL_DROP if c in out.coords])
