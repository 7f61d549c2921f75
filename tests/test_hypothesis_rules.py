"""Every hypothesis verdict of the shipped run reports (docs/demo, docs/behaviour) follows, by its
stated rule, from the numbers in the run's fits.json; and the summary lists exactly the Theory
section's verdicts, in its order. Written before the rules moved out of aha/fit.py into theory/
(issue 21): it reads the words as the reader sees them, in report.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNS = [ROOT / "docs" / "demo", ROOT / "docs" / "behaviour"]
_LINE = re.compile(r"^- \*\*(H[^*]+)\*\*: .*verdict: \*\*([^*]+)\*\*\.$", re.M)


def _theory(run: Path) -> list[tuple[str, str]]:
    text = (run / "report.md").read_text()
    return _LINE.findall(text[text.index("\n## Theory") :])


def _expected(label: str, fits: dict) -> str:
    """The verdict word each rule gives from the numbers in fits.json (the rules of report.md)."""
    hid = label.split()[0].split("[")[0]
    if hid == "H1":
        key = label.split(" ", 1)[1]
        return fits["H1"]["rl_pass1" if key == "post-RL pass@1" else key]["verdict"]
    if hid == "H2":
        loo = fits["H2"]["coverage" if "coverage" in label else "phi"]["loo"]
        r = loo["rmse"]
        if loo["verdict"].startswith("undetermined"):
            return "undetermined"
        return "holds" if r["gain_model"] < min(r["constant"], r["linear_lnN"]) else "fails"
    if hid == "H3":
        h3 = fits["H3"]
        if not h3["n_cells_no_signal"]:
            return "not testable"
        return "holds" if abs(h3["mean_gain_no_signal"]) < 0.02 else "fails"
    if hid == "H5":
        return "holds" if fits["H5"]["frac_cells_support_expanded"] < 0.5 else "fails"
    if hid == "H6":
        s = fits["H6"]["summary"]
        if s["n_cells"] == 0:
            return "undetermined"
        return "holds" if s["median_r2"] >= 0.5 and s["frac_a_positive"] > 0.5 else "fails"
    if hid == "H7":
        chk = fits["H7"].get("sharpness")
        return {"yes": "holds", "no": "fails"}.get(chk["survives"], "undetermined") if chk else "undetermined"
    raise KeyError(label)


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_each_verdict_follows_from_fits_json_by_its_rule(run):
    fits = json.loads((run / "fits.json").read_text())
    found = _theory(run)
    assert len(found) >= 8
    for label, word in found:
        if label.startswith("H4") and "horizon" not in fits.get("H4", {}).get("prediction", {}):
            assert word == "not testable"  # one horizon: the p = q^L line compares, it does not decide
        elif label.startswith("H10"):
            assert word == "not testable"  # both shipped runs have one depth
        else:
            assert word == _expected(label, fits), label


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_summary_lists_the_theory_verdicts_in_order(run):
    text = (run / "report.md").read_text()
    line = next(x for x in text.splitlines() if x.startswith("- **Verdicts**"))
    listed = re.findall(r"(H[^`;]+?) `([^`]+)`", line.split(": ", 1)[1])
    assert listed == [(a.strip(), b) for a, b in _theory(run)]


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_every_verdict_word_of_the_report_is_a_field_of_fits_json(run):
    """report.md's verdict words are rendered from fits.json's "theory" list (issue 21), in its order,
    and each hypothesis entry of fits.json carries the same word."""
    fits = json.loads((run / "fits.json").read_text())
    stored = [(it["claim"], it["verdict"]) for it in fits["theory"] if it["verdict"] is not None]
    assert stored == _theory(run)
    for key in ("H2", "H3", "H5", "H6", "H7"):
        entries = fits[key].values() if key == "H2" else [fits[key]]
        assert all(e["verdict"] in dict(stored).values() for e in entries), key


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_the_shipped_report_is_what_its_files_render(run, tmp_path):
    """report.md is rendered once from grid.nc, env.json and fits.json: rendering the shipped files again
    gives the shipped report.md, character for character (docs/behaviour's grid is docs/study's)."""
    import shutil

    from aha.report import write_report

    copy = tmp_path / run.name
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("report.md"))
    if not (copy / "grid.nc").exists():
        shutil.copy2(ROOT / "docs" / "behaviour" / "grid.nc", copy / "grid.nc")
    assert write_report(copy).read_text() == (run / "report.md").read_text()
