"""`aha study --reuse DIR` takes a finished grid only when it holds the study's spec: a grid of the
same name with another config (the study changed it since DIR was written) is left in DIR and
runs, instead of being copied and then refused ('holds another grid ... delete it')."""

from __future__ import annotations

import json

import pytest
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


def _cell(variant: str, steps: list[int]) -> xr.Dataset:
    """One cell as the runner stores it: scalars per cell, curves and samples over its own steps."""
    ds = xr.Dataset(
        {
            "pretrain_loss": xr.DataArray(1.25),
            "status": xr.DataArray("ok"),
            "reward": ("step", [0.1 * i for i in range(len(steps))]),
            "samples": ("step", [64 * (s + 1) for s in steps]),
        },
        coords={"step": steps},
    )
    return ds.expand_dims({"width": [8], "depth": [1], "variant": [variant], "seed": [0]})


def test_cells_with_longer_rl_keep_their_scalars_per_cell():
    """A curriculum arm with extra ramp updates logs more steps than plain RL: the grid's step axis is
    the union, the shorter cells' curves end in NaN, and per-cell scalars gain no step dimension (they
    were broadcast over step, and cells.csv could not read them: 'only 0-dimensional arrays')."""
    from toymodels.storage import combine_cells

    ds = combine_cells([_cell("plain", [0, 5, 9]), _cell("curriculum", [0, 5, 10, 14])], ["width", "depth", "variant"])
    assert ds["pretrain_loss"].dims == ("width", "depth", "variant", "seed")
    assert "step" not in ds["status"].dims
    assert list(ds.step.values) == [0, 5, 9, 10, 14]
    assert ds["reward"].sel(variant="plain", step=14).isnull().all()
    assert float(ds["reward"].sel(variant="curriculum", step=14).squeeze()) == pytest.approx(0.3)


def test_a_cells_curves_end_where_it_stopped_logging():
    """cells.csv's curve measures (final reward, entropy kept, ...) read the last updates: a plain cell
    in a grid whose curriculum arm logged longer must end at its own last step, not in NaN."""
    from toymodels.cells import _own_steps
    from toymodels.storage import combine_cells

    ds = combine_cells([_cell("plain", [0, 5, 9]), _cell("curriculum", [0, 5, 10, 14])], ["width", "depth", "variant"])
    plain = _own_steps(ds.sel(width=8, depth=1, variant="plain", seed=0), ds)
    assert list(plain["step"]) == [0, 5, 9] and list(plain["reward"]) == pytest.approx([0.0, 0.1, 0.2])
    longer = _own_steps(ds.sel(width=8, depth=1, variant="curriculum", seed=0), ds)
    assert list(longer["step"]) == [0, 5, 10, 14]
