"""`aha study` end to end on a tiny study, `aha grid --base-only` + `aha predict`, and the errors
that stop a study before any work (issue 11)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from aha import study as study_mod
from aha.cli import main
from aha.studies import Budget, Study, get_study, load_studies_file
from theory.refine import propose_refinement

HERE = Path(__file__).parent
STUDIES_FILE = str(HERE / "data" / "tiny_studies.py")
sys.path.insert(0, str(HERE / "data"))


def bracketing(gains, **kw):
    """Tiny models gain nothing, so refinement sees a synthetic rise between widths 8 and 16 (one
    value per seed run): this tests the study's machinery; the rule itself is tested on synthetic
    curves in tests/test_theory_refine.py."""
    return propose_refinement({w: [float(w >= 16)] * len(g) for w, g in gains.items()}, **kw)


def _keep_every_cell(mp) -> None:
    """Tiny models (6000 pretraining tokens, 4 updates) rarely see an informative group, so rl_health
    sets the plain cells aside as no-signal and C3 and C8 would read none: this tests the study's
    machinery, so every cell is kept (the exclusion itself: tests/test_evidence.py)."""
    keep = lambda cells: (cells, cells.iloc[:0])  # noqa: E731
    mp.setattr("theory.study_claims.split_evidence", keep)
    mp.setattr("aha.study_report.split_evidence", keep)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny study, run in-process, with one refinement round."""
    out = tmp_path_factory.mktemp("study") / "tiny"
    study = load_studies_file(Path(STUDIES_FILE))["tiny"]()
    mp = pytest.MonkeyPatch()
    mp.setattr(study_mod, "propose_refinement", bracketing)
    _keep_every_cell(mp)
    try:
        path = study_mod.run_study(study, out, progress=False)
    finally:
        mp.undo()
    return study, out, path


def test_tiny_study_writes_claims_table_and_refines(tiny_run):
    study, out, path = tiny_run
    text = path.read_text()
    lines = text.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("| claim | statement | measured result | verdict |"))
    assert lines[start].endswith("| cells set aside (rl_health) |")
    rows = lines[start + 2 : start + 2 + 9]
    assert [r.split("|")[1].strip() for r in rows] == [f"C{i}" for i in range(1, 10)]
    verdicts = json.loads((out / "verdicts.json").read_text())
    # claims a study moves elsewhere (issue 23 item 6: what did not fit quick) are rows that say so
    moved = [r for r in lines[start + 2 + 9 : start + 2 + 11]]
    assert [r.split("|")[1].strip() for r in moved] == ["C10", "C11"]
    for c in ("C10", "C11"):
        assert verdicts[c]["verdict"] == "not determined: not run in this study (the tiny study has no behaviour grid)"
        assert verdicts[c]["numbers"]["moved"] == "the tiny study has no behaviour grid" and verdicts[c]["n"] is None
        assert f"## {c}: " in text
    for v in verdicts.values():  # every verdict is one of the words, and the table shows it
        assert re.match(r"(holds only where|holds only in part:|holds\b|fails\b|not determined:)", v["verdict"]), v
        assert v["verdict"].replace("|", "\\|") in text
        assert v["decisive"] and f"Deciding number: {v['decisive']}." in text, v  # issue 23 item 6
    refine = json.loads((out / "refine.json").read_text())["ref"]
    assert refine[0]["new_widths"] == [12] and refine[0]["stop"] == ""  # bisection of 8..16 in log N
    # the bracket 12-16 is narrow, but P(take-off) over 3 sizes is not determined: never "resolved"
    assert refine[1]["stop"] == "grid resolution" and refine[1]["bracket"] == [12, 16]
    assert "take-off fit is not determined" in refine[1]["reason"]
    cells = pd.read_csv(out / "cells.csv")
    # the study's compute, however often it was resumed: the cells' own times, each as the runner timed it
    assert (cells["wall_s"] > 0).all()
    assert f"the cells' own run times add up to {cells['wall_s'].sum() / 60:.1f} min; wall time of this" in text
    ref = cells[cells.setting == "ref"]
    assert sorted(ref.width.unique()) == [8, 12, 16]
    assert sorted(ref[ref.width == 12].seed) == [0, 1, 2] and sorted(ref[ref.width == 8].seed) == [0, 1, 2]
    assert set(cells.setting) == {
        "ref",
        "other[horizon=4]",
        "recipes[variant=format-bonus]",
        "recipes[variant=temperature]",
    }
    # every field a grid sweeps is a column of every cell (issue 21): the horizon as L, revise_rate, temperature
    assert sorted(cells.groupby("setting")["L"].first().items()) == [
        ("other[horizon=4]", 4),
        ("recipes[variant=format-bonus]", 3),
        ("recipes[variant=temperature]", 3),
        ("ref", 3),
    ]
    assert (cells["revise_rate"] == 0.0).all() and "format_bonus" in cells
    assert set(cells.loc[cells.setting == "recipes[variant=temperature]", "temperature"]) == {1.5}
    assert set(cells.loc[cells.setting != "recipes[variant=temperature]", "temperature"]) == {1.0}
    for fig in ("C1_gain_vs_capability", "C3_nc_factors", "C4_C5_C6_curves", "C8_predicted_vs_observed"):
        assert (out / "figures" / f"{fig}.png").is_file() and f"figures/{fig}.png" in text
    assert "| predictor | MAE of gain |" in text
    # issue 22: every cell has its rl_health, study.md counts them per setting, and each verdict says
    # how many no-signal / broke-capable cells it set aside
    assert set(cells["rl_health"]) <= {"ok", "no-signal", "broke-capable", "malformed", "diverged", "n/a"}
    assert "## rl_health per setting" in text
    for v in verdicts.values():
        assert set(v["numbers"]["excluded"]) == {"no-signal", "broke-capable"}


def test_rerun_resumes_without_training(tiny_run, monkeypatch):
    study, out, _ = tiny_run
    import toymodels.runner as runner

    def boom(*a, **k):
        raise AssertionError("a finished study trained again")

    monkeypatch.setattr(runner, "_run_group", boom)
    monkeypatch.setattr(study_mod, "propose_refinement", bracketing)
    _keep_every_cell(monkeypatch)
    study_mod.run_study(study, out, progress=False)


def test_base_only_run_and_predict_reproduce_the_study(tiny_run, tmp_path, capsys):
    _, out, _ = tiny_run
    run = tmp_path / "base"
    code = main(
        [
            "grid",
            "--preset",
            "tiny",
            "--presets-file",
            str(HERE / "data" / "tiny_presets.py"),
            "--set",
            "width=8,16",
            "--set",
            "seed=0,1",
            "--set",
            "rl_updates=4",
            "--set",
            "horizon=3",
            "--base-only",
            "--out",
            str(run),
            "--quiet",
        ]
    )
    assert code == 0
    ds = xr.open_dataset(run / "grid.nc")
    assert not [v for v in ds.data_vars if v.startswith("rl_")] and "reward" not in ds and "base_pass_at_k" in ds
    full = xr.open_dataset(out / "grids" / "ref" / "grid.nc")
    for v in ("base_pass_at_k", "base_trace_pass_at_k", "base_step_prob", "base_greedy_acc"):
        np.testing.assert_array_equal(ds[v].values, full[v].values)  # the base half of a full cell, exactly
    assert main(["predict", str(run), "--model", str(out / "predictors.json")]) == 0
    assert "N_c[" in capsys.readouterr().out
    got = pd.read_csv(run / "predictions.csv")
    blob = json.loads((out / "predictors.json").read_text())
    insample = pd.read_csv(out / "predictions.csv")
    merged = got.merge(insample[insample.setting == "ref"], on=["width", "seed"], suffixes=("", "_study"))
    assert len(merged) == 4
    np.testing.assert_allclose(merged["predicted_gain"], merged[blob["best"]], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(merged["p_gain"], merged["p_gain_study"], rtol=1e-9, atol=1e-12)


def test_dry_run_prints_cells_and_projected_time(capsys):
    assert main(["study", "quick", "--dry-run"]) == 0
    text = capsys.readouterr().out
    total = [line for line in text.splitlines() if line.startswith("total")][0].split()
    assert int(total[1]) > 300 and 0 < float(total[2]) <= 120  # quick: within 120 projected CPU minutes (issue 23)
    assert "signals" in text and "GPU" in text


def test_bad_names_and_fields_stop_before_any_work(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["study", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "study must be one of quick, full" in err
    assert main(["study", "bad-field", "--studies-file", STUDIES_FILE, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "widht" in err
    assert not out.exists()
    with pytest.raises(ValueError, match="analyses must be among"):
        Study("x", [lambda: None], analyses=["C12"])
    with pytest.raises(ValueError, match="moved names C2, which its analyses decide"):
        Study("x", [lambda: None], analyses=["C1", "C2"], moved={"C2": "why"})
    with pytest.raises(ValueError, match="moved must map claims among C1, .*; got C13"):
        Study("x", [lambda: None], analyses=["C1"], moved={"C13": "why"})
    with pytest.raises(ValueError, match="refine_seeds"):
        Budget(refine_seeds=0)
    with pytest.raises(ValueError, match="refine names grid 'nope'"):
        get_study("tiny", {"tiny": lambda: Study("tiny", get_study("quick").grids[:1], refine=["nope"])})


def test_no_train_reuse_and_agreement_between_runs(tiny_run, tmp_path, monkeypatch):
    """Issue 23 item 5's mechanism and the regeneration path: a study decided again from finished
    grids only (--reuse, --no-train: nothing trains; the finished refinement rounds join as they
    are), checked against another run's verdicts (--agree-with): a verdict whose word differs there
    is written as not determined, and agreement.json lists both."""
    study, out, _ = tiny_run
    import toymodels.runner as runner

    def boom(*a, **k):
        raise AssertionError("--no-train trained")

    monkeypatch.setattr(runner, "_run_group", boom)
    _keep_every_cell(monkeypatch)  # as the fixture decided: one verdict changed here, none by rl_health
    other = tmp_path / "other"
    other.mkdir()
    theirs = json.loads((out / "verdicts.json").read_text())
    c = next(k for k, v in theirs.items() if not v["verdict"].startswith("holds"))
    theirs[c]["verdict"] = "holds"
    (other / "verdicts.json").write_text(json.dumps(theirs))
    again = tmp_path / "again"
    study_mod.run_study(study, again, progress=False, reuse=[out], train=False, agree_with=other)
    mine = json.loads((again / "verdicts.json").read_text())
    assert mine[c]["verdict"].startswith("not determined")
    assert "flips between runs" in mine[c]["verdict"] or mine[c]["verdict"].count("not determined") >= 1
    agree = json.loads((again / "agreement.json").read_text())["claims"]
    assert agree[c]["agree"] is False and sum(not f["agree"] for f in agree.values()) == 1
    refine = json.loads((again / "refine.json").read_text())["ref"]
    assert refine[-1]["stop"] == "no-train" and "ref-refine1" in refine[-1]["reason"]
    cells = pd.read_csv(again / "cells.csv")
    assert sorted(cells[cells.setting == "ref"].width.unique()) == [8, 12, 16]  # the refinement cells joined
    with pytest.raises(ValueError, match="--no-train: grid 'ref'"):
        study_mod.run_study(study, tmp_path / "empty", progress=False, train=False)


def test_thread_and_rerun_flags_are_checked_before_any_work(tmp_path, capsys):
    out = tmp_path / "never"
    base = ["study", "tiny", "--studies-file", STUDIES_FILE, "--out", str(out)]
    assert main([*base, "--threads", "0"]) == 2
    assert "--threads must be an integer >= 1" in capsys.readouterr().err
    assert main([*base, "--rerun", "nope"]) == 2
    assert "--rerun must name a grid of study 'tiny'" in capsys.readouterr().err
    assert main([*base, "--agree-with", str(tmp_path)]) == 2
    assert "has no verdicts.json" in capsys.readouterr().err
    assert not out.exists()
