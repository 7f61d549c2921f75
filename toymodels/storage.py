"""Results on disk: atomic writes, one file per finished cell, and the combined grid dataset.

Every file is written to a temporary name in the same directory and renamed into place, so a
killed run never leaves a half-written result that a rerun would trust.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xarray as xr

ENGINE = "h5netcdf"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


def read_json(path: Path) -> dict:
    """A run's JSON file (fits.json, env.json, ...) as a dict; {} when it is not there."""
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else {}


def atomic_write_dataset(path: Path, ds: xr.Dataset) -> None:
    """netCDF (h5netcdf engine) written to a temp file, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        # the same bytes as ds.to_netcdf(tmp, engine=ENGINE) (h5netcdf opens a path with track_order=True),
        # ~1.6x less CPU: see _MemoH5File
        with _MemoH5File(tmp, "w", track_order=True) as h5:
            ds.to_netcdf(h5, engine=ENGINE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_dataset(path: Path) -> xr.Dataset:
    """Open a result file fully into memory; a corrupt file gives a one-line error naming it."""
    try:
        # the same Dataset (values, attrs, encoding) as xr.open_dataset(path, engine=ENGINE), ~2.4x less CPU
        source = os.path.abspath(os.path.expanduser(path))  # as open_dataset(path) records it
        with _MemoH5File(source, "r") as h5, xr.open_dataset(h5, engine=ENGINE) as ds:
            ds.load()
        ds.encoding["source"] = source
        return ds
    except Exception as e:  # h5py/netCDF raise many kinds
        raise ValueError(f"result file {path} is unreadable ({type(e).__name__}: {e}); {_remedy(Path(path))}") from None


class _MemoH5File(h5py.File):
    """An h5py file that remembers what its paths resolve to, handed to h5netcdf (which takes an open
    h5py.File in place of a path) through xarray.

    h5netcdf resolves every dimension and variable by path each time it needs one (a dimension's size,
    whether it is unlimited, ...): ~3,500 lookups to read a 47-variable cell file, ~4,400 to write one,
    each building a fresh h5py object; they were most of the CPU of load_dataset/atomic_write_dataset
    (issue 24). Nothing in the file changes: h5netcdf and xarray do exactly what they did with a path.

    Read-only, a path always resolves to the same object. Writing, h5netcdf deletes a link only when it
    replaces a dimension's placeholder by its coordinate variable, through `del <group>[name]`, which
    looks the group up first: every group lookup therefore forgets everything remembered, so no
    remembered object outlives its link. Groups themselves are never remembered when writing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[str, Any] = {}
        self._writable = self.mode != "r"

    def __getitem__(self, name: Any) -> Any:
        if not isinstance(name, str):  # references, ids: h5py as usual
            return super().__getitem__(name)
        obj = self._memo.get(name)
        if obj is None:
            obj = super().__getitem__(name)
            if self._writable and isinstance(obj, h5py.Group):
                self._memo.clear()
                return obj
            self._memo[name] = obj
        return obj


def _remedy(path: Path) -> str:
    """What rebuilds an unreadable result file, in one clause."""
    run = path.parent
    if path.name == "grid.nc" and (run / "cells").is_dir() and (run / "config.json").is_file():
        return f"rebuild it from {run / 'cells'}/ with `aha rebuild {run}` (seconds; nothing is retrained or lost)"
    if run.name == "cells":
        return f"delete it and rerun the same `aha grid` command into {run.parent}: only that cell is retrained"
    return "delete it and rerun the command that wrote it"


def drop_constant_dims(da: xr.DataArray, keep: tuple[str, ...] = ()) -> xr.DataArray:
    """`da` without the dims (other than `keep`) along which it does not vary.

    Missing entries (cells that failed) do not count as variation; integer-valued results that
    were widened to float by those gaps come back as integers."""
    for d in list(da.dims):
        if d in keep:
            continue
        lo, hi = da.min(d, skipna=True), da.max(d, skipna=True)
        if bool(((lo == hi) | hi.isnull()).all()):
            da = hi
    if da.dtype.kind == "f" and not bool(da.isnull().any()) and bool((da == da.round()).all()):
        da = da.astype("int64")
    da.encoding = {}
    return da


def promote_constant(ds: xr.Dataset, name: str, keep: tuple[str, ...] = ()) -> xr.Dataset:
    """Turn variable `name` into a coordinate over only the dims along which it varies."""
    if name not in ds.variables:
        return ds
    return ds.drop_vars(name).assign_coords({name: drop_constant_dims(ds[name], keep)})


_EVAL = {
    "pass_at_k": (
        "probability that at least one of k sampled answers is right (unbiased estimator), over held-out prompts",
        "fraction of prompts",
    ),
    "trace_pass_at_k": (
        "as pass_at_k, but every intermediate step of the trace must be right too; exact (1 - (1 - p)^k per "
        "prompt, p the teacher-forced probability of the one right trace) where the task has one right trace, "
        "else sampled (attribute 'estimate')",
        "fraction of prompts",
    ),
    "trace_phi": (
        "informative-group fraction 1 - p^G - (1 - p)^G of a group of G = group_size samples rewarded for a "
        "right trace, per prompt (p its probability of a right trace), mean over held-out prompts; exact or "
        "sampled as trace_pass_at_k (attribute 'estimate')",
        "fraction of groups",
    ),
    "logp_answer": (
        "sum of the log-probabilities of the correct answer tokens, teacher forced, mean over prompts",
        "nats",
    ),
    "step_prob": (
        "teacher-forced probability of the correct next step at the eval temperature, mean over steps and prompts",
        "probability (0 to 1)",
    ),
    "step_acc_argmax": ("teacher-forced argmax accuracy of the step tokens", "fraction of steps"),
    "greedy_acc": ("accuracy of the greedy (argmax) answer", "fraction of prompts"),
    "wait_rate": (
        "fraction of the sampled completions with at least one <wait> (a self-correction with revise, "
        "an ill-formed token without)",
        "fraction of completions",
    ),
    "revise_fix_rate": (
        "among the revisions (legal <wait>) in the sampled completions, the fraction whose discarded "
        "step was wrong and whose rewrite is right; NaN without revisions",
        "fraction of revisions",
    ),
    "completion_len": ("mean length of the sampled completions, up to and including <eos>", "tokens"),
    "format_prob": (
        "teacher-forced probability of the correct token at the canonical completion's format positions "
        "(<think>, separators, </think>, <eos>: envs.vocab.FORMAT_TOKENS) at the eval temperature, mean over "
        "positions and prompts (claim C5)",
        "probability (0 to 1)",
    ),
    "task_prob": (
        "teacher-forced probability of the correct token at the canonical completion's content positions "
        "(step values, answer tokens) at the eval temperature, mean over positions and prompts (claim C5)",
        "probability (0 to 1)",
    ),
    "format_mass_task": (
        "teacher-forced total probability of the format tokens (envs.vocab.FORMAT_TOKENS) at the content "
        "positions at the eval temperature, mean over positions and prompts: mass leaking to the template (C5)",
        "probability (0 to 1)",
    ),
    "val_pass_at_1": (
        "pass@1 on the validation prompts (held out, after the evaluation's; toymodels.validate), what "
        "recipe choices such as the per-width RL learning rate read",
        "fraction of prompts",
    ),
}
VARIABLE_ATTRS: dict[str, tuple[str, str]] = {
    **{
        f"{ph}_{k}": (f"{label}: {d}", u)
        for ph, label in (("base", "pretrained model before RL"), ("rl", "after RL"))
        for k, (d, u) in _EVAL.items()
    },
    "reward": ("mean reward per sampled completion at this RL update", "reward (0 to 1)"),
    "entropy": (
        "exact policy entropy over the vocabulary per completion position at the rollout temperature, "
        "token-weighted mean over every pass of the update",
        "nats per token",
    ),
    "kl": (
        "exact KL(pi || pi_base) over the vocabulary per completion position at the rollout temperature, "
        "token-weighted mean over every pass of the update",
        "nats per token",
    ),
    "informative_frac": (
        "fraction φ of GRPO groups whose rewards are not all equal (only those carry a gradient)",
        "fraction of groups",
    ),
    "grad_norm": ("norm of the policy gradient before clipping, probe at the update's start", "gradient norm"),
    "grad_snr": ("gradient signal-to-noise ratio ||g||² / variance over prompt subsets", "ratio (dimensionless)"),
    "clip_frac": ("fraction of tokens whose probability ratio was clipped", "fraction of tokens"),
    "rl_horizon": ("RL horizon (steps per answer) used at this update", "steps"),
    "wait_rate": (
        "fraction of this RL update's sampled completions with at least one <wait>",
        "fraction of completions",
    ),
    "completion_len": ("mean length of this RL update's sampled completions, up to and including <eos>", "tokens"),
    "ill_formed": (
        "fraction of this RL update's sampled completions that are not well formed (the task's layout)",
        "fraction of completions",
    ),
    "informative_early": (
        "mean informative-group fraction over the first 10% of the RL updates (every update, not only logged ones)",
        "fraction of groups",
    ),
    "ill_formed_late": (
        "fraction of the RL rollouts over the last 10% of the updates that are not well formed",
        "fraction of completions",
    ),
    "rl_health": (
        "what the RL run was (theory.health): ok, no-signal, broke-capable, malformed, diverged; n/a when failed",
        "none (label)",
    ),
    "chance": ("probability a random answer is right, per split", "probability (0 to 1)"),
    "pretrain_loss": ("final pretraining cross-entropy", "nats per token"),
    "status": ("cell outcome: ok, diverged or failed (not ok cells are left out of means and fits)", "none (text)"),
    "wall_s": (
        "wall time of the cell's batched run divided by its seeds (cells run together, toymodels.fused: the "
        "cell's share of the shared pretraining and of its RL batch)",
        "seconds",
    ),
    "n_eval_prompts": ("held-out prompts per evaluation", "prompts"),
    "n_params": ("non-embedding parameters N", "parameters"),
    "n_params_total": ("all parameters, embeddings included", "parameters"),
    "samples": ("episodes (sampled completions) consumed by RL up to this update", "episodes"),
    "width": ("model dimension d_model", "units"),
    "depth": ("transformer layers (MLP: hidden layers)", "layers"),
    "seed": ("training seed of the cell", "none (id)"),
    "split": ("evaluation split: id (held-out prompts, training horizon) or ood (horizon + ood_delta)", "none (label)"),
    "k": ("samples per prompt in pass@k", "samples"),
    "step": ("RL update index", "updates"),
    "aha_found": ("the reward curve over RL has an aha: an abrupt rise by theory.onset's rule (onset.nc)", "boolean"),
    "aha_call": (
        "theory.onset's call on the reward curve: aha, flat, ramp, fall, small, too short; n/a when "
        "not ok; curriculum (not judged) when the RL horizon changes over the run",
        "none (label)",
    ),
    "aha_onset": ("RL update at 10% of the aha's fitted rise (NaN without an aha)", "updates"),
    "aha_jump": ("fitted rise of the reward at the aha (NaN without an aha)", "reward (0 to 1)"),
    "aha_sharpness": ("updates from 10% to 90% of the aha's rise, at least the logging interval", "updates"),
    "phi_start": ("informative-group fraction φ at the first RL update", "fraction of groups"),
    "first_signal_updates": (
        "predicted updates until the first informative group from a correct trace "
        "(theory.onset.first_signal_time, base trace pass@1)",
        "updates",
    ),
}
"""`description` and `units` of every variable and coordinate a grid.nc can hold (`describe_variables`)."""


def describe_variables(ds: xr.Dataset) -> xr.Dataset:
    """Set attrs `description` and `units` on every data variable and coordinate (grid.nc, cells);
    hint-evaluated twins (`base_hinted_*`) and swept settings get theirs from the base name."""
    for name in list(ds.variables):
        key = str(name).replace("_hinted_", "_")
        desc, units = VARIABLE_ATTRS.get(key, (None, None))
        if desc is None:
            desc, units = f"grid axis: the config field {name!r}", "as the config field"
        if key != name:
            desc = f"with the hint in the prompt; {desc}"
        ds[name].attrs.update(description=desc, units=units)
    return ds


def _common_steps(cells: list[xr.Dataset]) -> list[xr.Dataset]:
    """Every cell on the union of the cells' RL steps (a curriculum arm with extra ramp updates logs
    more than plain RL): a shorter cell's curves end in NaN. Without this, combining treats step as
    an axis to concatenate along and broadcasts every per-cell scalar over it."""
    steps = [tuple(c["step"].values.tolist()) for c in cells if "step" in c.dims]
    if len(set(steps)) <= 1:
        return cells
    union = sorted(set().union(*steps))
    return [c.reindex(step=union) if "step" in c.dims else c for c in cells]


def combine_cells(cells: list[xr.Dataset], dims: list[str], order: dict[str, list] | None = None) -> xr.Dataset:
    """Merge one-cell datasets (each with length-1 grid dims) into the grid dataset.

    `order` gives each axis its values in the order of the spec (combining sorts them).
    """
    cells = _common_steps(cells)
    ds = xr.combine_by_coords(
        cells, combine_attrs="drop_conflicts", data_vars="all", join="outer", compat="no_conflicts"
    )
    ds = ds.reindex({d: [plain_coord(v) for v in vals] for d, vals in (order or {}).items() if d in ds.dims})
    for v in ds.variables.values():  # a cell file's fixed-width string dtype ('<U3' for 'mlp') would truncate
        if v.dtype.kind in "US":  # longer values ('transformer') when grid.nc is written
            v.encoding.pop("dtype", None)
    order = [d for d in dims if d in ds.dims] + [d for d in ("split", "k", "step") if d in ds.dims]
    ds = ds.transpose(*order, ...)
    for name in ("n_params", "n_params_total"):
        ds = promote_constant(ds, name)
    ds = promote_constant(ds, "samples", keep=("step",))
    if "chance" in ds:  # a property of the task and split, constant over sizes and seeds
        ds["chance"] = drop_constant_dims(ds["chance"], keep=("split",))
    if "status" in ds:
        ds["status"] = ds["status"].fillna("failed").astype(str)
    if "rl_health" in ds:  # a failed cell has no numbers to judge
        ds["rl_health"] = ds["rl_health"].fillna("n/a").astype(str)
    return describe_variables(ds)


def strip_cell(ds: xr.Dataset, coords: dict[str, Any]) -> xr.Dataset:
    """A run_cell dataset for one seed, with its grid coordinates as length-1 dims."""
    scalars = [c for c in ("width", "depth", "n_params", "n_params_total") if c in ds.coords]
    extra = {c: ds[c].values.item() for c in scalars if c in ("n_params", "n_params_total")}
    ds = ds.drop_vars(scalars)
    for name, value in extra.items():
        ds[name] = xr.DataArray(value)
    if "samples" in ds.coords:
        ds = ds.reset_coords("samples")
    ds = ds.expand_dims({k: [plain_coord(v)] for k, v in coords.items()})
    return ds


def plain_coord(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))  # netCDF has no bool coordinate
    return v
