"""The grid runner: spec validation, kill-and-resume, the Ray executor (with a user's own presets and
studies files), run-directory safety."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

import envs
from aha.cli import main
from toymodels import storage
from toymodels.algos import ALGORITHMS
from toymodels.grid import GridSpec, cell_id
from toymodels.plugins import load_user_modules, user_module
from toymodels.results import group_configs
from toymodels.runner import run_grid

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "data"))
from tiny_presets import TINY, tiny  # noqa: E402

AHA = [sys.executable, "-m", "aha.cli"]
PRESETS_FILE = str(HERE / "data" / "tiny_presets.py")


def comparable(ds: xr.Dataset) -> xr.Dataset:
    """Everything but timings (wall_s and the creation time differ between runs by nature)."""
    out = ds.drop_vars("wall_s")
    out.attrs = {k: v for k, v in ds.attrs.items() if k != "created"}
    return out


WIDTHS = [8, 16, 32]
"""The tiny preset on three of its widths: three groups of two seeds each are all the runner's tests
need (a kill between groups, several Ray tasks, a failing group between two that run)."""


def grid() -> GridSpec:
    return tiny().with_overrides({"width": WIDTHS})


@pytest.fixture(scope="module")
def reference_dir(tmp_path_factory) -> Path:
    """The grid run once, uninterrupted, in-process: its run directory (copy it before writing)."""
    run = tmp_path_factory.mktemp("ref") / "run"
    run_grid(grid(), run, progress=False)
    return run


@pytest.fixture(scope="module")
def reference(reference_dir) -> xr.Dataset:
    return storage.load_dataset(reference_dir / "grid.nc")


def copy_of(reference_dir: Path, to: Path, drop: dict[int, list[int]] | None = None) -> Path:
    """The reference run directory copied to `to`, less the cell files of `drop` (width -> seeds)."""
    shutil.copytree(reference_dir, to)
    for g in grid().groups():
        for seed, cfg in g.cell_configs().items():
            if seed in (drop or {}).get(g.coords["width"], []):
                (to / "cells" / f"{cell_id(cfg)}.nc").unlink()
    return to


def test_spec_validation_names_the_field():
    with pytest.raises(ValueError, match="bogus"):
        GridSpec("x", axes={"width": [8], "depth": [1], "seed": [0], "bogus": [1]})
    with pytest.raises(ValueError, match="'depth'"):
        GridSpec("x", axes={"width": [8], "seed": [0]})
    with pytest.raises(ValueError, match="width"):
        GridSpec("x", axes={"width": [0], "depth": [1], "seed": [0]}, fixed=dict(TINY))
    with pytest.raises(ValueError, match="non-empty"):
        GridSpec("x", axes={"width": [], "depth": [1], "seed": [0]})


def test_grid_dataset_has_named_dims(reference):
    ds = reference
    assert list(ds.status.dims) == ["width", "depth", "seed"]
    assert set(ds.base_pass_at_k.dims) == {"width", "depth", "seed", "split", "k"}
    assert ds.n_params.dims == ("width",)  # constant over depth=1 and seed
    assert (ds.n_params.diff("width") > 0).all()
    assert set(ds.status.values.ravel()) <= {"ok", "diverged", "failed"}
    assert float(ds.chance.sel(split="id")) == pytest.approx(0.1)
    assert "config" in ds.attrs and "git_commit" in ds.attrs


def test_rerun_skips_finished_cells(tmp_path, reference, reference_dir):
    """A finished run, run again: no cell file is rewritten and grid.nc is the same. (A fresh
    in-process run equal to the reference: test_a_failing_group_is_recorded_and_retried.)"""
    run = copy_of(reference_dir, tmp_path / "run")
    stamps = {p: p.stat().st_mtime_ns for p in (run / "cells").glob("*.nc")}
    assert len(stamps) == grid().n_cells
    again = run_grid(grid(), run, progress=False)
    assert {p: p.stat().st_mtime_ns for p in (run / "cells").glob("*.nc")} == stamps
    xr.testing.assert_identical(comparable(again), comparable(reference))


def test_kill_minus_nine_then_resume_equals_uninterrupted(tmp_path, reference):
    run = tmp_path / "killed"
    cmd = [
        *AHA,
        "grid",
        "--preset",
        "tiny",
        "--presets-file",
        PRESETS_FILE,
        "--set",
        "width=" + ",".join(map(str, WIDTHS)),
        "--out",
        str(run),
        "--quiet",
        "--no-report",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and not list((run / "cells").glob("*.nc")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_before = len(list((run / "cells").glob("*.nc")))
    assert 0 < n_before < grid().n_cells, "the kill should land in the middle of the grid"
    assert not (run / "grid.nc").exists()
    assert main(cmd[len(AHA) :]) == 0  # the same command resumes (here in-process: one interpreter less)
    resumed = storage.load_dataset(run / "grid.nc")
    xr.testing.assert_equal(comparable(resumed), comparable(reference))


def test_ray_executor_equals_local(tmp_path, reference, ray_cluster):
    ds = run_grid(grid(), tmp_path / "ray", executor="ray", progress=False)
    xr.testing.assert_equal(comparable(ds), comparable(reference))


# --- issue 24 item 7: the Ray executor runs what a user registers in their own file (a task, an RL
# algorithm, presets, studies) on the same local Ray instance (2 workers, one thread each) -----------
MY_LAB = HERE.parent / "examples" / "extending" / "my_lab.py"
TINY_SETS = ["width=8", "seed=0", "pretrain_tokens=2000", "rl_updates=2", "eval_prompts=8", "k_max=4"]


@pytest.fixture
def unregister():
    yield
    envs.unregister_task("Reverse")
    ALGORITHMS.pop("sign_grpo", None)


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


def test_other_config_in_same_dir_needs_force(tmp_path):
    spec = tiny().with_overrides({"width": [8], "seed": [0]})
    run_grid(spec, tmp_path / "run", progress=False)
    other = spec.with_overrides({"rl_updates": 2})
    with pytest.raises(ValueError, match="different config.*--force"):
        run_grid(other, tmp_path / "run", progress=False)
    ds = run_grid(other, tmp_path / "run", force=True, progress=False)
    assert ds.sizes["step"] == 2


def test_corrupt_cell_file_gives_one_line_error(tmp_path):
    spec = tiny().with_overrides({"width": [8], "seed": [0]})
    run_grid(spec, tmp_path / "run", progress=False)
    cell = next((tmp_path / "run" / "cells").glob("*.nc"))
    cell.write_bytes(b"not a netcdf file")
    with pytest.raises(ValueError, match=r"unreadable.*delete it and rerun"):
        run_grid(spec, tmp_path / "run", progress=False)


def test_a_failing_group_is_recorded_and_retried(tmp_path, monkeypatch, reference, reference_dir):
    """A group that raises does not stop the grid: status 'failed', traceback kept, rerun retries.
    The run resumes the reference's cells but width 16's (which fails) and one seed of width 32's
    (the whole group runs again, after the failure, fresh in this process): equal to the reference."""
    import toymodels.runner as runner

    real = runner._run_group

    def flaky(cfg_dict):
        if cfg_dict["width"] == 16:
            raise MemoryError("simulated out-of-memory")
        return real(cfg_dict)

    monkeypatch.setattr(runner, "_run_group", flaky)
    ran = []
    monkeypatch.setattr(runner, "write_group", lambda d, g, ds, _w=runner.write_group: ran.append(g) or _w(d, g, ds))
    run = copy_of(reference_dir, tmp_path / "run", drop={16: [0, 1], 32: [0]})
    ds = run_grid(grid(), run, progress=False)
    assert [g.coords["width"] for g in ran] == [32]  # the grid went on after the failure
    assert (ds.status.sel(width=16) == "failed").all() and (ds.status.sel(width=[8, 32]) == "ok").all()
    assert ds.base_pass_at_k.sel(width=16).isnull().all() and ds.n_params.sel(width=16) > 0
    assert (ds.rl_health.sel(width=16) == "n/a").all()  # nothing to judge
    assert set(ds.rl_health.sel(width=8).values.ravel()) <= {"ok", "no-signal", "broke-capable", "malformed"}
    (record,) = (tmp_path / "run" / "failed").glob("*.txt")
    assert "simulated out-of-memory" in record.read_text()
    monkeypatch.setattr(runner, "_run_group", real)
    again = run_grid(grid(), tmp_path / "run", progress=False)
    assert not list((tmp_path / "run" / "failed").glob("*.txt"))
    xr.testing.assert_equal(comparable(again), comparable(reference))


def test_combined_grid_keeps_n_eval_prompts_and_binomial_h1_runs(tmp_path, reference):
    """Item 14: grid.nc carries n_eval_prompts, so aha fit's binomial post-RL H1 fit runs."""
    from aha.fit import fit_run

    assert reference.attrs["n_eval_prompts"] == TINY["eval_prompts"]
    assert reference.attrs["horizon"] == TINY["horizon"]  # the cells' other shared attrs survive too
    run = tmp_path / "run"
    storage.atomic_write_dataset(run / "grid.nc", reference)
    out = fit_run(run, n_boot=20)
    h1 = out["fits"]["H1"]["rl_pass1"]
    ok = int((reference.status == "ok").sum())
    assert h1["likelihood"] == "binomial" and h1["n_obs"] == ok
    assert "H1 post-RL pass@1" in out["markdown"]


def test_swept_eval_prompts_become_a_variable(tmp_path):
    """When eval_prompts is an axis, n_eval_prompts varies by cell: a variable, not one attribute."""
    spec = tiny().with_overrides({"width": [8], "seed": [0], "eval_prompts": [4, 8]})
    ds = run_grid(spec, tmp_path / "run", progress=False)
    assert "n_eval_prompts" not in ds.attrs
    assert ds.n_eval_prompts.sel(eval_prompts=4).item() == 4 and ds.n_eval_prompts.sel(eval_prompts=8).item() == 8


def test_variants_axis_and_string_values_survive_grid_nc(tmp_path):
    """A variants axis (its own dim, after the shape axes) and string axis values of different lengths
    ('transformer', 'mlp'; variant names 'plain', 'dense-reward') stored whole: the first cell file's
    fixed-width string dtype must not truncate the others in grid.nc. (One grid for what
    test_variants_axis and test_string_axis_values_survive_grid_nc checked on two.)"""
    spec = GridSpec(
        "strings",
        axes={"width": [8], "depth": [1], "model_kind": ["mlp", "transformer"], "seed": [0]},
        fixed=dict(TINY),
        variants={"plain": {}, "dense-reward": {"reward": "dense"}},
    )
    ds = run_grid(spec, tmp_path / "run", progress=False)
    assert list(ds.variant.values) == ["plain", "dense-reward"]
    assert ds.status.dims == ("width", "depth", "model_kind", "variant", "seed")
    # every group's config is recorded with its axis values, not only the first group's (issue 21)
    groups = [(g["coords"]["model_kind"], g["coords"]["variant"], g["reward"]) for g in group_configs(ds)]
    assert groups == [
        ("mlp", "plain", "sparse"),
        ("mlp", "dense-reward", "dense"),
        ("transformer", "plain", "sparse"),
        ("transformer", "dense-reward", "dense"),
    ]
    assert [g["model_kind"] for g in group_configs(ds)] == ["mlp", "mlp", "transformer", "transformer"]
    stored = storage.load_dataset(tmp_path / "run" / "grid.nc")
    assert list(stored.model_kind.values) == ["mlp", "transformer"]
    assert list(stored.variant.values) == ["plain", "dense-reward"]
    assert group_configs(stored) == group_configs(ds)


def test_a_knob_added_at_its_neutral_default_keeps_old_cell_ids():
    """Adding a config field with a neutral default must not rename every finished cell (a rerun
    after an upgrade would retrain instead of resume). The ids are the hash of the config as it
    was before `revise`/`revise_rate` existed."""
    from dataclasses import asdict

    from toymodels.config import CellConfig
    from toymodels.grid import ID_NEUTRAL, cell_id

    cfg = asdict(CellConfig())
    old = {k: v for k, v in cfg.items() if k not in ("revise", "revise_rate")}
    assert cell_id(cfg) == cell_id(old)
    assert set(ID_NEUTRAL) >= {"revise", "revise_rate"}
    on = {**cfg, "revise": True, "revise_rate": 0.2}
    assert cell_id(on) != cell_id(cfg)
