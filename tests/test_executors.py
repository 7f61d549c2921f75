"""Issue 24 item 7: the Ray executor runs what a user registers in their own file (a task, an RL
algorithm, presets, studies) on a real local Ray instance (2 workers, one thread each), with the
same results as the local executor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xarray as xr

import envs
from aha.cli import main
from toymodels import storage
from toymodels.algos import ALGORITHMS
from toymodels.runner import load_user_modules, user_module

ROOT = Path(__file__).resolve().parents[1]
MY_LAB = ROOT / "examples" / "extending" / "my_lab.py"
TINY_SETS = ["width=8", "seed=0", "pretrain_tokens=2000", "rl_updates=2", "eval_prompts=8", "k_max=4"]


@pytest.fixture
def unregister():
    yield
    envs.unregister_task("Reverse")
    ALGORITHMS.pop("sign_grpo", None)


def comparable(ds: xr.Dataset) -> xr.Dataset:
    out = ds.drop_vars("wall_s")
    out.attrs = {k: v for k, v in ds.attrs.items() if k != "created"}
    return out


def test_ray_runs_a_users_presets_file_like_local(tmp_path, ray_cluster, unregister):
    """my_lab.py's preset on its own task with its own algorithm: `aha grid --executor ray` gives
    the local executor's grid.nc."""
    args = ["grid", "--presets-file", str(MY_LAB), "--preset", "reverse-lab", "--quiet", "--no-report"]
    for s in TINY_SETS:
        args += ["--set", s]
    assert main([*args, "--out", str(tmp_path / "local")]) == 0
    assert main([*args, "--out", str(tmp_path / "ray"), "--executor", "ray"]) == 0
    local, ray = (storage.load_dataset(tmp_path / d / "grid.nc") for d in ("local", "ray"))
    assert (ray.status == "ok").all() and list(ray.variant.values) == ["grpo", "sign", "reinforce"]
    assert float(ray.chance.max()) == pytest.approx(1e-3)  # Reverse n = 3 ran on the workers
    xr.testing.assert_equal(comparable(ray), comparable(local))
    assert not list((tmp_path / "ray").glob("failed/*"))


def test_ray_runs_a_users_studies_file(tmp_path, ray_cluster, unregister):
    """`aha study --executor ray` with a studies file that registers its own task."""
    studies = tmp_path / "my_studies.py"
    studies.write_text(
        f"""from aha.presets import load_presets_file
from aha.studies import Budget, Study
from toymodels.grid import GridSpec

load_presets_file({str(MY_LAB)!r})  # registers Reverse and sign_grpo
FIXED = {{"task": "Reverse", "horizon": 3, "pretrain_tokens": 2000, "rl_updates": 2, "eval_prompts": 8, "k_max": 4}}
GRID = GridSpec("base", {{"width": [8, 16], "depth": [1], "seed": [0]}}, FIXED)
STUDIES = {{"lab": lambda: Study("lab", grids=[GRID], analyses=["C1"], budget=Budget(refine_rounds=0), n_boot=10)}}
"""
    )
    out = tmp_path / "study"
    rc = main(["study", "lab", "--studies-file", str(studies), "--out", str(out), "--executor", "ray", "--quiet"])
    assert rc == 0
    ds = storage.load_dataset(out / "grids" / "base" / "grid.nc")
    assert (ds.status == "ok").all() and float(ds.chance.max()) == pytest.approx(1e-3)


def test_user_modules_run_once_under_their_own_name(tmp_path, unregister):
    path = tmp_path / "mine.py"
    path.write_text("import itertools\nCOUNT = next(itertools.count())\nHITS = []\n")
    mod = user_module("aha_user_test_mine", path)
    assert json.loads(json.dumps(mod)) == mod  # plain data: it travels to any worker
    load_user_modules([mod])
    import sys  # noqa: PLC0415

    sys.modules["aha_user_test_mine"].HITS.append(1)
    load_user_modules([mod])  # a worker runs each task's list: the module is not run twice
    assert sys.modules["aha_user_test_mine"].HITS == [1]
    del sys.modules["aha_user_test_mine"]
