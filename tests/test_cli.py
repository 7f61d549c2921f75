"""The `aha` command: help, version, one-line errors before any work, and the run-dir commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aha.cli import main
from toymodels.overrides import parse_value

PRESETS_FILE = str(Path(__file__).parent / "data" / "tiny_presets.py")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aha.cli", *args], capture_output=True, text=True, timeout=300)


def test_version_and_help():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("aha-playground ")
    for cmd in ("demo", "grid", "info", "plot", "report", "fit", "bridge"):
        r = run(cmd, "--help")
        assert r.returncode == 0 and "usage: aha " + cmd in r.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["grid", "--preset", "nope"], "preset must be one of demo, dense"),
        (["grid", "--preset", "demo", "--set", "bogus=1"], "unknown field 'bogus'"),
        (["grid", "--preset", "demo", "--set", "width=0"], "width"),
        (["grid", "--preset", "demo", "--set", "algo=ddpg"], "algo must be one of"),
        (["grid", "--preset", "demo", "--set", "noise=2"], "noise"),
        (["grid", "--preset", "demo", "--set", "horizon"], "--set takes field=value"),
        (["info", "/nonexistent/run"], "does not exist"),
        (["bridge"], "needs --published and/or --model"),
    ],
)
def test_bad_input_is_one_line_before_any_work(tmp_path, capsys, args, needle):
    out = tmp_path / "run"
    if args[0] == "grid":
        args = [*args, "--out", str(out)]
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and needle in err, err
    assert not (out / "cells").exists()  # nothing was trained


def test_parse_value():
    assert parse_value("8,16,32") == [8, 16, 32]
    assert parse_value("0.5") == 0.5 and parse_value("true") is True and parse_value("none") is None
    assert parse_value('{"p": 7}') == {"p": 7}
    assert parse_value("grpo") == "grpo"


def test_grid_info_plot_report_fit(tmp_path, capsys):
    """The run-dir commands through aha.cli.main in this process (their argument parsing and outputs;
    the `aha` entry point in its own interpreter: test_version_and_help)."""
    out = tmp_path / "run"
    code = main(
        [
            "grid",
            "--preset",
            "tiny",
            "--presets-file",
            PRESETS_FILE,
            "--set",
            "width=8,16,32",
            "--set",
            "seed=0",
            "--out",
            str(out),
            "--quiet",
            "--no-fit",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (out / "grid.nc").is_file() and (out / "report.md").is_file()
    capsys.readouterr()
    code = main(["info", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0 and "width=3" in stdout and "status: ok=3" in stdout
    code = main(["plot", str(out)])
    assert code == 0 and "phase_diagram.png" in capsys.readouterr().out
    code = main(["fit", str(out), "--n-boot", "20"])
    assert code == 0, capsys.readouterr().err
    report = (out / "report.md").read_text()
    assert "## Per size" in report and "## Theory" in report and "(figures/phase_diagram.png)" in report
    assert (out / "fits.json").is_file()


def test_every_preset_builds_valid_cells():
    """Each named preset expands into valid CellConfigs (validated before any work)."""
    from aha.presets import PRESETS, get_preset

    for name in PRESETS:
        spec = get_preset(name)
        groups = spec.groups()
        assert len(groups) * len(spec.axes["seed"]) == spec.n_cells > 0, name
        assert {"width", "depth", "seed"} <= set(spec.dims), name
