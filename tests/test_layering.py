"""The import arrows of DESIGN.md's layout table: envs and theory import nothing of the project,
toymodels and llm_bridge only envs and theory; aha may import all of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("envs", "theory", "toymodels", "llm_bridge", "aha")
ALLOWED = {
    "envs": set(),
    "theory": set(),
    "toymodels": {"envs", "theory"},
    "llm_bridge": {"envs", "theory"},
    "aha": set(PACKAGES),
}


def project_imports(path: Path) -> set[str]:
    """Top-level project packages that a module imports (absolute imports, also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {n.split(".")[0] for n in names} & set(PACKAGES)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_layout(package):
    bad = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        wrong = project_imports(path) - ALLOWED[package] - {package}
        if wrong:
            bad[str(path.relative_to(ROOT))] = sorted(wrong)
    assert not bad, f"{package} may import only {sorted(ALLOWED[package]) or 'nothing of the project'}: {bad}"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    import aha  # noqa\n    from theory.passk import pass_at_k\n")
    assert project_imports(f) == {"aha", "theory"}
