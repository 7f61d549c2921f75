"""benchmarks/test_suite_cpu.sh (make bench-tests): the suite's CPU time after the machine's yardstick,
kept in a file (issue 24 item 5). Run here on one small test file, so only its plumbing is checked: a
two-test file outside the repository (no conftest, nothing imported), so the suite part costs little
beside the yardstick."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_tests_records_the_suites_cpu_time_after_the_yardstick(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "BENCH_RESULTS": str(tmp_path), "YARDSTICK_ROUNDS": "1"}
    env["TEST_WORKERS"] = "0"
    tests = tmp_path / "small" / "test_small.py"
    tests.parent.mkdir()
    tests.write_text("def test_one():\n    assert 1 + 1 == 2\n\n\ndef test_two():\n    assert 'a' < 'b'\n")
    r = subprocess.run(
        ["bash", "benchmarks/test_suite_cpu.sh", str(tests)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    (out,) = tmp_path.glob("tests_*.txt")
    text = out.read_text()
    assert text.index("yardstick of") < text.index("suite: user")
    user, sys_s = map(float, re.search(r"suite: user ([\d.]+) s, sys ([\d.]+) s", text).groups())
    assert user > 0 and sys_s >= 0
    assert re.search(r"\b2 passed", text) and "commit" in text.splitlines()[0]
