"""Every figure a study draws lies within its canvas (issue 26 item 6), drawn from the shipped study's
cell table (docs/study/cells.csv) without training: the claims decided again and every figure drawn."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from aha.studies import get_study
from aha.study_report import decide_and_draw
from toymodels.cells import _COLUMNS, swept_fields

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "docs" / "study"
STUDY_FIGURES = {
    "C1_gain_vs_capability",
    "C2_takeoff",
    "C3_nc_factors",
    "C4_C5_C6_curves",
    "C6_knobs",
    "C7_signals",
    "C8_predicted_vs_observed",
    "C10_onset",
    "C11_revisions",
}
"""The figures a study with every claim and a behaviour grid draws (aha.study_report.decide_and_draw)."""


def with_keys(cells: pd.DataFrame, specs) -> pd.DataFrame:
    """cells.csv without its key column (the setting's config as JSON, dropped on writing), given one
    again from the columns that tell settings apart: every field the study's grids sweep
    (toymodels.cells.swept_fields) and those with a column of their own, plus depth, RL updates and
    prompts, under their config names (the horizon in effect, column L, as horizon: C3 names its
    factors by the field that differs)."""
    names = {"L": "horizon", "prompts": "prompts_per_update"}
    cols = sorted((_COLUMNS - {"horizon"}) | {"L", "depth", "rl_updates", "prompts"})
    cols += [f for f in swept_fields(specs) if f in cells]
    conf = cells[cols].astype(object).where(cells[cols].notna(), None).rename(columns=names)
    return cells.assign(key=[json.dumps(r, sort_keys=True, default=str) for r in conf.to_dict("records")])


def made_up_curves(cells: pd.DataFrame) -> dict:
    """A reward, entropy and completion-length curve over 31 logged updates for every cell with RL,
    drawn at random: the curve panels get lines to lay out (the claims read the table's measures)."""
    rng = np.random.default_rng(0)
    steps = np.arange(0, 151, 5.0)
    out = {}
    for r in cells[np.isfinite(cells["gain"])].itertuples(index=False):
        out[(r.setting, r.width, r.seed)] = {
            "step": steps,
            "samples": steps * 256,
            "reward": np.clip(rng.uniform(0, 1) + rng.normal(0, 0.05, steps.size), 0, 1),
            "entropy": rng.uniform(0.5, 2) + rng.normal(0, 0.05, steps.size),
            "completion_len": 9 + rng.normal(0, 0.5, steps.size),
        }
    return out


def test_every_figure_of_the_shipped_study_lies_within_its_canvas(tmp_path, monkeypatch, cut_off):
    study = get_study("quick")
    cells = with_keys(pd.read_csv(STUDY / "cells.csv", keep_default_na=False, na_values=[""]), study.specs())
    ref = cells.loc[cells.setting == study.specs()[0].name, "key"].iloc[0]
    assert ref != cells.loc[cells.setting == "signals[variant=hint]", "key"].iloc[0]  # the keys tell settings apart
    refine_log = json.loads((STUDY / "refine.json").read_text())
    figs: dict[str, matplotlib.figure.Figure] = {}
    save = matplotlib.figure.Figure.savefig

    def keep(self, fname, *a, **kw):
        figs[Path(fname).stem] = self
        return save(self, fname, *a, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    decide_and_draw(study, cells, made_up_curves(cells), refine_log, ref, tmp_path)
    assert not {"C10_onset", "C11_revisions"} & set(figs)  # quick moves C10 and C11: no figure of theirs
    assert set(figs) == {p.stem for p in (STUDY / "figures").glob("*.png")}  # every figure the study ships
    assert set(figs) <= STUDY_FIGURES and not cut_off(figs)


@pytest.mark.parametrize("curves", [False, True])
def test_revision_panels_lie_within_their_canvas(tmp_path, monkeypatch, cut_off, curves):
    """aha/plots_behaviour.revision_panels (C11, and a run's self_correction.png) from a small
    constructed table, with and without length curves over RL."""
    from aha.plots_behaviour import length_curves, revision_panels

    rows = [
        {
            "task": t,
            "revise": rev,
            "n_params": n,
            "seed": s,
            "gain": 0.1 * i,
            **{f"{ph}_{v}": 0.3 for ph in ("base", "rl") for v in ("wait_rate", "revise_fix_rate")},
            "base_completion_len": 9.0,
            "rl_completion_len": 10.0,
        }
        for t in ("ModChain", "MultiDigitAdd")
        for rev in (False, True)
        for i, n in enumerate((888, 3312, 12768, 50112))
        for s in range(2)
    ]
    lc = None
    if curves:
        steps = np.arange(0, 151, 5.0)
        lc = length_curves((r["task"], r["revise"], r["n_params"], steps, 9 + 0 * steps) for r in rows)
    figs = {}
    save = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(
        matplotlib.figure.Figure,
        "savefig",
        lambda self, f, *a, **k: (figs.setdefault("rev", self), save(self, f, *a, **k))[1],
    )
    revision_panels(rows, tmp_path / "self_correction.png", lc)
    assert set(figs) == {"rev"} and not cut_off(figs)
