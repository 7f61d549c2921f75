"""Generated sentences that read right (issue 26, item 2): each case a new user found contradicting
itself, rendered by the code that writes report.md, study.md and the README (theory.text and its
callers), from small inputs or the shipped demo files. Written before the fix: every test here
failed on the old wording."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from aha.readme import demo_facts
from aha.render import sharpening_lines
from aha.report import summary_lines
from aha.study_report import claim_section
from theory import plots, text
from theory.claims import verdict_c2
from theory.refine import propose_refinement
from theory.selection import ModelComparison, verdict_from
from theory.takeoff import TakeoffFit
from theory.transitions import fit_transition
from toymodels.results import compare_runs
from toymodels.storage import load_dataset

DEMO = Path(__file__).resolve().parents[1] / "docs" / "demo"


def test_equal_bounds_are_said_once():
    assert text.between(0.001, -0.002) == "at +0.00"
    assert text.between(-0.03, 0.54) == "between −0.03 and +0.54"
    ds = load_dataset(DEMO / "grid.nc")
    ds["rl_pass_at_k"].loc[dict(split="ood")] = ds["base_pass_at_k"].sel(split="ood")  # OOD gain 0 in every cell
    facts = demo_facts(ds, json.loads((DEMO / "fits.json").read_text()), {}, None)
    assert "between +0.00 and +0.00" not in facts and "pass@1 of its cells lies at +0.00." in facts


def _cmp(bic: dict[str, float]) -> ModelComparison:
    best = min(bic, key=bic.get)
    return ModelComparison(dict(bic), dict(bic), best, best, {f: 1 / len(bic) for f in bic})


def test_rivals_are_named_by_their_verdict_word_and_best_fit_agrees_with_the_verdict():
    # linear (smooth) ahead of the constant (no trend) by 1.1 < 2: undetermined
    verdict, ev = verdict_from(_cmp({"linear": 10.0, "constant": 11.1}), {}, 5.0, True)
    assert verdict == "undetermined"
    assert not any("none alternative" in e for e in ev)
    assert "ΔBIC to the best no trend alternative (constant) = 1.1" in ev
    assert not any(e.startswith("best by BIC") for e in ev)  # no 'best' beside a verdict that did not take it
    assert ev[0] == "lowest BIC: linear (smooth), not decisive: verdict undetermined"
    verdict, ev = verdict_from(_cmp({"linear": 10.0, "constant": 13.2}), {}, 5.0, True)
    assert verdict == "smooth" and ev[0] == "best by BIC: linear (smooth)"


def _sharpening(gap_closed: float, mean_sharpening: float) -> dict:
    row = {"n_params": 3312, "base_pass1": 0.099, "base_greedy_acc": 0.151, "rl_pass1": 0.073}
    s = {"mean_gain": 0.243, "mean_sharpening": mean_sharpening, "mean_beyond_greedy": 0.25}
    return {
        "sharpening": {
            **s,
            "frac_gain_sharpening": mean_sharpening / 0.243,
            "per_size": [{**row, "gap_closed": gap_closed}],
        }
    }


def test_a_negative_share_of_the_gap_is_no_negative_closing():
    lines = "\n".join(sharpening_lines(_sharpening(-0.51, -0.007), [], True))
    assert "closed -" not in lines and "closed −" not in lines and "(-3%)" not in lines
    assert "gap to greedy widened by 51% (RL pass@1 fell)" in lines
    assert "−0.007 of it (against the gain) is sharpening" in lines.replace("-0.007", "−0.007")
    lines = "\n".join(sharpening_lines(_sharpening(0.45, 0.1), [], True))
    assert "gap to greedy closed 45%" in lines and "+0.100 of it (41%)" in lines


def test_refinement_says_which_way_the_span_compares_and_what_a_step_is(tmp_path):
    r = propose_refinement({16: [0.0, 0.0], 22: [0.0, 0.0], 32: [0.5, 0.5], 64: [0.6, 0.6]}, min_seeds=2)
    assert r.stop == "resolved" and "(<= 1)" not in r.reason
    assert "1.08 √2 steps, within 1 step (+0.15 tolerance" in r.reason
    assert "more than 1 step" in text.within_steps(2.0, 1, 0.15)
    log = {"threshold": [{"round": 2, "bracket": [22, 32], "new_widths": [], "more_seeds": {}, **r.to_dict()}]}
    (tmp_path / "refine.json").write_text(json.dumps(log, default=str))
    section = claim_section("C2", {"numbers": {"figures": ["C2_transition.png"]}}, tmp_path)
    assert "measured in √2 steps: a √2 step multiplies the width by √2 and N (∝ width²) by about 2" in section


def test_c2_clips_its_interval_to_the_sizes_measured():
    sizes = [888.0, 3312.0, 12768.0, 50112.0, 198528.0]
    fit = TakeoffFit(
        "logistic", {}, 24, 5, sizes, [5] * 5, [0, 1, 2, 3, 4], 6.6e3, (94.1, 1.23e6), 1.0, (0.1, 3.0), 1.0, True
    )
    v = verdict_c2(fit, "resolved", 0.35)
    assert "1.2e6]" not in v.result and "[9.4e1" not in v.result
    assert "its interval between < 8.9e2 and > 2.0e5 (the interval runs from 94, below" in v.result
    assert text.sci(888) == "8.9e2" and text.sci(94.1) == "94" and text.sci(50100) == "5.0e4"  # one format


def test_an_interval_beyond_the_grid_is_clipped_and_marked():
    s = text.interval_in_grid(3312, 3.61e5, 888, 1.99e5)
    assert s.startswith("between 3.31e+03 and > 1.99e+05") and "3.61e+05, beyond the largest size measured" in s
    assert text.interval_in_grid(500, 2e4, 888, 1.99e5).startswith("between < 888 and 2e+04")
    fits = json.loads((DEMO / "fits.json").read_text())
    fits["H1"]["rl_gain"]["N_c_ci"][1] = 3.61e5  # as the demo before issue 22 had it: beyond the grid's 1.99e5
    assert fits["H1"]["rl_gain"]["N_c_ci"][1] > fits["H1"]["rl_gain"]["N_range"][1]
    ds = load_dataset(DEMO / "grid.nc")
    summary = "\n".join(summary_lines(ds, {}, fits))
    assert "3.6e+05" not in summary.split("runs to")[0] and "> 2e+05 (the interval runs to 3.6e+05" in summary
    facts = demo_facts(ds, fits, {}, None)
    assert "and > 2.0e5 (the interval runs to 3.6e5, beyond the largest size measured)" in facts


def test_two_runs_with_the_same_threads_are_described_once(tmp_path):
    for d in (tmp_path / "a", tmp_path / "b"):
        d.mkdir()
        shutil.copy(DEMO / "grid.nc", d / "grid.nc")
        shutil.copy(DEMO / "env.json", d / "env.json")
    summary = compare_runs(tmp_path / "a", tmp_path / "b")["summary"]
    assert "threads and 2 torch threads" not in summary and "each with 2 torch threads" in summary
    assert text.each_or_both("1 torch thread", "2 torch threads") == "with 1 torch thread and 2 torch threads"


def _undetermined_fit():
    """A gain that does not separate a line from a constant (seeded noise around a slight slope)."""
    rng = np.random.default_rng(1)
    n = np.array([888.0, 3312, 12768, 50112, 198528])
    y = 0.1 + 0.03 * np.log(n / n[0]) + rng.normal(0, 0.15, (3, 5))
    da = xr.DataArray(y, dims=("seed", "width"), coords={"n_params": ("width", n)})
    return da, fit_transition(da, n_boot=20, seed=0)


def test_a_transition_figure_takes_its_title_and_legend_from_the_verdict(tmp_path, monkeypatch):
    da, fit = _undetermined_fit()
    assert fit.verdict == "undetermined" and fit.comparison.best_bic == "linear", fit.evidence
    assert fit.evidence[0].startswith("lowest BIC") and "not decisive" in fit.evidence[0]
    figs = []
    monkeypatch.setattr(plots.plt, "close", figs.append)  # keep the figure to read it
    plots.plot_transition(da, fit, tmp_path / "h1.png", ylabel="RL gain in pass@1")
    ax = figs[0].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "verdict undetermined" in ax.get_title() and "best fit" not in ax.get_title()
    assert not any(lab.startswith("best") for lab in labels)
    assert f"{fit.comparison.best_bic}: lowest BIC, not decisive" in labels
    assert all(not ln.get_label().startswith("_") for ln in ax.lines), "every line has a legend entry"
    plt.close(figs[0])


@pytest.mark.parametrize("verdict", ["smooth", "undetermined", "no trend"])
def test_notes_about_the_logistic_say_so_beside_another_verdict(verdict):
    note = "the rise is steeper than the grid resolves (fewer than 2 sizes inside it): N_c lies between 1 and 2"
    assert text.logistic_only(note, verdict).startswith(f"logistic fit only (verdict {verdict}): ")
    assert text.logistic_only(note, "sharp transition") == note
    assert text.nc_name(verdict) == "logistic N_c" and text.nc_name("sharp transition") == "N_c"


def test_a_thread_count_reads_in_the_singular_and_plural_everywhere():
    """One renderer for 'N torch thread(s)': the README fact and report.md's wall-time line said
    '1 torch threads' for a 1-thread run, while aha demo's comparison and repro.json said it right."""
    from aha.readme import demo_facts as facts  # noqa: PLC0415
    from aha.report import wall_time_text  # noqa: PLC0415

    assert text.threads(1) == "1 torch thread" and text.threads(2) == "2 torch threads"
    env = {"timing": {"cpus": 2, "torch_threads": 1, "total_s": 186.0, "grid_s": 180.0, "report_s": 6.0}}
    ds = load_dataset(DEMO / "grid.nc")
    fits = json.loads((DEMO / "fits.json").read_text())
    assert "(1 torch thread):" in facts(ds, fits, env, None)
    assert "with 1 torch thread (env.json timing)" in wall_time_text(env)
