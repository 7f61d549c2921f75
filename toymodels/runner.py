"""Run a `GridSpec` into a run directory that survives a kill.

    run_dir/
      config.json      the grid spec (a rerun with a different one stops unless force=True)
      env.json         versions, git commit, device, host, CPU model and cores, times (and the
                       machine yardstick, toymodels.yardstick, when `aha demo` or --yardstick ran)
      cells/<id>.nc    one file per finished cell (one seed), written atomically
      grid.nc          the combined dataset with named dims, written atomically at the end

Rerunning the same command skips finished cells. A group (the seeds of one shape) counts as
finished only when every one of its cells is on disk; otherwise the whole group runs again, so
a resumed grid is bit-for-bit the grid an uninterrupted run would have produced.

A group that raises (out of memory, a bug) does not stop the grid: its traceback goes to
`failed/<id>.txt`, its cells enter grid.nc with status "failed" and no numbers, and the next
rerun tries it again.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr
from tqdm.auto import tqdm

from . import storage
from .config import resolve_device
from .devices import cpu_model
from .fused import fuse as fuse_groups
from .fused import iter_cells, run_cells
from .grid import GridSpec, Group, cell_id
from .plugins import load_user_modules
from .run import run_cell

EXECUTORS = ("local", "ray")


def environment_info(device: str) -> dict[str, Any]:
    try:
        package_version = version("aha-playground")
    except PackageNotFoundError:  # a source tree that is not installed
        package_version = "0.0.0+unknown"
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=5
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "package_version": package_version,
        "git_commit": commit,
        "torch_version": str(torch.__version__),
        "xarray_version": xr.__version__,
        "python": platform.python_version(),
        "host": platform.node(),
        "device": device,
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cuda_device": torch.cuda.get_device_name(0) if device == "cuda" else None,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def prepare_run_dir(spec: GridSpec, run_dir: Path, force: bool) -> None:
    """Write config.json, or check that the one there matches (unless force)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "config.json"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except json.JSONDecodeError:
            raise ValueError(f"{path} is corrupt; delete it or pass --force") from None
        if old != json.loads(json.dumps(spec.to_dict(), default=str)) and not force:
            raise ValueError(f"{run_dir} holds a run with a different config; use another --out or pass --force")
    storage.atomic_write_json(path, spec.to_dict())


def pending_groups(spec: GridSpec, run_dir: Path) -> tuple[list[Group], int]:
    """Groups with any cell missing on disk, and the number of cells already finished."""
    todo, done = [], 0
    for g in spec.groups():
        ids = [cell_id(c) for c in g.cell_configs().values()]
        if all((run_dir / "cells" / f"{i}.nc").exists() for i in ids):
            done += len(ids)
        else:
            todo.append(g)
    return todo, done


def write_group(run_dir: Path, group: Group, ds: xr.Dataset) -> None:
    """One atomic file per seed of a finished group."""
    for seed, cfg in group.cell_configs().items():
        one = storage.strip_cell(ds.sel(seed=[seed]), group.coords)
        kept = {k: str(v) if isinstance(v, str) else v for k, v in ds.attrs.items()}  # TorchVersion -> str
        one.attrs = {**kept, "config": json.dumps(cfg, sort_keys=True), "cell_id": cell_id(cfg)}
        storage.atomic_write_dataset(run_dir / "cells" / f"{cell_id(cfg)}.nc", one)


def failure_path(run_dir: Path, group: Group) -> Path:
    """Where a failed group's traceback is kept (named by its first cell)."""
    return run_dir / "failed" / f"{cell_id(next(iter(group.cell_configs().values())))}.txt"


def failed_cell(group: Group, seed: int) -> xr.Dataset:
    """The grid entry of a cell whose group raised: status 'failed', sizes, no measurements."""
    from .models import make_model  # noqa: PLC0415

    model = make_model(group.config.model_config(), (seed,))
    ds = xr.Dataset(
        {
            "status": ((), "failed"),
            "wall_s": ((), float("nan")),
            "n_params": ((), model.n_params),
            "n_params_total": ((), model.n_params_total),
        }
    )
    return ds.expand_dims({k: [storage.plain_coord(v)] for k, v in {**group.coords, "seed": seed}.items()})


def _task(g: Group) -> dict[str, Any]:
    """What `_run_group` receives: the group's config dict, with base_only=True for a base-only grid."""
    return {**g.config.to_dict(), **({"base_only": True} if g.base_only else {})}


def _run_group(
    cfg_dict: dict[str, Any], user_modules: list[dict[str, str]] | None = None, threads: int = 0
) -> xr.Dataset:
    from .config import CellConfig  # noqa: PLC0415

    if threads:
        torch.set_num_threads(threads)
    load_user_modules(user_modules or [])
    cfg = dict(cfg_dict)
    base_only = bool(cfg.pop("base_only", False))
    return run_cell(CellConfig.from_dict(cfg), base_only=base_only)


def _run_groups(
    cfg_dicts: list[dict[str, Any]], user_modules: list[dict[str, str]] | None = None, threads: int = 0
) -> list[xr.Dataset]:
    """The datasets of one run of groups (`fused.fuse`): one group alone (`_run_group`), or several
    that share their pretraining (`fused.run_cells`); the Ray task's entry point."""
    from .config import CellConfig  # noqa: PLC0415

    if len(cfg_dicts) == 1:
        return [_run_group(cfg_dicts[0], user_modules, threads)]
    if threads:
        torch.set_num_threads(threads)
    load_user_modules(user_modules or [])
    return run_cells([CellConfig.from_dict(d) for d in cfg_dicts])


def iter_local(runs: list[list[Group]]) -> Iterator[tuple[Group, xr.Dataset | Exception]]:
    """Each group's dataset (or its exception: recorded as failed; the grid goes on) as it finishes;
    the groups of a run (`fused.fuse`) share their pretraining."""
    from .config import CellConfig  # noqa: PLC0415

    for run in runs:
        left = dict(enumerate(run))
        try:
            if len(run) == 1:
                yield run[0], _run_group(_task(run[0]))
                continue
            for i, ds in iter_cells([CellConfig.from_dict(_task(g)) for g in run]):
                yield left.pop(i), ds
        except Exception as e:  # noqa: BLE001
            yield from ((g, e) for g in left.values())


def iter_ray(
    batches: list[list[Group]], address: str | None, device: str, user_modules: list[dict[str, str]] | None = None
) -> Iterator[tuple[Group, xr.Dataset]]:
    """Each batch of groups (`fused.fuse`) is a Ray task on one CPU and one torch thread (a quarter
    GPU on CUDA); each task first runs the user's modules (their tasks and algorithms); results come
    back to the driver.

    `address` None starts a local instance (or uses the one this process started); a lab's cluster
    is `ray start --head` on one machine, `ray start --address HEAD:6379` on the others, with this
    package installed in the same version everywhere, then `--address HEAD:6379` (or 'auto' on a
    cluster node). The user's files travel as source text with each task."""
    try:
        import ray  # noqa: PLC0415
    except ImportError:
        raise ValueError("--executor ray needs the 'dist' extra: pip install 'aha-playground[dist]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    task = ray.remote(num_cpus=1, num_gpus=0.25 if device == "cuda" else 0)(_run_groups)
    mods = ray.put(list(user_modules or []))
    refs = {task.remote([_task(g) for g in batch], mods, 1): batch for batch in batches}
    while refs:
        ready, _ = ray.wait(list(refs), num_returns=1)
        batch = refs.pop(ready[0])
        try:
            out = ray.get(ready[0])
        except Exception as e:  # noqa: BLE001  (a RayTaskError wraps the group's own exception)
            out = [e] * len(batch)
        yield from zip(batch, out)


def run_grid(
    spec: GridSpec,
    run_dir: Path,
    executor: str = "local",
    address: str | None = None,
    device: str = "auto",
    force: bool = False,
    progress: bool = True,
    on_group: Callable[[Group], None] | None = None,
    user_modules: list[dict[str, str]] | None = None,
    fuse: bool = True,
) -> xr.Dataset:
    """Run every unfinished cell of `spec` into `run_dir`, then write and return grid.nc.
    `user_modules` (`toymodels.plugins.user_module(...)`): the user's files a Ray worker runs first (the local
    executor runs in this process, where they are already loaded). `fuse`: groups that differ only
    in RL knobs run as one batch sharing their pretraining (`toymodels.fused`; the same numbers);
    False: every group on its own."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    dev = resolve_device(device).type
    spec = spec.with_overrides({"device": dev}) if "device" not in spec.axes else spec
    run_dir = Path(run_dir)
    prepare_run_dir(spec, run_dir, force)
    env = environment_info(dev)
    t0 = time.time()
    todo, done = pending_groups(spec, run_dir)
    n_seeds = len(spec.axes["seed"])
    bar = tqdm(total=spec.n_cells, initial=done, unit="cell", disable=not progress, desc=spec.name)
    batches = fuse_groups(todo) if fuse else [[g] for g in todo]
    todo = [g for b in batches for g in b]  # the order they run in
    stream = iter_local(batches) if executor == "local" else iter_ray(batches, address, dev, user_modules)
    if todo and executor == "local":
        bar.set_postfix_str(todo[0].label)
    n_failed = 0
    for i, (g, ds) in enumerate(stream):
        record = failure_path(run_dir, g)
        if isinstance(ds, Exception):
            n_failed += 1
            text = "".join(traceback.format_exception(ds))
            storage.atomic_write_bytes(record, f"{g.label}\n{text}".encode())
            bar.write(f"group {g.label} failed ({type(ds).__name__}: {ds}); traceback in {record}")
        else:
            write_group(run_dir, g, ds)
            record.unlink(missing_ok=True)
        bar.update(n_seeds)
        if executor == "local" and i + 1 < len(todo):
            bar.set_postfix_str(todo[i + 1].label)
        if on_group is not None:
            on_group(g)
    bar.close()
    env["run_wall_s"] = round(time.time() - t0, 2)
    env["failed_groups"] = n_failed
    storage.atomic_write_json(run_dir / "env.json", env)
    return combine_run(spec, run_dir, env)


_PER_CELL_ATTRS = ("config", "cell_id", "model_config", "created")
"""Attributes of a cell file that describe that cell alone; the others pass to grid.nc when all cells agree."""


def _per_cell(like: xr.DataArray, values: list[tuple[dict[str, Any], Any]]) -> xr.DataArray:
    """An array shaped like ``like`` (grid dims) holding each cell's value: (coords, value) pairs."""
    out = xr.full_like(like, np.nan, dtype=float)
    for coords, v in values:
        out.loc[{k: storage.plain_coord(c) for k, c in coords.items()}] = v
    return out


def _flat(cfg) -> dict[str, Any]:
    """A group's config without its seeds (those are the grid's seed axis)."""
    return {k: v for k, v in cfg.to_dict().items() if k != "seeds"}


def combine_run(spec: GridSpec, run_dir: Path, env: dict[str, Any] | None = None) -> xr.Dataset:
    """Combine the cell files of `spec` into run_dir/grid.nc (named dims, config in attrs)."""
    cells, n_eval = [], []
    for g in spec.groups():
        for cfg in g.cell_configs().values():
            n_eval.append(({**g.coords, "seed": cfg["seeds"][0]}, cfg["eval_prompts"]))
            path = run_dir / "cells" / f"{cell_id(cfg)}.nc"
            if path.exists():
                cells.append(storage.load_dataset(path))
            elif failure_path(run_dir, g).exists():
                cells.append(failed_cell(g, cfg["seeds"][0]))
            else:
                raise ValueError(f"cell {cell_id(cfg)} ({g.label}, seed={cfg['seeds'][0]}) is missing; rerun the grid")
    order = {**spec.axes, **({"variant": list(spec.variants)} if spec.variants else {})}
    ds = storage.combine_cells(cells, spec.dims, order)
    env = env or json.loads((run_dir / "env.json").read_text())
    # attrs the cells share (horizon, ...) stay; the per-cell ones are replaced by the grid's
    shared = {k: v for k, v in ds.attrs.items() if k not in _PER_CELL_ATTRS}
    shared.pop("n_eval_prompts", None)
    if len({n for _, n in n_eval}) == 1:  # the binomial fits' trial count (aha fit)
        shared["n_eval_prompts"] = n_eval[0][1]
    else:
        ds["n_eval_prompts"] = storage.drop_constant_dims(_per_cell(ds["status"], n_eval))
    ds.attrs = {
        **shared,
        "config": json.dumps(spec.to_dict(), sort_keys=True, default=str),
        # every group's config with its axis values (a grid that sweeps the horizon keeps each
        # horizon's); cell_config, the first group's, stays for readers of earlier grid.nc files
        "group_configs": json.dumps([{**_flat(g.config), "coords": g.coords} for g in spec.groups()], default=str),
        "cell_config": json.dumps(_flat(spec.groups()[0].config), default=str),
        "package_version": env["package_version"],
        "git_commit": env["git_commit"] or "unknown",
        "torch_version": env["torch_version"],
        "device": env["device"],
        "created": env["created"],
    }
    storage.atomic_write_dataset(run_dir / "grid.nc", ds)
    return ds


def record_timing(run_dir: Path, grid_s: float, total_s: float) -> None:
    """Add this invocation's wall times to env.json: the one place every report reads them from."""
    path = run_dir / "env.json"
    env = json.loads(path.read_text()) if path.exists() else {}
    env["timing"] = {
        "grid_s": round(grid_s, 1),
        "report_s": round(total_s - grid_s, 1),
        "total_s": round(total_s, 1),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    storage.atomic_write_json(path, env)
