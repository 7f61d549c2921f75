"""The machine yardstick beside a run's wall time (issue 24 item 6): `aha demo` (and `aha grid
--yardstick`) records this machine's 1-thread matmul GFLOP/s and the seconds of a fixed tiny cell in
env.json, and every line that quotes the wall time gives it in those units; an env.json without a
yardstick (every run before it) renders as before. No assertion here depends on how fast anything ran."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest

from aha import cli
from aha.demo_check import _timing
from aha.readme import blocks, demo_facts
from aha.report import wall_time_text
from theory.text import in_machine_units
from toymodels.storage import load_dataset

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "docs" / "demo"
TINY_SETS = ["width=8", "seed=0", "pretrain_tokens=2000", "rl_updates=2", "eval_prompts=8", "k_max=4"]
TIMING = {"cpus": 2, "torch_threads": 2, "total_s": 129.3, "grid_s": 123.4, "report_s": 5.9}
YARDSTICK = {"matmul_gflops_1thread": 94.2, "tiny_cell_s": 0.671, "clock": "wall"}
UNITS = "matmul 94 GFLOP/s on 1 thread, tiny cell 0.67 s: the run took 193 tiny cells"  # 129.3 / 0.671


def test_a_grid_records_the_yardstick_in_env_json_only_when_asked(tmp_path):
    """`aha grid` leaves it out by default (the suite's many tiny grids would each pay ~3 s); the same
    command with --yardstick resumes the finished cell and adds real measurements beside "timing"."""
    args = ["grid", "--preset", "demo", "--quiet", "--no-report", "--out", str(tmp_path / "run")]
    for s in TINY_SETS:
        args += ["--set", s]
    assert cli.main(args) == 0
    env = json.loads((tmp_path / "run" / "env.json").read_text())
    assert "timing" in env and "yardstick" not in env
    assert cli.main([*args, "--yardstick"]) == 0
    env = json.loads((tmp_path / "run" / "env.json").read_text())
    y = env["yardstick"]
    assert set(y) == {"matmul_gflops_1thread", "tiny_cell_s", "clock"} and y["clock"] == "wall"
    assert y["matmul_gflops_1thread"] > 0 and y["tiny_cell_s"] > 0
    assert "timing" in env and "cpu_model" in env  # beside what env.json already held
    assert wall_time_text(env).endswith("tiny cells)")  # the report's line, in this machine's units


@pytest.mark.parametrize(("argv", "on"), [([], True), (["--no-yardstick"], False)])
def test_aha_demo_measures_the_yardstick_unless_told_not_to(argv, on, tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(cli, "cmd_grid", lambda args: seen.update(yardstick=args.yardstick) or 1)
    cli.main(["demo", "--out", str(tmp_path / "demo"), "--quiet", *argv])
    assert seen["yardstick"] is on


def test_the_units_phrase():
    assert in_machine_units(129.3, YARDSTICK) == UNITS
    assert in_machine_units(129.3, None) == "" and in_machine_units(129.3, {}) == ""
    cpu = in_machine_units(129.3, YARDSTICK | {"clock": "cpu"})
    assert "tiny cell 0.67 s (cpu clock): the run took 193 tiny cells" in cpu


def test_every_wall_time_line_gives_the_machine_units_when_env_json_has_them():
    env = {"cpu_model": "AMD EPYC", "cpu_cores": 2, "timing": TIMING, "yardstick": YARDSTICK}
    assert wall_time_text(env).endswith(f"on 2 CPU cores with 2 torch threads (env.json timing; {UNITS})")
    assert _timing(env) == f"2.2 min on 2 CPU cores, 2 torch threads ({UNITS})"
    facts = demo_facts(load_dataset(DEMO / "grid.nc"), json.loads((DEMO / "fits.json").read_text()), env, None)
    assert (
        "- Wall time of `aha demo` on 2 CPU cores (AMD EPYC, 2 torch threads): 2.2 min (123 s grid, 6 s report "
        f"and fits); the machine's yardstick (`toymodels/yardstick.py`): {UNITS}." in facts
    )


def test_an_env_json_without_a_yardstick_keeps_the_old_wording():
    env = {"cpu_model": "AMD EPYC", "cpu_cores": 2, "timing": TIMING}
    assert wall_time_text(env).endswith("on 2 CPU cores with 2 torch threads (env.json timing)")
    assert _timing(env) == "2.2 min on 2 CPU cores, 2 torch threads"
    shipped = json.loads((DEMO / "env.json").read_text())
    if "yardstick" not in shipped:  # the shipped demo before it was rerun with the yardstick
        facts = blocks(DEMO)["demo-facts"]
        assert "tiny cell" not in facts and "s report and fits)." in facts


def test_the_benchmark_script_still_runs(monkeypatch, capsys):
    """benchmarks/yardstick.py run as __main__, in this process (an interpreter less; that it runs in
    a fresh one, from the shell, is tests/test_bench_tests.py's: make bench-tests prints its head line)."""
    script = ROOT / "benchmarks" / "yardstick.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--rounds", "1", "--threads", "1"])
    runpy.run_path(str(script), run_name="__main__")
    head, body = capsys.readouterr().out.strip().splitlines()
    assert head.startswith("yardstick of ") and "tiny cell" in head
    out = json.loads(body)
    assert out["matmul_gflops_1thread"] > 0 and out["tiny_cell_s"] > 0 and out["clock"] == "wall"
