"""The per-grid summaries that fits.json and docs/recipe/rerun.json hold, pinned on the shipped grids
before they moved out of aha/ (issue 21): recomputed from grid.nc they equal the shipped JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from theory._result import to_jsonable
from toymodels.storage import load_dataset
from toymodels.summaries import run_entries, summarise

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "docs" / "recipe"


@pytest.mark.parametrize(
    ("name", "side", "path"),
    [
        ("threshold", "before", RECIPE / "before" / "threshold.nc"),
        ("prior", "before", RECIPE / "before" / "prior.nc"),
        ("threshold", "after", RECIPE / "rerun" / "threshold.nc"),
        ("prior", "after", RECIPE / "rerun" / "prior.nc"),
        ("demo", "after", RECIPE / "rerun" / "demo.nc"),
    ],
)
def test_the_rerun_page_numbers_are_what_the_grids_give(name, side, path):
    shipped = json.loads((RECIPE / "rerun.json").read_text())["grids"][name][side]
    assert json.loads(json.dumps(summarise(load_dataset(path)))) == shipped


def test_fits_json_run_entries_are_what_the_demo_grid_gives():
    """collapses, sharpening and rl_health of docs/demo/fits.json, recomputed from its grid.nc."""
    fits = json.loads((ROOT / "docs" / "demo" / "fits.json").read_text())
    got = json.loads(json.dumps(to_jsonable(run_entries(load_dataset(ROOT / "docs" / "demo" / "grid.nc")))))
    assert set(got) == {"collapses", "sharpening", "rl_health"}
    assert got == {k: fits[k] for k in got}


def test_the_demo_onsets_are_what_its_grid_gives():
    """docs/demo/fits.json's onset summary, recomputed from the per-cell onset fits of its grid.nc."""
    from theory.onset_stats import summarize_onsets
    from toymodels.onset import CURVE, onset_dataset

    fits = json.loads((ROOT / "docs" / "demo" / "fits.json").read_text())
    on = onset_dataset(load_dataset(ROOT / "docs" / "demo" / "grid.nc"), G=8, prompts_per_update=16)
    assert on.attrs["curve"] == CURVE and set(on.data_vars) >= {"aha_found", "aha_onset", "phi_start"}
    got = summarize_onsets(on.to_dataframe().reset_index(), CURVE)
    assert json.loads(json.dumps(to_jsonable(got))) == fits["onset"]


def test_the_self_correction_section_is_what_the_behaviour_grid_gives():
    """docs/behaviour/report.md's Self-correction section and its cells, recomputed from its grid.nc."""
    from aha.report_behaviour import behaviour_section
    from toymodels.behaviour import behaviour_frame

    ds = load_dataset(ROOT / "docs" / "behaviour" / "grid.nc")
    lines = behaviour_section(ds)
    shipped = (ROOT / "docs" / "behaviour" / "report.md").read_text()
    assert lines[0] == "## Self-correction" and "\n".join(lines) in shipped
    df = behaviour_frame(ds)
    assert set(df["task"]) == {"ModChain", "MultiDigitAdd"} and df["revise"].any() and not df["revise"].all()
    assert len(df) == int((ds["status"] == "ok").sum()) and {"gain", "n_params", "rl_wait_rate"} <= set(df.columns)
