"""Examples smoke-run with a tiny budget (AHA_EXAMPLES_QUICK=1), as a user would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ENV = {**os.environ, "AHA_EXAMPLES_QUICK": "1", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}


def run(*args: str, cwd: Path = ROOT) -> str:
    r = subprocess.run([sys.executable, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_classroom_credit_assignment():
    out = run("examples/classroom_credit_assignment.py")
    assert "verdict: {'correct': True, 'trace_correct': True" in out
    assert "trace_correct': False" in out  # the one-wrong-step episode
    assert "answer: q > 0.9659" in out


def test_theory_transition_reproduces_known_numbers():
    out = run("examples/theory_transition.py", "/nonexistent")
    for line in out.splitlines():
        if line.startswith("n=10 c=3"):
            est, brute = line.split("estimator ")[1].split("  brute force ")
            assert float(est) == pytest.approx(float(brute))
    assert "pass@32 of a uniform digit guess: 0.966" in out


def test_grid_script(tmp_path):
    out = run("examples/grid_horizon_sweep.py", "--out", str(tmp_path / "run"))
    assert "mean RL gain in pass@1" in out and "L=2" in out and "L=4" in out
    assert (tmp_path / "run" / "report.md").is_file()
