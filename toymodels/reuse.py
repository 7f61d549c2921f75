"""A study's grids beyond its own list: the grids of a refinement round, and finished grids taken
over instead of run (`aha study --reuse DIR`: a shipped study's grids/<name>.nc, a study
directory's grids/<name>/grid.nc or one `aha grid` run directory, each taken only when it holds
the same grid spec). Moved from aha/study.py (issue 21)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import xarray as xr

from . import storage
from .grid import GridSpec, nearest_by_width


def _same_spec(ds: xr.Dataset, spec: GridSpec) -> bool:
    """A finished grid.nc holds ``spec``'s grid (the device the runner records aside)."""
    try:
        old = json.loads(ds.attrs.get("config", "{}"))
    except (TypeError, ValueError):
        return False
    new = json.loads(json.dumps(spec.to_dict(), default=str))
    for d in (old, new):
        d.get("fixed", {}).pop("device", None)
    return old == new


def finished_grid(spec: GridSpec, out: Path) -> xr.Dataset | None:
    """A grid taken over whole (``--reuse``, a shipped study): OUT/grid.nc without cells/ to resume
    from, holding the same spec; None when the grid runs (or resumes) as usual."""
    if (out / "cells").is_dir() or not (out / "grid.nc").is_file():
        return None
    ds = storage.load_dataset(out / "grid.nc")
    if not _same_spec(ds, spec):
        raise ValueError(
            f"{out / 'grid.nc'} holds another grid than the study's {spec.name!r} (its config "
            "differs) and has no cells/ to resume from; delete it or use another --out"
        )
    return ds


def reuse_grids(specs: list[GridSpec], sources: list[Path], out: Path, skip: set[str] | None = None) -> list[str]:
    """Copy finished grids from ``sources`` into OUT/grids/<name>/grid.nc for the study's grids (and
    their refinement rounds, named <grid>-refine...) that OUT lacks; a source is a shipped study
    (DIR/grids/<name>.nc, e.g. docs/study), a study directory (DIR/grids/<name>/grid.nc) or one
    `aha grid` run (DIR/grid.nc). A grid of the study's list is taken only when its spec equals the
    study's (one that changed since DIR was written stays there and runs); a refinement round, whose
    spec follows from its grid's cells, is checked when the study reaches it. The grids named in
    ``skip`` (and their refinement rounds) are never taken. Returns the names copied."""
    by_name = {s.name: s for s in specs}
    names = set(by_name) - set(skip or ())
    found: dict[str, Path] = {}
    for src in map(Path, sources):
        if not src.is_dir():
            raise ValueError(f"--reuse {src} is not a directory")
        cands = [*(src / "grids").glob("*.nc"), *(src / "grids").glob("*/grid.nc"), src / "grid.nc"]
        for f in cands:
            if not f.is_file():
                continue
            name = (
                f.stem
                if f.name != "grid.nc"
                else f.parent.name
                if f.parent != src
                else json.loads(storage.load_dataset(f).attrs.get("config", "{}")).get("name", "")
            )
            if name in by_name and name in names and not _same_spec(storage.load_dataset(f), by_name[name]):
                continue
            if name in names or any(name.startswith(f"{n}-refine") for n in names):
                found.setdefault(name, f)
    copied = []
    for name, f in sorted(found.items()):
        dest = out / "grids" / name
        if dest.exists():
            continue
        dest.mkdir(parents=True)
        shutil.copy2(f, dest / "grid.nc")
        copied.append(name)
    return copied


def refinement_specs(
    spec: GridSpec, round_: int, new_widths: list[int], more_seeds: dict, refine_seeds: int
) -> list[GridSpec]:
    """The grids of refinement round ``round_`` of ``spec`` (theory.refine.propose_refinement): the new
    widths with ``refine_seeds`` seeds (<name>-refine<r>), and the seeds added at existing widths,
    one grid per seed list (<name>-refine<r>-seeds<j>). Per-width overrides (``spec.by_width``, an lr
    sweep's choice) follow each width by `nearest_by_width`."""
    out = []

    def grid(name, axes):
        by_width = nearest_by_width(spec.by_width, axes["width"])
        return GridSpec(name, axes, dict(spec.fixed), spec.description, by_width=by_width)

    if new_widths:
        axes = {**spec.axes, "width": new_widths, "seed": list(range(refine_seeds))}
        out.append(grid(f"{spec.name}-refine{round_}", axes))
    by_seeds: dict[tuple, list[int]] = {}
    for w, seeds in more_seeds.items():
        by_seeds.setdefault(tuple(seeds), []).append(w)
    for j, (seeds, ws) in enumerate(sorted(by_seeds.items())):
        axes = {**spec.axes, "width": sorted(ws), "seed": list(seeds)}
        out.append(grid(f"{spec.name}-refine{round_}-seeds{j}", axes))
    return out
