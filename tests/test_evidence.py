"""Issue 22, item 2 wired into the study: rl_health in the cell table and in fits.json, claims that
never read a no-signal or broke-capable cell (and say how many they set aside), the think-first
sign (with - without), and each width's learning rate from a recipe.json (refinement widths too).
Render-only and table-only: seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from aha.fit import health_entries
from aha.presets import get_preset, with_recipe
from aha.render import health_lines
from aha.studies import get_study
from theory import study_claims
from theory.evidence import excluded_counts, split_evidence
from toymodels.cells import cell_table
from toymodels.grid import GridSpec, nearest_by_width
from toymodels.reuse import refinement_specs
from toymodels.storage import load_dataset

ROOT = Path(__file__).resolve().parents[1]
PRIOR_NC = ROOT / "docs" / "recipe" / "before" / "prior.nc"  # the old recipe's prior grid
BASE_KEY = {"task": "ModChain", "horizon": 5, "cot": True, "rl_lr": 0.001}


def _key(**over) -> str:
    return json.dumps(dict(sorted({**BASE_KEY, **over}.items())), sort_keys=True)


def _cells(no_think_gain: dict[int, float], health: dict[tuple[str, int, int], str] | None = None) -> pd.DataFrame:
    """Reference (thinks first) and no-think cells at widths 8-64, 3 seeds: the reference gains 0.6
    from width 32 up, no-think gains ``no_think_gain[width]``."""
    rows = []
    for w in (8, 16, 32, 64):
        for seed in range(3):
            for setting, key, variant, gain in (
                ("threshold", _key(), "", 0.6 if w >= 32 else 0.0),
                ("signals[variant=no-think]", _key(cot=False), "no-think", no_think_gain[w]),
            ):
                rows.append(
                    {
                        "setting": setting,
                        "key": key,
                        "grid": setting.split("[")[0],
                        "variant": variant,
                        "width": w,
                        "seed": seed,
                        "n_params": 12.0 * w * w,
                        "status": "ok",
                        "gain": gain + 0.01 * seed,
                        "rl_health": (health or {}).get((setting, w, seed), "ok"),
                    }
                )
    return pd.DataFrame(rows)


def test_think_first_is_plain_minus_no_think():
    """A base that gains 0.6 when it thinks first and 0 when it does not: think-first helps by +0.6
    at large widths (C7 reads with - without). The old rule read the no-think setting minus plain
    (-0.6) under the name 'no-think'."""
    cells = _cells(dict.fromkeys((8, 16, 32, 64), 0.0))
    v = study_claims.decide_c7(study_claims.setup(cells, _key()))
    assert "think-first" in v.result and "large +0.6" in v.result and "-0.6" not in v.result


def test_no_signal_and_broke_capable_cells_are_no_evidence_and_are_counted():
    """Two no-think cells at width 64 that measured the recipe (a broke-capable one with a -0.9
    gain, a no-signal one): the claims' cells leave them out, C7 still counts them per signal, and
    the verdicts report them among the settings they read."""
    bad = {("signals[variant=no-think]", 64, 0): "broke-capable", ("signals[variant=no-think]", 64, 1): "no-signal"}
    cells = _cells({8: 0.0, 16: 0.0, 32: 0.0, 64: 0.0}, bad)
    cells.loc[(cells.setting != "threshold") & (cells.width == 64) & (cells.seed == 0), "gain"] = -0.9
    kept, out = split_evidence(cells)
    assert len(out) == 2 and len(kept) == len(cells) - 2
    s = study_claims.setup(cells, _key())
    assert len(s.cells) == len(cells) - 2 and len(s.excluded) == 2
    assert (s.cells["gain"] > -0.5).all()  # the broken cell is in no claim's table
    settings = study_claims.claim_settings(s)
    assert excluded_counts(s.excluded, settings["C7"]) == {"no-signal": 1, "broke-capable": 1}
    assert excluded_counts(s.excluded, settings["C2"]) == {"no-signal": 0, "broke-capable": 0}
    v = study_claims.decide_c7(s)
    assert "-0.9" not in v.result and "+0.6" in v.result
    # a table written before rl_health existed sets nothing aside
    assert len(split_evidence(cells.drop(columns="rl_health"))[1]) == 0


@pytest.fixture(scope="module")
def prior_grid():
    return load_dataset(PRIOR_NC)


def test_cell_table_and_fits_json_carry_rl_health_of_the_shipped_prior_grid(prior_grid):
    """The shipped quick study's prior grid (rl_lr 1e-3): 6 no-signal and 3 broke-capable cells by
    theory.health's rule; cells.csv's column and fits.json's per-setting counts agree."""
    spec = next(s for s in get_study("quick").specs() if s.name == "prior")
    spec = GridSpec.from_dict({**spec.to_dict(), "fixed": {**spec.fixed, "rl_lr": 1e-3}})
    table, _ = cell_table(spec, prior_grid)
    got = table["rl_health"].value_counts().to_dict()
    assert got == {"ok": 21, "no-signal": 6, "broke-capable": 3}
    entries = health_entries(prior_grid)
    assert [e["setting"] for e in entries] == ["prior=0.25", "prior=1.0"]
    total = {k: sum(e["counts"][k] for e in entries) for k in ("ok", "no-signal", "broke-capable")}
    assert total == got
    by_setting = table.groupby("prior")["rl_health"].apply(lambda x: (x == "broke-capable").sum()).to_dict()
    assert [e["counts"]["broke-capable"] for e in entries] == [by_setting[0.25], by_setting[1.0]]
    md = "\n".join(health_lines({"rl_health": entries}))
    assert "| prior=1.0 |" in md and "broke-capable" in md


def test_recipe_sets_each_width_and_refinement_widths_follow_the_nearest(tmp_path):
    rec = {"widths": {"8": {"lr": 3e-4}, "32": {"lr": 1e-4}, "128": {"lr": 3e-5}, "64": {"lr": None}}}
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(rec))
    raw = next(s for s in get_study("quick").specs() if s.name == "threshold")
    raw = GridSpec.from_dict({**raw.to_dict(), "by_width": {}})  # the grid without quick's own recipe
    got = with_recipe(raw, path)
    lrs = {g.config.width: g.config.rl_lr for g in got.groups()}
    assert {
        g.config.width: g.config.rl_lr
        for g in next(s for s in get_study("quick").specs(path) if s.name == "threshold").groups()
    } == lrs
    assert lrs == {8: 3e-4, 16: 3e-4, 32: 1e-4, 64: 1e-4, 128: 3e-5}  # 16: tie 8/32 -> 8; 64: tie 32/128 -> 32
    assert nearest_by_width({8: {"rl_lr": 1.0}, 32: {"rl_lr": 2.0}}, [11, 17]) == {
        11: {"rl_lr": 1.0},
        17: {"rl_lr": 2.0},
    }
    ref = refinement_specs(got, 1, [22, 46], {}, 5)[0]  # the nearest of the grid's widths: 16 and 64
    assert {g.config.width: g.config.rl_lr for g in ref.groups()} == {22: 3e-4, 46: 1e-4}
    assert with_recipe(raw, None) is raw
    with pytest.raises(ValueError, match="--recipe .* does not exist"):
        with_recipe(raw, tmp_path / "missing.json")
    sweep = GridSpec("s", {"width": [8], "depth": [1], "seed": [0], "rl_lr": [1e-4, 1e-3]}, {"task": "ModChain"})
    with pytest.raises(ValueError, match="sweeps rl_lr"):
        with_recipe(sweep, path)


def test_a_study_grid_runs_alone_as_a_preset(tmp_path, capsys):
    from aha.cli import main
    from aha.studies import study_grid

    spec = study_grid("quick/prior")
    assert spec.to_dict() == next(s for s in get_study("quick").specs() if s.name == "prior").to_dict()
    with pytest.raises(ValueError, match="grid must be one of threshold"):
        study_grid("quick/nope")
    with pytest.raises(ValueError, match="study must be one of quick, full"):
        study_grid("slow/prior")
    assert main(["grid", "--preset", "quick/nope", "--out", str(tmp_path / "x")]) != 0
    assert "grid must be one of threshold" in capsys.readouterr().err


def test_rerun_page_judges_an_old_grid_by_the_same_rule(prior_grid, tmp_path):
    from aha.rerun import main, summarise

    r = summarise(prior_grid)
    assert r["health"]["broke-capable"] == 3 and r["health"]["no-signal"] == 6 and r["cells"] == 30
    assert r["max_kl"] > 1e6 and set(r["rl_lr"].values()) == {1e-3}
    assert main([str(tmp_path / "r.json"), str(tmp_path / "r.md"), f"prior={PRIOR_NC}:{tmp_path / 'none.nc'}"]) == 0
    md = (tmp_path / "r.md").read_text()
    assert "| prior | before | 30 | 21 | 6 | 3 |" in md and "| prior | after | not run |" in md


def test_a_per_width_learning_rate_does_not_split_a_setting_by_width():
    """A study grid that takes each width's RL learning rate from a recipe (GridSpec.by_width) is still
    one setting across widths: its cells share a setting key (the reference setting of C2-C8 spans the
    widths), while a grid that sweeps rl_lr as an axis keeps one setting per rate. On the old key, the
    first study run on the recipe found its reference setting at one width only (C2: 'take-off fit
    impossible: 1 size(s)')."""
    from toymodels.cells import group_key
    from toymodels.grid import GridSpec

    ax = {"width": [8, 16, 32], "depth": [1], "seed": [0]}
    per = {8: {"rl_lr": 1e-3}, 16: {"rl_lr": 3e-4}, 32: {"rl_lr": 3e-4}}
    spec = GridSpec("g", ax, {"horizon": 3}, by_width=per)
    assert len({group_key(spec, g.config) for g in spec.groups()}) == 1
    assert "rl_lr" not in group_key(spec, spec.groups()[0].config)
    plain = GridSpec("g", ax, {"horizon": 3})  # one rate for every width: in the key, one setting
    assert len({group_key(plain, g.config) for g in plain.groups()}) == 1 and "rl_lr" in group_key(
        plain, plain.groups()[0].config
    )
    swept = GridSpec("s", {**ax, "rl_lr": [1e-4, 1e-3]}, {"horizon": 3})
    assert len({group_key(swept, g.config) for g in swept.groups()}) == 2


def test_a_width_override_keeps_the_per_width_recipe_on_the_new_widths(tmp_path):
    """`aha grid --preset demo --recipe R --set width=8,32` (or a study grid, whose recipe is set per
    width) ran into "by_width names width 128, which is not on the width axis": the per-width rates
    now follow the new widths by the recipe's own nearest-width rule, and an explicit rl_lr wins."""
    rec = {"widths": {"8": {"lr": 3e-4}, "32": {"lr": 1e-4}, "128": {"lr": 3e-5}}}
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(rec))
    spec = with_recipe(get_preset("demo"), path).with_overrides({"width": [8, 22, 32]})
    # 22 takes the rate of its nearest grid width, 16 (tie 8/32 in the recipe -> 8), as a refinement does
    assert {g.config.width: g.config.rl_lr for g in spec.groups()} == {8: 3e-4, 22: 3e-4, 32: 1e-4}
    spec = with_recipe(get_preset("demo"), path).with_overrides({"width": [8, 32], "rl_lr": 5e-5})
    assert {g.config.width: g.config.rl_lr for g in spec.groups()} == {8: 5e-5, 32: 5e-5}
    threshold = next(s for s in get_study("quick").specs() if s.name == "threshold")
    narrowed = threshold.with_overrides({"width": [16, 64]})
    want = {g.config.width: g.config.rl_lr for g in threshold.groups() if g.config.width in (16, 64)}
    assert {g.config.width: g.config.rl_lr for g in narrowed.groups()} == want
