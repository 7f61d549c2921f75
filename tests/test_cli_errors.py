"""The `aha` command's errors say what to do, in the user's terms (issue 15, API and errors)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from aha.cli import main

PRESETS_FILE = str(Path(__file__).parent / "data" / "tiny_presets.py")
DEMO = Path(__file__).resolve().parents[1] / "docs" / "demo"


def _grid(tmp_path, *sets: str) -> list[str]:
    args = ["grid", "--preset", "tiny", "--presets-file", PRESETS_FILE, "--out", str(tmp_path / "run"), "--quiet"]
    for s in sets:
        args += ["--set", s]
    return args


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("value", ["cuda", "cpu,cuda"])
def test_set_device_cuda_without_cuda_stops_before_any_work(tmp_path, capsys, value):
    code = main(_grid(tmp_path, f"device={value}", "width=8", "seed=0"))
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "cuda" in err and "no CUDA device" in err, err
    assert not (tmp_path / "run" / "cells").exists()


def test_unknown_set_field_names_the_closest_field(tmp_path, capsys):
    code = main(_grid(tmp_path, "widht=8"))
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "unknown field 'widht' (did you mean 'width'?)" in err
    assert "CellConfig" not in err and len(err) < 200  # no dump of every internal name


def test_unknown_set_field_without_a_close_match_points_to_the_list(tmp_path, capsys):
    code = main(_grid(tmp_path, "zzzz=1"))
    err = capsys.readouterr().err.strip()
    assert code == 2 and "unknown field 'zzzz'" in err and "did you mean" not in err and len(err) < 200, err


def _tiny_run(tmp_path) -> Path:
    code = main(_grid(tmp_path, "width=8", "seed=0", "rl_updates=1") + ["--no-report"])
    assert code == 0
    return tmp_path / "run"


def test_corrupt_grid_nc_names_the_rebuild_command_and_rebuild_restores_it(tmp_path, capsys):
    run = _tiny_run(tmp_path)
    capsys.readouterr()
    good = (run / "grid.nc").read_bytes()
    (run / "grid.nc").write_bytes(b"not a netCDF file")
    for cmd in ("info", "report", "fit", "plot"):
        assert main([cmd, str(run)]) == 2, cmd
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"aha rebuild {run}" in err and "cells/" in err, (cmd, err)
    assert main(["rebuild", str(run)]) == 0
    from toymodels.storage import load_dataset

    assert load_dataset(run / "grid.nc").identical(load_dataset_bytes(tmp_path, good))
    assert main(["info", str(run)]) == 0


def load_dataset_bytes(tmp_path, data: bytes):
    from toymodels.storage import load_dataset

    p = tmp_path / "copy.nc"
    p.write_bytes(data)
    return load_dataset(p)


def test_info_accepts_the_grid_file_as_well_as_its_directory(tmp_path, capsys):
    run = tmp_path / "demo"
    run.mkdir()
    shutil.copy(DEMO / "grid.nc", run / "grid.nc")
    assert main(["info", str(run)]) == 0
    by_dir = capsys.readouterr().out
    assert main(["info", str(run / "grid.nc")]) == 0
    by_file = capsys.readouterr().out
    assert "width=5" in by_file and by_file.splitlines()[1:] == by_dir.splitlines()[1:]


def test_a_one_size_grid_writes_its_report_instead_of_failing_in_the_fits(tmp_path, capsys):
    """H1's transition fit needs 3 sizes; with one it says 'undetermined' rather than ending `aha grid`."""
    code = main(_grid(tmp_path, "width=8", "seed=0", "rl_updates=1"))
    assert code == 0, capsys.readouterr().err
    lines = (tmp_path / "run" / "report.md").read_text().splitlines()
    h1 = [ln for ln in lines if ln.startswith("- **H1 post-RL pass@1**")]
    assert len(h1) == 1 and h1[0].endswith("verdict: **undetermined**."), h1
    h6 = [ln for ln in lines if ln.startswith("- **H6**")]
    assert h6 and h6[0].endswith("verdict: **undetermined**."), h6  # no cell fitted: no verdict either way
