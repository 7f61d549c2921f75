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
    assert (
        f"{phi['n_rows']} published before/after-RL rows in {phi['n_groups']} model groups from "
        f"{phi['n_sources']} sources"
    ) in b
    assert f"verdict `{phi['status']}`" in b and b in text


def test_the_bridge_block_leads_with_the_leave_one_source_out_forecast():
    """bridge.md leads with the transfer table; so does the README's block, every number from bridge.json."""
    from llm_bridge.transfer import compare_word

    b = blocks(DOCS / "demo")["bridge"]
    o = json.loads((DOCS / "bridge" / "bridge.json").read_text())["transfer"]["overall"]
    first = b.splitlines()[0]
    assert first.startswith("- Forecast on sources it never saw"), first
    assert f"{o['n_rows']} published pass@1 before/after-RL results from {o['n_sources']} sources" in first
    for v in ("mae_forecast", "mae_constant", "mae_lnN", "coverage", "mae_fixed"):
        assert f"{o[v]:.3f}" in first, v
    assert f"`{compare_word(o['diff_ci_constant'])}`" in first
    assert f"`{compare_word(o['diff_ci_fixed_constant'])}`" in first


def test_a_check_without_a_baseline_reads_as_not_fitted():
    """A check whose ln N baseline could not be fitted (bridge.json: null) is stated, not formatted as a number."""
    from aha.readme import bridge_facts

    s = json.loads((DOCS / "bridge" / "bridge.json").read_text())
    cov = next(c for c in s["checks"] if c["hid"] == "H2 (coverage)")
    cov.update(status="inconclusive", mae={"theory": 0.1, "constant": 0.11, "linear_lnN": None}, n_sources=1)
    text = bridge_facts(s)
    assert "coverage gain model" in text and "ln N not fitted" in text and "None" not in text


def test_the_hand_written_comparison_still_matches_the_files():
    """The sentences beside the blocks say: toy φ loses to ln N, toy coverage wins; on real LLMs the
    mechanistic law beats the constant for zero-RL from a base and nothing beats it from instruct or
    distilled models; pooled, the held-out-source forecast beats a constant, ln N is no closer than the
    constant, the toy-only law is worse than the constant, pooled φ holds, coverage is checkable on one
    source. Each clause is re-derived here from the files."""
    from llm_bridge.transfer import compare_word

    text = " ".join((ROOT / "README.md").read_text().split())  # the prose, whatever its line breaks
    assert "the φ gain model, which predicts the gain from base pass@1 alone, loses to a gain linear in ln N" in text
    h2 = json.loads((DOCS / "demo" / "fits.json").read_text())["H2"]
    phi, cov = h2["phi"]["loo"]["rmse"], h2["coverage"]["loo"]["rmse"]
    assert phi["gain_model"] > phi["linear_lnN"]
    assert cov["gain_model"] < min(cov["constant"], cov["linear_lnN"])

    bridge = json.loads((DOCS / "bridge" / "bridge.json").read_text())
    by_start = bridge["by_start"]
    assert "For zero-RL from a base model, the mechanistic law" in text
    assert "better than the constant gain of that starting point" in text
    assert by_start["base"]["scores"]["mechanistic"]["beats_constant"]
    assert "distilled model no stated law is shown to beat the constant of that starting point" in text
    assert by_start["instruct"]["winner"] == by_start["distilled"]["winner"] == "constant"
    o = bridge["transfer"]["overall"]
    assert "a gain law in base pass@1 beats a constant gain" in text
    assert compare_word(o["diff_ci_constant"]) == "better"
    assert "a gain linear in ln N is no closer than the constant" in text
    assert o["mae_lnN"] >= o["mae_constant"]
    assert "fitted on the toy grids alone does worse than the constant" in text
    assert compare_word(o["diff_ci_fixed_constant"]) == "worse"

    checks = {c["hid"]: c for c in bridge["checks"]}
    real = checks["H2 (phi)"]
    assert "the φ model errs less than both baselines (holds)" in text
    assert real["status"] == "holds"
    assert real["mae"]["theory"] < min(real["mae"]["constant"], real["mae"]["linear_lnN"])
    assert (real["n_rows"], real["n_sources"]) == (o["n_rows"] + 1, o["n_sources"] + 1)  # "one more row and source"
    assert "coverage can be checked on one source only" in text
    assert checks["H2 (coverage)"]["status"] != "not testable" and checks["H2 (coverage)"]["n_sources"] == 1


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
