"""Every file in examples/ runs as shipped, on a tiny budget.

- examples/grids/*.py: each script (and each question of question.py) with its hidden --smoke (seconds;
  --quick is the ~2-minute version a user runs), run as `__main__` with its command line: one as a user
  would (a subprocess), the others in this process (runpy), which spares each a fresh import of torch,
  xarray and matplotlib and the theory's sympy derivation; each answers --help naming its quick mode,
  prints where its results and figure are, and says that the numbers of a small run mean nothing.
- examples/notebooks/*.py: each `# %%` source executed as a notebook (nbclient, the venv's kernel) on a
  small run made here, but credit_assignment, which runs from outside the checkout on the shipped demo
  (found from the package); the shipped .ipynb holds exactly the source's cells.
- examples/classroom/ex*/: `pytest examples/classroom --solution` grades all six exercises and passes on
  every solution.py. It runs in a subprocess, so the default `pytest` (testpaths = tests) neither collects
  them twice nor grades the student files itself. tests/test_handout.py grades the untouched student
  files (each test fails with its TODO's own message) and a half-done submission, in handed-out folders.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
GRIDS = sorted(p.stem for p in (ROOT / "examples" / "grids").glob("*.py") if not p.stem.startswith("_"))
QUESTIONS = ["threshold", "horizon", "prior", "width-vs-depth", "design-signals"]
"""examples/grids/question.py's questions: one runner for the scripts that ran a preset (issue 21)."""
RUNS = [[f"examples/grids/{name}.py"] for name in GRIDS if name != "question"]
RUNS += [["examples/grids/question.py", q] for q in QUESTIONS]
AS_A_USER = ["examples/grids/question.py", "threshold"]
"""The grid run that starts its own interpreter, as a user types it; the others run in-process."""
NOTEBOOKS = sorted(p for p in (ROOT / "examples" / "notebooks").glob("*.py") if p.name != "build_ipynb.py")
EXERCISES = sorted(p.name for p in (ROOT / "examples" / "classroom").glob("ex*") if p.is_dir())
ENV = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "CLASSROOM_SMOKE": "1"}


def run(*args: str, ok: bool = True, timeout: int = 300) -> str:
    env = {**ENV, "COLUMNS": "400"}  # pytest's summary lines whole
    r = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if ok:
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return r.stdout + r.stderr


# --- grid scripts ---------------------------------------------------------------------------------
def test_the_expected_grid_scripts_exist():
    assert set(GRIDS) == {"question", "mlp_vs_transformer", "predict_from_base"}
    sys.path.insert(0, str(ROOT / "examples" / "grids"))
    from question import QUESTIONS as ASKED

    assert list(ASKED) == QUESTIONS


def run_in_process(script: str, *args: str, monkeypatch, capsys) -> str:
    """`python script args` as `__main__` in this process (from the repository root, the script's folder
    first on sys.path); its stdout and stderr."""
    path = ROOT / script
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(path.parent))
    monkeypatch.setattr(sys, "argv", [str(path), *args])
    capsys.readouterr()
    runpy.run_path(str(path), run_name="__main__")
    r = capsys.readouterr()
    return r.out + r.err


@pytest.mark.parametrize("cmd", RUNS, ids=lambda c: c[-1].split("/")[-1])
def test_grid_script_smoke(tmp_path, cmd, monkeypatch, capsys):
    args = [*cmd[1:], "--smoke", "--out", str(tmp_path / "run"), "--device", "cpu"]
    if cmd == AS_A_USER:
        out = run(cmd[0], *args)
    else:
        out = run_in_process(cmd[0], *args, monkeypatch=monkeypatch, capsys=capsys)
    assert "these numbers only show that the script works" in out and "mean nothing" in out, out
    figure = next(line.split()[1] for line in out.splitlines() if line.startswith("figure:"))
    assert Path(figure).is_file() and Path(figure).stat().st_size > 1000, out
    assert (tmp_path / "run" / "grid.nc").is_file() and (tmp_path / "run" / "report.md").is_file()
    assert f"results: {tmp_path / 'run' / 'grid.nc'}" in out


def test_grid_scripts_answer_help_naming_their_quick_mode(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "400")  # argparse's help lines whole
    for name in GRIDS:  # as __main__ in this process; argparse's --help exits
        with pytest.raises(SystemExit) as e:
            run_in_process(f"examples/grids/{name}.py", "--help", monkeypatch=monkeypatch, capsys=capsys)
        assert e.value.code == 0, name
        r = capsys.readouterr()
        text = r.out + r.err
        assert "--quick" in text and "quick mode: under 2 minutes on 2 CPU cores" in text, (name, text)
        assert "--executor" in text and "--device" in text and "--smoke" not in text, (name, text)


def test_the_question_script_is_also_a_presets_file():
    from aha.presets import get_preset, load_presets_file

    table = load_presets_file(ROOT / "examples" / "grids" / "question.py")
    spec = get_preset("horizon-quick", table)
    assert spec.axes["horizon"] == [3, 6] and spec.fixed["rl_updates"] < 150
    assert get_preset("prior", table).to_dict() == get_preset("prior").to_dict()  # full scale: the preset itself


# --- notebooks ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A 3-width, 2-seed grid with its fits: what the notebooks load in place of docs/demo."""
    sys.path.insert(0, str(ROOT / "tests" / "data"))
    from tiny_presets import TINY

    from aha.fit import fit_run
    from toymodels.grid import GridSpec
    from toymodels.runner import run_grid

    out = tmp_path_factory.mktemp("nb") / "run"
    spec = GridSpec("nb", axes={"width": [8, 16, 32], "depth": [1], "seed": [0, 1]}, fixed=dict(TINY))
    run_grid(spec, out, progress=False)
    fit_run(out, n_boot=10)
    return out


def test_the_expected_notebooks_exist():
    assert {p.stem for p in NOTEBOOKS} == {"transition", "mirage", "credit_assignment", "bridge_to_llms"}


ELSEWHERE = {"credit_assignment"}
"""The notebooks executed from a folder outside the checkout, without AHA_RUN_DIR: they read the shipped
demo, found from the installed package (credit_assignment's last cell used to fail with h5py's
FileNotFoundError for docs/demo/grid.nc). The others read the small run from the repository root."""


@pytest.mark.parametrize("src", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(src, small_run, monkeypatch, tmp_path):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    for k, v in {
        "AHA_RUN_DIR": str(small_run),
        "AHA_N_BOOT": "10",
        "AHA_MC_GROUPS": "3000",
        "AHA_CHAIN_UPDATES": "40",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }.items():
        monkeypatch.setenv(k, v)  # the kernel inherits this process's environment
    cwd = ROOT
    if src.stem in ELSEWHERE:
        monkeypatch.delenv("AHA_RUN_DIR")
        cwd = tmp_path
    nb = jupytext.read(src)
    nbclient.NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    checks = {  # the number each notebook reproduces first, and its statement of where toy and real data part
        "transition": [
            "estimator 0.5333  brute force 0.5333",
            "pass@32 of a uniform digit guess (1 - 0.9^32): 0.966",
            "real LLMs: inconclusive: SimpleRL-Zoo (Qwen2.5)",
        ],  # as section 4's prose says
        "mirage": [
            "phi at G=8: {0.5: 0.9922, 0.1: 0.5695, 0.01: 0.0773}",
            "0.9^5 = 0.5905",
            "not testable on the published data",
        ],
        "credit_assignment": [
            "p=0.1    phi=0.5695",
            "verdict: {'correct': True, 'trace_correct': True",
            "'trace_correct': False",
            "q > 0.9659",
            "docs/demo: informative fraction at update 0",  # the shipped demo, read from outside the checkout
            "real LLMs (no-signal check H3)",
        ],
        "bridge_to_llms": [
            "AIME2024 pass@1 0.156 -> 0.710",
            "arXiv:2501.12948",
            "H2, does base-only φ predict",
            "forecast vs constant: ",
            "base: ",
            "checkpoint groups; mechanistic MAE",
        ],
    }[src.stem]
    for want in checks:
        assert want in text, f"{src.name}: expected {want!r} in its output:\n{text[-3000:]}"
    if src.stem == "credit_assignment":  # its own check: Monte-Carlo means within 3.5 standard errors of sympy's
        line = next(x for x in text.splitlines() if x.startswith("largest |MC mean - exact mean|"))
        assert float(line.split(":")[1].split()[0]) < 3.5, line


@pytest.mark.parametrize("src", NOTEBOOKS, ids=lambda p: p.stem)
def test_shipped_ipynb_holds_the_source_cells(src):
    jupytext = pytest.importorskip("jupytext")
    ipynb = src.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} missing: run python examples/notebooks/build_ipynb.py {src.name}"
    cells = lambda nb: [(c.cell_type, c.source.strip()) for c in nb.cells]
    assert cells(jupytext.read(ipynb)) == cells(jupytext.read(src)), (
        f"{ipynb.name} is out of date with {src.name}: run python examples/notebooks/build_ipynb.py {src.name}"
    )
    executed = jupytext.read(ipynb)
    assert all(c.get("outputs") is not None for c in executed.cells if c.cell_type == "code")
    assert any(c.get("outputs") for c in executed.cells if c.cell_type == "code"), f"{ipynb.name} was not executed"


# --- classroom ------------------------------------------------------------------------------------
def test_there_are_six_exercises_each_with_student_solution_and_autograder():
    assert EXERCISES == [f"ex{i}" for i in range(1, 7)]
    for ex in EXERCISES:
        names = {p.name for p in (ROOT / "examples" / "classroom" / ex).iterdir()}
        assert {"student.py", "solution.py", f"test_{ex}.py"} <= names, (ex, names)
        student = (ROOT / "examples" / "classroom" / ex / "student.py").read_text()
        assert "TODO 1" in student and "NotImplementedError" in student, ex


def test_autograders_pass_on_every_solution():
    """The teacher's check in the repository grades every exercise (each one's tests collected from
    `pytest examples/classroom`) and passes on every solution.py."""
    out = run(
        "-m", "pytest", "examples/classroom", "--solution", "-p", "no:cacheprovider", "-o", "addopts=", "-q", "-rp"
    )
    assert " passed" in out and "failed" not in out, out
    for ex in EXERCISES:
        assert f"PASSED examples/classroom/{ex}/test_{ex}.py::" in out, (ex, out[-2000:])


@pytest.mark.parametrize("ex", ["ex1", "ex2", "ex3", "ex4", "ex5", "ex6"])
def test_student_files_run_as_scripts(ex, monkeypatch, capsys):
    """The handed-out file runs before any TODO is done: it prints the TODO instead of a traceback.
    ex1 in its own interpreter, as a student types it; the others as `__main__` in this process (a
    traceback they raise is part of their output)."""
    script = f"examples/classroom/{ex}/student.py"
    if ex == "ex1":
        out = run(script)
    else:
        monkeypatch.setenv("CLASSROOM_SMOKE", "1")
        try:
            out = run_in_process(script, monkeypatch=monkeypatch, capsys=capsys)
        except Exception:  # what the script would print before exiting
            r = capsys.readouterr()
            out = r.out + r.err + traceback.format_exc()
    assert "TODO" in out and "Traceback" not in out, out
