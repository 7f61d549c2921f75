"""load_dataset/atomic_write_dataset go through storage._MemoH5File (issue 24: h5netcdf's path lookups
were most of their CPU); what is on disk and what comes back must be what plain xarray gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from toymodels.storage import ENGINE, atomic_write_dataset, load_dataset

DEMO = Path(__file__).resolve().parents[1] / "docs" / "demo" / "grid.nc"


def _cell() -> xr.Dataset:
    """One cell of the demo grid as a cell file holds it: length-1 grid dims, step/split/k curves,
    string variables (status, rl_health), a NaN."""
    with xr.open_dataset(DEMO, engine=ENGINE) as g:
        ds = g.isel({d: slice(0, 1) for d in ("width", "depth", "seed") if d in g.dims}).load()
    ds = ds.drop_encoding()
    ds["reward"][..., 1] = np.nan
    return ds


def _same_encoding(a: dict, b: dict) -> bool:
    fa, fb = a.pop("_FillValue", None), b.pop("_FillValue", None)
    return a == b and (fa is fb or np.array_equal(fa, fb, equal_nan=True))


@pytest.mark.parametrize("which", ["cell", "grid"])
def test_write_and_load_match_plain_xarray(tmp_path, monkeypatch, which):
    ds = _cell() if which == "cell" else xr.open_dataset(DEMO, engine=ENGINE).load()
    assert {"status", "rl_health"} <= set(ds.data_vars) and bool(ds["reward"].isnull().any()) == (which == "cell")
    ours, plain = tmp_path / "ours.nc", tmp_path / "plain.nc"
    atomic_write_dataset(ours, ds)
    ds.to_netcdf(plain, engine=ENGINE)
    assert ours.read_bytes() == plain.read_bytes()  # the same file, byte for byte
    assert not list(tmp_path.glob(".*.tmp"))

    monkeypatch.chdir(tmp_path)  # a relative path: the recorded source is absolute either way
    got = load_dataset(Path("ours.nc"))
    with xr.open_dataset("ours.nc", engine=ENGINE) as ref:
        ref.load()
    xr.testing.assert_identical(got, ref)
    xr.testing.assert_identical(got, ds)
    assert got.attrs == ref.attrs and got.encoding == ref.encoding
    for name in ref.variables:
        assert got[name].attrs == ref[name].attrs, name
        assert got[name].dtype == ref[name].dtype, name
        assert _same_encoding(dict(got[name].encoding), dict(ref[name].encoding)), name
    assert got["status"].dtype.kind == "U" and got["status"].values.ravel()[0] == ds["status"].values.ravel()[0]


def test_rewriting_a_loaded_file_keeps_its_bytes(tmp_path):
    """A file read back and written again (a study re-reads and rewrites cells) comes out the same
    as plain xarray writes it, encodings from the read included."""
    first = tmp_path / "first.nc"
    atomic_write_dataset(first, _cell())
    again = load_dataset(first)
    atomic_write_dataset(tmp_path / "ours.nc", again)
    with xr.open_dataset(first, engine=ENGINE) as ref:
        ref.load().to_netcdf(tmp_path / "plain.nc", engine=ENGINE)
    assert (tmp_path / "ours.nc").read_bytes() == (tmp_path / "plain.nc").read_bytes()


def test_unreadable_file_is_one_line(tmp_path):
    bad = tmp_path / "cells" / "abc.nc"
    bad.parent.mkdir()
    bad.write_bytes(b"not a netcdf file")
    with pytest.raises(ValueError, match=r"abc\.nc is unreadable.*delete it and rerun") as e:
        load_dataset(bad)
    assert "\n" not in str(e.value)
