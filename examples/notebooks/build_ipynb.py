"""Rebuild the executed .ipynb copies from the `# %%` sources (run after editing a notebook):

    python examples/notebooks/build_ipynb.py              # every notebook here, executed from the repository root
    python examples/notebooks/build_ipynb.py mirage.py    # one

The sources are the truth; tests/test_examples.py checks that each .ipynb holds its source's cells.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def build(src: Path, timeout: int = 600) -> Path:
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    out = src.with_suffix(".ipynb")
    jupytext.write(nb, out, fmt="ipynb")
    return out


def sources() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)


if __name__ == "__main__":
    for src in [HERE / a for a in sys.argv[1:]] or sources():
        t0 = time.perf_counter()
        out = build(src)
        print(f"built {out.relative_to(ROOT)} in {time.perf_counter() - t0:.0f} s", flush=True)
