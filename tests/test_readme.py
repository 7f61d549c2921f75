"""The README's demo numbers are generated from the shipped result files, never typed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aha.readme import blocks, render, update_readme
from toymodels.results import compare_runs
from toymodels.storage import atomic_write_dataset, load_dataset

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_readme_blocks_match_the_shipped_demo_files():
    text = (ROOT / "README.md").read_text()
    assert "<!-- generated:demo-table -->" in text and "<!-- generated:demo-facts -->" in text
    assert update_readme(ROOT / "README.md", DOCS, check=True), "README.md is stale: run `aha readme`"


def test_a_changed_number_in_the_results_changes_the_readme(tmp_path):
    """The check can fail: perturb one cell of the shipped grid and the rendered table differs."""
    docs = tmp_path / "docs"
    shutil.copytree(DOCS / "demo", docs / "demo")
    shutil.copytree(DOCS / "bridge", docs / "bridge")  # the README's bridge block reads docs/bridge/
    shutil.copytree(DOCS / "study", docs / "study")  # and its study block docs/study/
    ds = load_dataset(docs / "demo" / "grid.nc")
    ds["rl_pass_at_k"][dict(width=0, depth=0, seed=0)] = 1.0
    atomic_write_dataset(docs / "demo" / "grid.nc", ds)
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    assert not update_readme(readme, docs, check=True)
    assert update_readme(readme, docs) is False and update_readme(readme, docs, check=True)


def test_unknown_block_is_an_error():
    with pytest.raises(ValueError, match="generated:nope is unknown"):
        render("<!-- generated:nope -->\nx\n<!-- /generated:nope -->", {"demo-table": ""})


def test_compare_runs_sees_a_difference(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        shutil.copy(DOCS / "demo" / "grid.nc", d / "grid.nc")
    assert compare_runs(a, b)["identical"]
    ds = load_dataset(b / "grid.nc")
    ds["base_pass_at_k"][dict(width=1, depth=0, seed=1, split=0, k=0)] += 0.25
    atomic_write_dataset(b / "grid.nc", ds)
    rep = compare_runs(a, b)
    assert not rep["identical"] and rep["max_abs_diff"]["base_pass_at_k"] == pytest.approx(0.25)
    assert rep["max_gain_diff"] == pytest.approx(0.25)
    json.dumps(rep)  # what `aha readme --compare` writes


def test_blocks_name_every_headline_figure():
    b = blocks(DOCS / "demo")
    facts = b["demo-facts"]
    for phrase in ("Threshold (H1", "Collapses", "Sharpening", "H2, φ gain model", "H4", "Wall time"):
        assert phrase in facts
    assert b["demo-table"].count("\n") == 1 + load_dataset(DOCS / "demo" / "grid.nc").sizes["width"]


def test_study_block_is_the_shipped_claims_table(tmp_path):
    from aha.readme import study_table

    assert "has not been run" in study_table(tmp_path / "study")
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "verdicts.json").write_text(
        json.dumps(
            {
                "C1": {"claim": "C1", "result": "gain 0.0", "verdict": "holds", "rule": "r", "decisive": "a | b 0.4"},
                "C2": {"claim": "C2", "result": "smooth", "verdict": "fails: smooth", "rule": "r"},
            }
        )
    )
    table = study_table(tmp_path / "study").splitlines()
    assert table[2].startswith("| C1 |") and table[2].endswith("| **holds** | a \\| b 0.4 |")
    assert table[3].startswith("| C2 |") and table[3].endswith("| **fails** | (not recorded; rerun `aha study`) |")


def test_publish_study_copies_the_report_and_each_grid_and_refuses_an_unfinished_one(tmp_path):
    from aha.readme import publish_study

    study, docs = tmp_path / "study-run", tmp_path / "docs"
    (study / "grids" / "threshold" / "cells").mkdir(parents=True)
    shutil.copy(DOCS / "demo" / "grid.nc", study / "grids" / "threshold" / "grid.nc")
    (study / "grids" / "threshold" / "cells" / "a.nc").write_text("cell")
    with pytest.raises(ValueError, match="no verdicts.json"):
        publish_study(study, docs)
    (study / "verdicts.json").write_text("{}")
    (study / "study.md").write_text("| C1 |")
    (study / "agreement.json").write_text('{"other": "B", "claims": {}}')  # a thread double run's comparison
    publish_study(study, docs)
    assert (docs / "study" / "study.md").read_text() == "| C1 |"
    assert json.loads((docs / "study" / "agreement.json").read_text())["other"] == "B"
    assert (docs / "study" / "grids" / "threshold.nc").is_file() and not (docs / "study" / "cells").exists()


def test_study_table_lists_claims_in_numeric_order(tmp_path):
    """verdicts.json is written with sorted keys (C1, C10, C11, C2, ...); the README lists C1..C11."""
    import json

    from aha.readme import study_table

    v = {c: {"result": "r", "verdict": "holds"} for c in ("C1", "C10", "C11", "C2", "C9")}
    (tmp_path / "verdicts.json").write_text(json.dumps(v, sort_keys=True))
    rows = [line.split("|")[1].strip() for line in study_table(tmp_path).splitlines() if line.startswith("| C")]
    assert rows == ["C1", "C2", "C9", "C10", "C11"]
