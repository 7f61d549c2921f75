"""`aha demo` ends by comparing its headline figures with the shipped docs/demo ones, from the
files of both runs, each against a stated spread (issue 26, item 1: the mechanism)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from aha import cli
from aha.demo_check import SHIPPED, compare_with_shipped
from toymodels.results import ok_only, rl_gain
from toymodels.storage import atomic_write_dataset, load_dataset


@pytest.fixture
def mine(tmp_path) -> Path:
    run = tmp_path / "demo"
    shutil.copytree(SHIPPED, run, ignore=shutil.ignore_patterns("figures", "report.md", "repro.json"))
    return run


def test_the_shipped_run_against_itself_is_within_every_spread(mine):
    lines = compare_with_shipped(mine)
    text = "\n".join(lines)
    assert lines[0].startswith("Your demo against the shipped one")
    fits = json.loads((SHIPPED / "fits.json").read_text())  # what the shipped run says, read not typed
    ok = ok_only(load_dataset(SHIPPED / "grid.nc"))
    mean = float(rl_gain(ok).mean())
    assert f"mean RL gain in pass@1 (all cells): yours {mean:+.2f}, shipped {mean:+.2f}; difference +0.00" in text
    assert "OUTSIDE" not in text and "6 of 6 gain figures within the expected spread" in text
    word = fits["H1"]["rl_gain"]["verdict"]
    assert f"H1 verdict: yours `{word}`, shipped `{word}`: the same" in text
    assert re.search(r"collapses \(RL made pass@1 worse\): yours (\d+) of 15, shipped \1 of 15", text)
    assert "measured for the shipped demo: two runs on one machine" in text  # repro.json, read not typed


def test_a_difference_beyond_the_seed_spread_is_flagged(mine):
    ds = load_dataset(mine / "grid.nc")
    base = ds["base_pass_at_k"].sel(width=8, split="id", k=1)
    ds["rl_pass_at_k"].loc[dict(width=8, split="id", k=1)] = base + 0.5  # width 8 now gains +0.5 in every seed
    atomic_write_dataset(mine / "grid.nc", ds)
    text = "\n".join(compare_with_shipped(mine))
    w8 = next(line for line in text.splitlines() if "width 8:" in line)
    assert "yours +0.50" in w8 and w8.endswith("OUTSIDE")
    assert "5 of 6 gain figures within" in text or "4 of 6 gain figures within" in text


def test_another_grid_is_not_compared(mine):
    import json

    ds = load_dataset(mine / "grid.nc")
    spec = json.loads(ds.attrs["config"])
    spec["fixed"]["rl_updates"] = 10
    ds.attrs["config"] = json.dumps(spec)
    atomic_write_dataset(mine / "grid.nc", ds)
    lines = compare_with_shipped(mine)
    assert len(lines) == 2 and "not comparable" in lines[1]


def test_aha_demo_prints_the_comparison_last(mine, monkeypatch, capsys):
    monkeypatch.setattr(cli, "cmd_grid", lambda args: 0)  # the grid itself is the demo's minutes, not this test's
    assert cli.main(["demo", "--out", str(mine), "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("Your demo against the shipped one") and "gain figures within" in "\n".join(out)


def test_one_thread_is_said_in_the_singular():
    from aha.demo_check import _timing  # noqa: PLC0415

    assert (
        _timing({"timing": {"total_s": 186, "cpus": 2, "torch_threads": 1}}) == "3.1 min on 2 CPU cores, 1 torch thread"
    )
    assert _timing({"timing": {"total_s": 120, "cpus": 2, "torch_threads": 2}}).endswith("2 torch threads")


def test_the_expected_spread_of_two_runs_by_hand():
    """theory.two_runs on two (width, seed) tables worked by hand: sd over the reference's seeds."""
    import numpy as np  # noqa: PLC0415
    import xarray as xr  # noqa: PLC0415

    from theory.two_runs import mean_differences  # noqa: PLC0415

    ref = xr.DataArray([[0.0, 0.0], [0.0, 1.0]], dims=("width", "seed"), coords={"width": [8, 16]})
    mine = xr.DataArray([[0.5, 0.5], [0.5, 0.5]], dims=("width", "seed"), coords={"width": [8, 16]})
    rows = mean_differences(mine, ref, z=2.0)
    assert [r["width"] for r in rows] == [None, 8, 16]
    # sd at width 16 = sqrt(0.5); per width: sd * sqrt(2/S) = 0.707 -> spread 1.414; all: sqrt(2*0.5/2)/2
    assert np.isclose(rows[2]["spread"], 2 * np.sqrt(0.5)) and rows[2]["within"] and rows[2]["difference"] == 0.0
    assert rows[1]["spread"] == 0.0 and not rows[1]["within"] and rows[1]["difference"] == 0.5
    assert np.isclose(rows[0]["spread"], 2 * np.sqrt(0.5) / 2) and rows[0]["within"]
