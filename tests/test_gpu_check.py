"""benchmarks/gpu_check.sh is ready for a GPU: its dry run lists every step and the projection's
arithmetic from the real `dense` preset, and without CUDA it stops before any work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

from aha.presets import get_preset

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
    )


def test_dry_run_lists_every_step_and_the_dense_projection():
    r = run("--dry-run")
    assert r.returncode == 0, r.stderr
    for step in ("pytest", "env_throughput", "seed_batching", "grid_throughput", "cell_speed", "dense_slice"):
        assert f"  {step}: " in r.stdout
    dense = get_preset("dense")
    assert f"dense has {dense.n_cells} cells" in r.stdout
    slice_cells = dense.with_overrides({"width": [64, 128], "depth": [1, 2]}).n_cells
    assert f"the slice has {slice_cells};" in r.stdout


def test_without_cuda_it_stops_with_one_line():
    if torch.cuda.is_available():  # on a GPU machine the real run is the check
        return
    r = run()
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "no CUDA device" in r.stderr
    assert not (ROOT / "results" / "gpu_check").exists() or not any((ROOT / "results" / "gpu_check").iterdir())


def test_unknown_argument_is_one_line():
    r = run("--fast")
    assert r.returncode == 2 and "unknown argument '--fast'" in r.stderr
