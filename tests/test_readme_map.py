"""The README as a newcomer's map (issue 26): every `aha` command in its command section, one table from
the predictions H1-H11 to the claims C1-C11, the first screen's terms defined before they are used, links
and file names that exist, and one stated time for a grid script's --quick run."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest

from aha.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = [ROOT / "README.md", *sorted((ROOT / "examples").rglob("*.md")), ROOT / "docs" / "hypotheses.md"]


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end > 0 else None]


def test_the_command_section_lists_every_aha_command():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = section(README, "## The `aha` command")
    missing = [name for name in sub.choices if not re.search(rf"\baha {name}\b", commands)]
    assert not missing, f"README.md's command section does not show: {', '.join('aha ' + m for m in missing)}"


def test_one_table_maps_every_prediction_to_the_claims_it_feeds():
    rows = re.findall(r"^\| (H\d+) \| [^|]+ \| ([^|]+) \| [^|]+ \|$", README, re.M)
    assert [h for h, _ in rows] == [f"H{i}" for i in range(1, 12)], rows
    fed = {c for _, claims in rows for c in re.findall(r"C\d+", claims)}
    after = README[README.index("| H11 |") :]
    unfed = set(re.findall(r"C\d+", after.split("\n\n")[1]))  # the sentence right after the table
    assert fed | unfed == {f"C{i}" for i in range(1, 12)} and not fed & unfed, (sorted(fed), sorted(unfed))
    for h, claims in rows:
        assert claims.strip() == "none" or re.fullmatch(r"C\d+(, C\d+)*", claims.strip()), (h, claims)


@pytest.mark.parametrize(
    "term", ["trace", "base model", "pass@1", "chance", "fully correct trace", "greedy decoding", "pass@k"]
)
def test_the_first_screen_defines_a_term_before_using_it(term):
    first = re.search(rf"(?<![\w@]){re.escape(term)}(?![\w@])", README)
    assert first and README[first.start() - 1] == "*" and README[first.end()] in "*s", (
        f"README.md uses {term!r} before defining it: {README[max(0, first.start() - 80) : first.end() + 40]!r}"
    )


@functools.cache
def repository_names() -> frozenset[str]:
    """The names of every file and folder of the checkout (no .git, virtualenvs, caches or results)."""
    skip = {".git", ".venv", "__pycache__", "results", ".pytest_cache", ".ruff_cache"}
    names = set()
    for _here, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        names.update(dirs, files)
    return frozenset(names)


def _mentions(path: Path) -> list[str]:
    text = path.read_text()
    links = [m for m in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) if "://" not in m]
    names = re.findall(r"(?<![\w/.-])([\w./-]*[A-Za-z]\w*\.(?:md|py))\b", text)
    return links + names


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_file_names_in_the_docs_exist(doc):
    """A relative link resolves; a bare file name (`DESIGN.md`, `my_lab.py`) exists somewhere in the
    repository (examples/README.md named a DESIGN.md that the repository does not hold)."""
    tracked = repository_names()
    bad = []
    for m in _mentions(doc):
        here, top = (doc.parent / m), (ROOT / m)
        if not (here.exists() or top.exists() or (("/" not in m.rstrip("/")) and Path(m).name in tracked)):
            bad.append(m)
    generated = {"report.md", "fits.json", "study.md"}  # what a run writes
    placeholder = re.compile(r"NAME|exN|hand-ins|my_presets|my_studies")  # stand-ins for the reader's files
    assert not [b for b in bad if Path(b).name not in generated and not placeholder.search(b)], bad


def test_every_stated_quick_run_time_is_the_same():
    """The README's layout table, examples/README.md, the scripts' --help and docstrings say one bound."""
    files = [ROOT / "README.md", ROOT / "examples" / "README.md", *(ROOT / "examples" / "grids").glob("*.py")]
    stated = {}
    for f in files:
        for m in re.finditer(r"quick[^\n]{0,40}?under (a|\d+) min", f.read_text()):
            stated.setdefault("1" if m.group(1) == "a" else m.group(1), []).append(f"{f.name}: {m.group(0)}")
    assert len(stated) == 1, stated
