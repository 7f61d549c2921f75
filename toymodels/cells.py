"""The per-cell table of a grid: one row per cell (one size, one seed, one setting) with its config
fields, its measurements and its base-only features, beside the cell's curves over RL. It is a
study's cells.csv (`aha study`), the input of `aha predict`, and what theory's study statistics
read. Moved from aha/study.py (issue 21).

Columns: setting (the grid's label plus its extra axis values), grid, width, depth, seed, n_params,
status, task, L (the RL horizon in effect), prior, pretrain_tokens, model_kind, variant,
format_bonus, G, chance (the cell's own, id split), n_samples (samples behind a pass@1), the
base-only measurements (base_p1, coverage = base trace pass@k_max, step_prob, greedy, pretrain_loss:
the final pretraining loss, which names the base two arms share) and features
(step_prob_L, phi0, lnN: `theory.predict_gain.base_features`), p_trace1, prompts, rl_updates,
revise, revise_rate, wall_s (the runner's seconds for the cell), every other config field a study
sweeps (``fields``), the self-correction rates (base_/rl_ wait_rate, revise_fix_rate,
completion_len), the C5 token measures (base_/rl_ format_prob, task_prob, format_mass_task; id
split; absent for a grid written before they were recorded) and, with RL, rl_p1, gain, phi_start
and rl_health (the grid's own record, or `toymodels.health.grid_health` for a grid written before
it had one: the same rule).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from theory.predict_gain import base_features

from . import storage
from .grid import ALWAYS, GridSpec
from .health import grid_health

BEHAVIOUR = ("wait_rate", "revise_fix_rate", "completion_len")
"""Evaluation variables of self-correction (base_* and rl_*, per split), when the run has them."""
TOKENS = ("format_prob", "task_prob", "format_mass_task")
"""Evaluation variables of claim C5 (base_* and rl_*, per split; `toymodels.evaluate`), when the run has them."""
CURVES = ("reward", "entropy", "rl_horizon", "wait_rate", "completion_len")
"""Curves over RL updates kept per cell (those the run has)."""
_NOT_SETTING = ("width", "seeds", "device", "log_every")
"""Config fields that do not define a setting (a setting is everything but size and seed)."""
_COLUMNS = {"task", "prior", "pretrain_tokens", "model_kind", "format_bonus", "revise", "revise_rate", "horizon"}
"""Config fields with a column of their own in every table (the horizon as L, the one in effect)."""


def setting_key(cfg: dict[str, Any], per_width: set[str] | frozenset[str] = frozenset()) -> str:
    """A cell's setting as one string: its config without size, seeds and logging (sorted JSON), nor
    the fields its grid sets per width (``per_width``: a recipe's RL learning rate is part of the size)."""
    drop = set(_NOT_SETTING) | set(per_width)
    return json.dumps({k: v for k, v in sorted(cfg.items()) if k not in drop}, sort_keys=True, default=str)


def group_key(spec: GridSpec, cfg: Any) -> str:
    """The setting key of a cell config of ``spec``: the fields ``spec.by_width`` sets are left out, so
    one setting spans the widths whatever rate each width took."""
    return setting_key(cfg.to_dict(), {k for over in spec.by_width.values() for k in over})


def swept_fields(specs: list[GridSpec]) -> list[str]:
    """Config fields that the grids sweep (as an axis or in a variant) beyond those with a column
    of their own, in the order first met: each becomes a column of the table."""
    out: list[str] = []
    for spec in specs:
        names = [a for a in spec.axes if a not in ALWAYS] + [k for v in spec.variants.values() for k in v]
        out += [n for n in names if n not in _COLUMNS and n not in out]
    return out


def _val(da: xr.DataArray, **sel) -> float:
    """The one value of ``da`` at ``sel`` (on the dims it has); NaN unless exactly one."""
    da = da.sel({k: v for k, v in sel.items() if k in da.dims})
    return float(da.values) if da.size == 1 else float("nan")


def _plain(v: Any) -> Any:
    """A config value as a table cell (tuples and dicts as JSON text)."""
    return json.dumps(v, default=str) if isinstance(v, (dict, list, tuple)) else v


def _base_row(c: xr.Dataset, cfg, kmax: int, n_eval: Any) -> dict[str, Any]:
    """Measurements of the base model and the base-only features of one cell."""
    n_params = float(c["n_params"].values) if "n_params" in c.coords else float(c["n_params"])
    base1, L = _val(c["base_pass_at_k"], k=1, split="id"), cfg.rl_horizon()
    row = {
        "n_params": n_params,
        "status": str(c["status"].values),
        "task": cfg.task,
        "L": L,
        "prior": cfg.prior,
        "pretrain_tokens": cfg.pretrain_tokens,
        "model_kind": cfg.model_kind,
    }
    row2 = {
        "format_bonus": cfg.format_bonus,
        "G": cfg.group_size,
        "chance": _val(c["chance"], split="id"),
        "n_samples": (float(np.asarray(n_eval).ravel()[0]) if np.size(n_eval) else np.nan) * cfg.k_max,
        "base_p1": base1,
        "coverage": _val(c["base_trace_pass_at_k"], k=kmax, split="id"),
        "step_prob": _val(c["base_step_prob"], split="id"),
        "greedy": _val(c["base_greedy_acc"], split="id"),
        "pretrain_loss": float(c["pretrain_loss"]) if "pretrain_loss" in c else float("nan"),
    }
    f = base_features(row2["coverage"], row2["step_prob"], L, base1, cfg.group_size, row2["greedy"], n_params)
    return row, row2 | {k: float(f[k]) for k in ("step_prob_L", "phi0", "lnN")}


def _own_steps(c: xr.Dataset, ds: xr.Dataset) -> dict[str, np.ndarray]:
    """One cell's curves over the steps it logged: a grid whose cells log different numbers of RL
    updates (a curriculum arm with extra ramp updates) holds the union, NaN past a cell's end."""
    out = {v: c[v].values.astype(float).ravel() for v in CURVES if v in c and "step" in c[v].dims}
    out["samples"] = ds["samples"].values.astype(float)
    out["step"] = ds["step"].values.astype(float)
    if "reward" in out and len(out["reward"]) == len(out["step"]):
        logged = np.isfinite(out["reward"])
        out = {k: v[logged] if len(v) == len(logged) else v for k, v in out.items()}
    return out


def cell_table(
    spec: GridSpec, ds: xr.Dataset, label: str | None = None, fields: list[str] | tuple[str, ...] = ()
) -> tuple[pd.DataFrame, dict]:
    """One row per cell of ``spec``'s dataset (columns in the module docstring; ``fields``: further
    config fields, `swept_fields` of a study's grids) and {(setting, width, seed): curves over RL}
    for cells with RL. ``label`` names the setting's grid (default the spec's name)."""
    rows, curves = [], {}
    kmax = int(ds["k"].max())
    n_eval = ds["n_eval_prompts"] if "n_eval_prompts" in ds else ds.attrs.get("n_eval_prompts", np.nan)
    one_depth = len(spec.axes["depth"]) == 1
    health = None
    if "rl_pass_at_k" in ds:
        health = ds["rl_health"] if "rl_health" in ds else grid_health(ds)
    for g in spec.groups():
        cfg = g.config
        coords = {k: storage.plain_coord(v) for k, v in g.coords.items()}
        extra = {k: v for k, v in coords.items() if k != "width" and not (k == "depth" and one_depth)}
        setting = (label or spec.name) + (("[" + ",".join(f"{k}={v}" for k, v in extra.items()) + "]") if extra else "")
        for s in cfg.seeds:
            c = ds.sel({**coords, "seed": s})
            head, base = _base_row(c, cfg, kmax, n_eval)
            row = {"setting": setting, "key": group_key(spec, cfg), "grid": spec.name, "width": cfg.width}
            row |= {"depth": cfg.depth, "seed": int(s), **head, "variant": coords.get("variant", ""), **base}
            row |= {
                "p_trace1": _val(c["base_trace_pass_at_k"], k=1, split="id"),
                "prompts": cfg.prompts_per_update,
                "rl_updates": cfg.rl_updates,
                "revise": bool(cfg.revise),
                "revise_rate": cfg.revise_rate,
                "wall_s": float(c["wall_s"]) if "wall_s" in c else float("nan"),
                **{f: _plain(getattr(cfg, f)) for f in fields},
            }
            row |= {
                f"{ph}_{v}": _val(c[f"{ph}_{v}"], split="id")
                for v in (*BEHAVIOUR, *TOKENS)
                for ph in ("base", "rl")
                if f"{ph}_{v}" in c and "step" not in c[f"{ph}_{v}"].dims
            }
            if "rl_pass_at_k" in ds:
                row["rl_p1"] = _val(c["rl_pass_at_k"], k=1, split="id")
                row["gain"] = row["rl_p1"] - row["base_p1"] if row["status"] == "ok" else float("nan")
                row["phi_start"] = float(c["informative_frac"].isel(step=0)) if "informative_frac" in c else np.nan
                at = {k: v for k, v in {**coords, "seed": s}.items() if k in health.dims}
                row["rl_health"] = str(health.sel(at).values)
                key = (setting, cfg.width, int(s))
                curves[key] = _own_steps(c, ds)
            if row["status"] != "ok":
                for f in ("coverage", "step_prob_L", "phi0", "greedy", "base_p1"):
                    row[f] = float("nan")
            rows.append(row)
    return pd.DataFrame(rows), curves
