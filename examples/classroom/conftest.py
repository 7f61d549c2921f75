"""Grading every exercise at once from here:

    pytest examples/classroom                     # every exercise's student.py
    pytest examples/classroom --solution          # the teacher's check: every solution.py passes

Each exercise folder is graded by its own `exN/conftest.py` (the same file in every folder, so that a
folder handed out alone grades on its own). Its options are declared here too, because pytest reads
the options before it reaches the folders.
"""

from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("classroom", "classroom autograders")
    group.addoption("--solution", action="store_true", help="grade each exercise's solution.py instead of student.py")
    group.addoption("--submission", default=None, metavar="FILE", help="grade FILE (one exercise at a time)")
