"""The README states the toy and the real-LLM findings on the φ gain model side by side, each
number from a shipped file (docs/demo/fits.json, docs/bridge/bridge.json), never typed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from aha.readme import blocks, update_readme

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_readme_has_the_bridge_block_from_docs_bridge():
    text = (ROOT / "README.md").read_text()
    assert "<!-- generated:bridge -->" in text
    b = blocks(DOCS / "demo")["bridge"]
    summary = json.loads((DOCS / "bridge" / "bridge.json").read_text())
    phi = next(c for c in summary["checks"] if c["hid"] == "H2 (phi)")
    assert f"{phi['n_rows']} published before/after-RL rows in {phi['n_groups']} model groups" in b
    assert f"verdict `{phi['status']}`" in b and b in text


def test_the_hand_written_comparison_still_matches_the_files():
    """The sentence beside the blocks says: toy φ loses to ln N, toy coverage wins, real φ loses to ln N,
    coverage not checkable on real LLMs. Each clause is re-derived here from the files."""
    text = (ROOT / "README.md").read_text()
    assert "the φ gain model, which\npredicts the gain from base pass@1 alone, loses to a gain linear in ln N" in text
    h2 = json.loads((DOCS / "demo" / "fits.json").read_text())["H2"]
    phi, cov = h2["phi"]["loo"]["rmse"], h2["coverage"]["loo"]["rmse"]
    assert phi["gain_model"] > phi["linear_lnN"]
    assert cov["gain_model"] < min(cov["constant"], cov["linear_lnN"])
    checks = {c["hid"]: c for c in json.loads((DOCS / "bridge" / "bridge.json").read_text())["checks"]}
    real = checks["H2 (phi)"]
    assert real["status"] == "fails" and real["mae"]["theory"] > real["mae"]["linear_lnN"]
    assert checks["H2 (coverage)"]["status"] == "not testable"


def test_a_changed_bridge_result_changes_the_readme(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(DOCS / "demo", docs / "demo")
    shutil.copytree(DOCS / "bridge", docs / "bridge")
    shutil.copytree(DOCS / "study", docs / "study")  # the README's study block reads docs/study/
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    assert update_readme(readme, docs, check=True)
    path = docs / "bridge" / "bridge.json"
    s = json.loads(path.read_text())
    s["checks"][0]["n_rows"] += 1
    path.write_text(json.dumps(s))
    assert not update_readme(readme, docs, check=True)


def test_readme_links_resolve_to_shipped_files():
    text = (ROOT / "README.md").read_text()
    for target in ("docs/hypotheses.md", "docs/bridge/bridge.md", "docs/demo/report.md"):
        assert f"]({target})" in text and (ROOT / target).is_file(), target
    assert "](examples/classroom/)" in text and "](examples/notebooks/)" in text
    assert "DESIGN.md" not in text  # the design document is not in the repository; docs/hypotheses.md is
    hyp = (ROOT / "docs" / "hypotheses.md").read_text()
    for i in range(1, 12):
        assert f"| H{i} |" in hyp, i
