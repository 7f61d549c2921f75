"""Autograder set-up of this exercise: which file its tests grade. The folder grades on its own, handed
out without the rest of the repository (only the installed aha-playground package is needed). Inside it:

    pytest                                # grade student.py (the file students edit)
    pytest . --submission alice.py        # grade one handed-in file (name the folder first: `.`)
    pytest . --solution                   # the teacher's check: solution.py passes (when it is here)

In the repository, `pytest examples/classroom/ex3 [--submission FILE | --solution]` does the same, and
`pytest examples/classroom` grades every exercise at once. Every exercise folder holds this same file
(tests/test_handout.py checks that the copies are identical): edit one, copy it to the others.

A function the student has not written yet raises NotImplementedError("TODO ..."); its test then
fails with that TODO's text, so the message says what is left to do, not only that something failed.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser):
    group = parser.getgroup("classroom", "classroom autograders")
    options = (
        (("--solution",), dict(action="store_true", help="grade each exercise's solution.py instead of student.py")),
        (
            ("--submission",),
            dict(
                default=None, metavar="FILE", help="grade FILE (one exercise at a time: pytest ex3 --submission FILE)"
            ),
        ),
    )
    for names, kwargs in options:
        try:
            group.addoption(*names, **kwargs)
        except ValueError:  # already declared: by another exercise's copy of this file, or ../conftest.py
            pass


class Graded:
    """The graded module; calling a function whose TODO is still open fails the test with the TODO's text."""

    def __init__(self, module, path: Path):
        self._module, self._path = module, path

    def __getattr__(self, name):
        if not hasattr(self._module, name):
            pytest.fail(f"{self._path.name} has no function {name!r}: keep the names of the handed-out file", False)
        attr = getattr(self._module, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except NotImplementedError as e:
                todo = str(e)
            pytest.fail(f"{name}() in {self._path.name} is not written yet: {todo}", pytrace=False)

        return call


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"graded_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def graded(request) -> Graded:
    """The file under test for this exercise: student.py, solution.py (--solution) or --submission FILE."""
    folder = Path(request.path).parent
    chosen = request.config.getoption("--submission")
    default = "solution.py" if request.config.getoption("--solution") else "student.py"
    path = Path(chosen) if chosen else folder / default
    if not path.is_file():
        pytest.fail(f"no file {path} to grade", pytrace=False)
    return Graded(load(path), path)


@pytest.fixture(scope="session")
def demo_run() -> Path:
    """The demo run shipped with aha-playground (docs/demo beside the installed packages), whatever the
    working directory: the exercises that read a run are graded on this one."""
    import envs  # noqa: PLC0415

    run = Path(envs.__file__).resolve().parents[1] / "docs" / "demo"
    if not (run / "grid.nc").is_file():
        pytest.fail(
            f"{run / 'grid.nc'} does not exist: this exercise reads the demo shipped with aha-playground; "
            "install the package from a clone of the repository (pip install -e .)",
            pytrace=False,
        )
    return run
