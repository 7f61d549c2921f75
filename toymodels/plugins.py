"""A user's Python files (tasks, RL algorithms, presets, studies), run under their own module names
here and again in each Ray worker, so that what they register exists wherever a cell runs.

    table = load_user_file(Path("my_lab.py"), "--presets-file", "PRESETS", "GridSpec")
    run_grid(spec, out, user_modules=loaded())   # a Ray worker runs the same files first
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

LOADED: dict[str, dict[str, str]] = {}
"""Every user file this process ran through load_user_file (module name -> its user_module)."""


def user_module(name: str, path: Path | str) -> dict[str, str]:
    """A user's Python file as a worker needs it: its module name, path and source text."""
    path = Path(path).resolve()
    return {"name": name, "path": str(path), "source": path.read_text()}


def loaded() -> list[dict[str, str]]:
    """The user files loaded so far, in the form `run_grid(user_modules=...)` takes."""
    return list(LOADED.values())


def load_user_modules(modules: list[dict[str, str]]) -> None:
    """Run each user module once per process under its own name (so what it registers exists and its
    classes unpickle by name). Its folder goes on sys.path when it exists here (imports beside it);
    on another machine the shipped source runs alone."""
    for m in modules:
        if m["name"] in sys.modules:
            continue
        folder = str(Path(m["path"]).parent)
        if Path(folder).is_dir() and folder not in sys.path:
            sys.path.insert(0, folder)
        mod = types.ModuleType(m["name"])
        mod.__file__ = m["path"]
        sys.modules[m["name"]] = mod
        try:
            exec(compile(m["source"], m["path"], "exec"), mod.__dict__)  # noqa: S102  (the user's own file)
        except BaseException:
            del sys.modules[m["name"]]
            raise


def load_user_file(path: Path, option: str, table: str, what: str) -> dict:
    """Run a user's Python file (again, if it ran before: the file may have changed) and return its
    `table` dict (PRESETS, STUDIES, ...).

    The file runs before any config is validated, so the tasks (`@envs.register_task`) and RL
    algorithms (`toymodels.algos.register_algorithm`) it defines or imports are known to the grid.
    Its folder is put on `sys.path` (and stays there), so it can import modules beside it; it is
    itself importable as `aha_user_<table>_<stem>` (examples/extending/my_lab.py shows all three)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ValueError(f"{option} {path} does not exist")
    m = user_module(f"aha_user_{table.lower()}_{path.stem}", path)
    sys.modules.pop(m["name"], None)
    load_user_modules([m])
    LOADED[m["name"]] = m
    found = getattr(sys.modules[m["name"]], table, None)
    if not isinstance(found, dict):
        raise ValueError(f"{option} {path} must define {table} = {{name: function returning {what}}}")
    return found
