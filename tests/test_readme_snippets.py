"""Every ```python block of README.md runs as written, in a fresh interpreter outside the checkout
(issue 15: the Gymnasium snippet failed with `NamespaceNotFound` without `import envs`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(), re.S | re.M)


def test_readme_has_python_snippets():
    assert BLOCKS, "README.md has no ```python block"


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs_in_a_fresh_interpreter(code, tmp_path):
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, f"README snippet failed:\n{code}\n--- stderr:\n{r.stderr[-3000:]}"
