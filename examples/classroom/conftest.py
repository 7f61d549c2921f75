"""Autograder set-up: which file the tests of each exercise grade.

    pytest examples/classroom/ex3                          # grade ex3/student.py (the file students edit)
    pytest examples/classroom                              # grade every exercise's student.py
    pytest examples/classroom --solution                   # the teacher's check: every solution.py passes
    pytest examples/classroom/ex3 --submission alice.py    # grade one handed-in file for exercise 3

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
    group.addoption("--solution", action="store_true", help="grade each exercise's solution.py instead of student.py")
    group.addoption(
        "--submission",
        default=None,
        metavar="FILE",
        help="grade FILE (one exercise at a time: pytest examples/classroom/ex3 --submission FILE)",
    )


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
