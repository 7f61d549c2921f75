"""Every verdict in every report follows, by the rule that report states, from the numbers printed
beside it (issue 15: `bridge.md` said `holds` for H5 with MAE 0.065 vs 0.060 and a CI spanning 0)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
_NUM = r"[-+]?\d+\.\d+"


@pytest.fixture(scope="module")
def bridge(published_bridge) -> Path:
    """The output folder of run_bridge(out, published=True) (tests/conftest.py)."""
    return published_bridge[0]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _checks_rows(md: str) -> list[dict]:
    lines = md.splitlines()
    i = next(j for j, x in enumerate(lines) if x.startswith("| prediction | rule | status"))
    head = _cells(lines[i])
    out = []
    for x in lines[i + 2 :]:
        if not x.startswith("|"):
            break
        out.append(dict(zip(head, _cells(x), strict=True)))
    return out


def _f(text: str) -> float:
    return float(text) if re.fullmatch(_NUM, text) else float("nan")


def _ci(text: str) -> tuple[float, float]:
    m = re.fullmatch(rf"\[({_NUM}), ({_NUM})\]", text)
    return (float(m.group(1)), float(m.group(2))) if m else (float("nan"), float("nan"))


def test_bridge_states_every_rule_it_uses_and_each_status_follows_from_its_row(bridge):
    from llm_bridge.checks import RULES

    md = (bridge / "bridge.md").read_text()
    rows = _checks_rows(md)
    assert rows
    for r in rows:
        rule, status = r["rule"], r["status"]
        assert f"- `{rule}` rule:" in md, f"rule {rule} used but not stated"
        detail = r["detail / missing input"]
        if status == "not testable":
            assert "**Missing:**" in detail
            continue
        if rule == "LOO":
            mae = {
                "theory": _f(r["LOO MAE theory"]),
                "constant": _f(r["constant"]),
                "linear_lnN": _f(r["linear in ln N"]),
            }
            ci = {"constant": _ci(r["theory − constant (90% CI)"]), "linear_lnN": _ci(r["theory − linear (90% CI)"])}
            below = all(mae["theory"] < mae[b] for b in ci)
            expect = (
                "holds"
                if below and all(c[1] < 0 for c in ci.values())
                else "fails"
                if any(c[0] > 0 for c in ci.values())
                else "inconclusive"
            )
        elif rule == "sign":
            d = np.array(json.loads(re.search(r"Δ = (\[[^\]]*\])", detail).group(1)))
            assert r["LOO MAE theory"] == "–"  # a sign test prints no error it could be judged by
            tol = float(re.search(r"Δ > \+([\d.]+)", RULES["sign"]).group(1))
            expect = "holds" if (d <= 0).all() else "fails" if (d > tol).any() else "inconclusive"
        elif rule == "rank":
            rho = np.array([float(x) for x in re.findall(r"ρ=([-+]\d\.\d+)", detail)])
            expect = "holds" if (rho > 0).all() else "fails" if (rho < 0).all() else "inconclusive"
        elif rule == "no-signal":
            g = np.array(json.loads(re.search(r"gains (\[[^\]]*\])", detail).group(1)))
            expect = "holds" if (np.abs(g) < 0.02).all() else "fails"
        else:
            raise AssertionError(f"unknown rule {rule}")
        assert status == expect, (r["prediction"], status, expect)


def test_h5_under_the_error_rule_is_not_holds_with_a_baseline_closer(bridge):
    """The case the issue saw: Δ = 0 predicted, constant baseline's MAE lower, CIs spanning 0. Pinned on
    that case's own numbers (bridge.md of issue 15), not on whatever the shipped table says today; the
    shipped report must still judge H5 twice, each under its own rule."""
    from llm_bridge.check_rules import loo_status, sign_status

    issue_mae = {"theory": 0.065, "constant": 0.060, "linear_lnN": 0.066}
    issue_ci = {"constant": (-0.025, 0.040), "linear_lnN": (-0.030, 0.012)}
    assert loo_status(issue_mae, issue_ci) == "inconclusive"
    assert loo_status(issue_mae | {"theory": 0.050}, issue_ci) == "inconclusive"  # below both, CIs span 0
    assert loo_status(issue_mae | {"theory": 0.050}, {b: (-0.03, -0.01) for b in issue_ci}) == "holds"
    assert loo_status(issue_mae, issue_ci | {"constant": (0.001, 0.040)}) == "fails"
    # the issue's six Δ (all ≤ 0) hold by sign; a rise within rounding is inconclusive; beyond it, fails
    assert sign_status([-0.008, -0.008, -0.052, -0.029, -0.09, -0.133]) == "holds"
    assert sign_status([-0.008, 0.012]) == "inconclusive"
    assert sign_status([-0.008, 0.021]) == "fails"
    rows = {r["prediction"].split("**")[1]: r for r in _checks_rows((bridge / "bridge.md").read_text())}
    assert rows["H5"]["rule"] == "sign" and rows["H5 (point Δ = 0)"]["rule"] == "LOO"


def test_bridge_names_each_source_once_and_explains_its_read_tags(bridge):
    md = (bridge / "bridge.md").read_text()
    assert "Yue2025" not in md
    from llm_bridge.published import load_published

    ds = load_published()
    for m in ds.model.values:  # every group label starts with its source's own name
        assert str(m).startswith(str(ds.source_group.sel(model=m).values) + ": "), m
    for tag in ("P", "S", "U", "D", "P-blog", "P-abstract"):
        assert f"- `{tag}`: " in md, tag
    summary = json.loads((bridge / "bridge.json").read_text())
    phi = next(c for c in summary["checks"] if c["hid"] == "H2 (phi)")
    assert phi["n_rows"] == summary["n_rows"] and phi["n_groups"] >= 4


def test_toy_report_states_its_rules_and_h2_verdicts_follow_from_the_printed_errors(tmp_path):
    """report.md's Theory section: every hypothesis line ends with a verdict word, and H2's follows
    from the three errors printed on its line by the rule the section states."""
    from aha.fit import fit_run
    from aha.report import write_report

    run = tmp_path / "demo"
    shutil.copytree(ROOT / "docs" / "demo", run, ignore=shutil.ignore_patterns("report.md", "figures"))
    write_report(run)
    fit_run(run, n_boot=20)
    text = (run / "report.md").read_text()
    theory = text[text.index("## Theory") :]
    assert "- H2 rule:" in theory
    lines = [x for x in theory.splitlines() if re.match(r"- \*\*H\d", x)]
    assert lines
    for x in lines:
        assert re.search(r"verdict: \*\*[a-z][a-z -]*\*\*\.$", x), x
    for x in (x for x in lines if x.startswith("- **H2")):
        m = re.search(rf"gain model ({_NUM}) vs constant ({_NUM}) vs linear in ln N ({_NUM})", x)
        g, c, lin = (float(v) for v in m.groups())
        verdict = re.search(r"verdict: \*\*(\w[\w ]*)\*\*", x).group(1)
        assert verdict == ("holds" if g < min(c, lin) else "fails"), x


def test_bridge_md_states_its_transfer_verdicts_in_words(bridge):
    """The 'In short' line under the pooled transfer heading gives the leave-one-source-out verdicts by
    COMPARE_RULE from the intervals bridge.json holds, and the rows and sources behind them (issue 25 moved
    the section after the practitioner table and the per-start laws)."""
    from llm_bridge.transfer import compare_word

    md = (bridge / "bridge.md").read_text()
    o = json.loads((bridge / "bridge.json").read_text())["transfer"]["overall"]
    lead = md[md.index("## Pooled over every starting point") :].splitlines()[2]
    assert lead.startswith("**In short:**"), lead
    assert f"vs a constant gain: **{compare_word(o['diff_ci_constant'])}**" in lead
    assert f"vs ln N: **{compare_word(o['diff_ci_lnN'])}**" in lead
    assert f"vs the constant: **{compare_word(o['diff_ci_fixed_constant'])}**" in lead
    assert f"{o['n_rows']} results from {o['n_sources']} sources" in lead
