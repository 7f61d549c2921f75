"""`aha study --reuse DIR` takes a finished grid only when it holds the study's spec: a grid of the
same name with another config (the study changed it since DIR was written) is left in DIR and
runs, instead of being copied and then refused ('holds another grid ... delete it')."""

from __future__ import annotations

import json

import xarray as xr

from toymodels.grid import GridSpec
from toymodels.reuse import finished_grid, reuse_grids


def _spec(name: str, **fixed) -> GridSpec:
    return GridSpec(name, {"width": [8], "depth": [1], "seed": [0]}, {"task": "ModChain", "horizon": 5, **fixed})


def _write(path, spec: GridSpec) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    xr.Dataset(attrs={"config": json.dumps(spec.to_dict(), default=str)}).to_netcdf(path)


def test_reuse_takes_a_grid_of_the_same_spec_and_leaves_one_that_changed(tmp_path):
    src, out = tmp_path / "shipped", tmp_path / "out"
    same, changed = _spec("threshold"), _spec("signals", horizon=3)
    _write(src / "grids" / "threshold.nc", same)
    _write(src / "grids" / "signals.nc", _spec("signals"))  # the study's signals grid changed since
    copied = reuse_grids([same, changed], [src], out)
    assert copied == ["threshold"]
    assert finished_grid(same, out / "grids" / "threshold") is not None
    assert not (out / "grids" / "signals").exists()
    assert finished_grid(changed, out / "grids" / "signals") is None  # it runs
