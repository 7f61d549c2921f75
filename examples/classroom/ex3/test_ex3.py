"""Autograder of exercise 3: phi against theory/credit.py and a simulation, thresholds on random inputs, and
the signal per width on a random run and on the shipped demo."""

import numpy as np
import pytest
import xarray as xr

from theory.credit import phi as phi_ref

rng = np.random.default_rng(3)


def test_phi_matches_the_closed_form(graded):
    p = rng.uniform(0, 1, 7)
    for G in (2, 5, 8, 13):
        got = np.asarray(graded.phi(p, G), dtype=float)
        assert got.shape == p.shape, f"phi must accept an array of p and return the same shape, got {got.shape}"
        np.testing.assert_allclose(
            got,
            phi_ref(p, G),
            rtol=1e-10,
            err_msg=(
                f"phi(p, G={G}) is wrong: a group is uninformative when all G rewards fail (probability (1-p)^G) "
                "or all pass (p^G)"
            ),
        )


def test_phi_matches_a_simulation(graded):
    p, G = 0.17, 6
    groups = rng.random((200_000, G)) < p
    informative = (groups.any(1) & ~groups.all(1)).mean()
    assert float(graded.phi(p, G)) == pytest.approx(informative, abs=0.005), "phi disagrees with simulated groups"


def test_min_accuracy(graded):
    for G, target in ((8, 0.5), (4, 0.3), (16, 0.9), (64, 0.2)):
        got = graded.min_accuracy(G, target)
        assert float(phi_ref(got, G)) >= target - 1e-5, (
            f"min_accuracy({G}, {target}) = {got}: phi is below target there"
        )
        assert float(phi_ref(got - 1e-5, G)) < target, (
            f"min_accuracy({G}, {target}) = {got} is not the smallest: phi already reaches the target below it"
        )
    assert np.isnan(graded.min_accuracy(2, 0.9)), "with G = 2, phi never exceeds 0.5: return NaN for target 0.9"


def test_size_threshold(graded):
    sizes = np.array([5e5, 2e3, 8e4, 1e4, 3e5])  # not sorted on purpose
    acc = np.array([0.7, 0.0005, 0.08, 0.01, 0.4])
    for G, target in ((8, 0.5), (32, 0.5), (8, 0.95)):
        ok = phi_ref(acc, G) >= target
        want = sizes[ok].min() if ok.any() else np.nan
        got = graded.size_threshold(sizes, acc, G, target)
        assert got == pytest.approx(want, nan_ok=True), (
            f"size_threshold(G={G}, target={target}) = {got}, expected {want}: the smallest size (the sizes are "
            "not sorted) whose base accuracy gives phi >= target"
        )
    assert np.isnan(graded.size_threshold(sizes, np.full(5, 1e-6), 8, 0.5)), "no size qualifies: return NaN"


def _reference(ds, G):
    ok = ds.status == "ok"
    mean = lambda da: da.where(ok).mean([d for d in da.dims if d != "width"]).values  # noqa: E731
    phi_of = lambda da: da.copy(data=phi_ref(da.values, G))  # noqa: E731
    base = ds.base_pass_at_k.sel(k=1, split="id")
    trace = ds.base_trace_pass_at_k.sel(k=1, split="id")
    return {
        "answer_phi": mean(phi_of(base)),
        "trace_phi": mean(phi_of(trace)),
        "gain": mean(ds.rl_pass_at_k.sel(k=1, split="id") - base),
    }


def _random_run():
    """A run the files do not contain: 3 widths, 2 depths, 3 seeds, one failed cell holding garbage."""
    shape = dict(width=[8, 32, 16], depth=[1, 2], seed=[0, 1, 2], split=["id", "ood"], k=[1, 4])
    dims = tuple(shape)
    var = lambda: xr.DataArray(rng.uniform(0, 1, [len(v) for v in shape.values()]), dims=dims)  # noqa: E731
    status = xr.DataArray(np.full((3, 2, 3), "ok", dtype="<U8"), dims=("width", "depth", "seed"))
    status[1, 0, 2] = "failed"
    ds = xr.Dataset(
        {"base_pass_at_k": var(), "base_trace_pass_at_k": var(), "rl_pass_at_k": var(), "status": status},
        coords=shape,
    )
    ds["rl_pass_at_k"][dict(width=1, depth=0, seed=2)] = 50.0  # the failed cell's garbage must not count
    return ds


def test_signal_by_width(graded, demo_run):
    for name, ds, G in (("a random run", _random_run(), 5), ("the shipped demo", None, 8)):
        if ds is None:
            ds = xr.open_dataset(demo_run / "grid.nc", engine="h5netcdf").load()
        got, want = graded.signal_by_width(ds, G), _reference(ds, G)
        assert isinstance(got, dict) and set(want) <= set(got), f"return a dict with the keys {sorted(want)}"
        for key, w in want.items():
            g = np.asarray(got[key], dtype=float)
            assert g.shape == w.shape, f"{key} on {name}: one value per width, shape {w.shape}, got {g.shape}"
            np.testing.assert_allclose(
                g,
                w,
                rtol=1e-9,
                atol=1e-12,
                err_msg=(
                    f"{key} on {name} (G={G}): split='id', k=1; phi per cell, then the mean over the cells with "
                    "status 'ok' at each width (seeds and depths), in the order of ds.width"
                ),
            )
