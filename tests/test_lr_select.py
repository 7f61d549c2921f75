"""The per-width RL learning-rate rule (theory.lr_select) on constructed sweeps, and the validation
split it reads (toymodels.validate): held out by content, disjoint from the final evaluation."""

import numpy as np
import pytest
import torch

from envs import splits
from theory.lr_select import select_lr
from toymodels import CellConfig, run_cell
from toymodels.evaluate import eval_items
from toymodels.validate import val_items

LRS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3]


def test_the_best_rate_wins_when_it_stands_out():
    gain = [[0.0, 0.0, 0.0], [0.02, 0.01, 0.03], [0.10, 0.12, 0.11], [0.30, 0.32, 0.31], [0.05, 0.0, 0.1]]
    r = select_lr(LRS, gain)
    assert r["lr"] == r["best_lr"] == 3e-4
    assert r["eligible"].all() and r["mean"][3] == pytest.approx(0.31)


def test_the_one_se_rule_takes_the_smallest_rate_within_one_standard_error_of_the_best():
    # 3e-4 is best on the mean, but 1e-4 is within one s.e. of it (a noisy best): the smaller step
    gain = [[0.0, 0.0, 0.0], [0.0, 0.01, 0.0], [0.25, 0.28, 0.22], [0.05, 0.5, 0.3], [0.0, 0.0, 0.0]]
    r = select_lr(LRS, gain, rule="one-se")
    se = np.std([0.05, 0.5, 0.3], ddof=1) / np.sqrt(3)
    assert r["best_lr"] == 3e-4 and 0.25 >= np.mean([0.05, 0.5, 0.3]) - se
    assert r["lr"] == r["lr_one_se"] == 1e-4 and r["rule"] == "one-se"
    assert r["se"][3] == pytest.approx(se)


def test_bimodal_seeds_make_the_one_se_rule_pick_the_smallest_rate_so_the_default_takes_the_best_mean():
    # docs/recipe's width 32: three seeds that take off or not at every rate, so one s.e. of the best
    # covers every rate and the one-s.e. rule picks the smallest swept rate whatever the rates do; the
    # default rule (best mean) takes 3e-4, and still reports the one-s.e. choice beside it
    gain = [[0.0, 0.45, 0.40], [0.0, 0.55, 0.57], [0.0, 0.63, 0.65], [0.0, 0.68, 0.70], [0.0, 0.6, 0.66]]
    r = select_lr(LRS, gain)
    assert r["rule"] == "best-mean" and r["lr"] == r["best_lr"] == 3e-4
    assert r["lr_one_se"] == 1e-5 and "one-s.e. rule would take 1e-05" in r["reason"]
    with pytest.raises(ValueError, match="rule='median'.*best-mean, one-se"):
        select_lr(LRS, gain, rule="median")


def test_a_rate_with_a_diverged_or_missing_seed_is_not_eligible():
    gain = [[0.0, 0.0], [0.1, 0.1], [0.2, 0.2], [0.9, np.nan], [0.9, 0.9]]
    div = np.zeros((5, 2), bool)
    div[4, 0] = True
    r = select_lr(LRS, gain, div)
    assert r["eligible"].tolist() == [True, True, True, False, False]
    assert r["lr"] == 1e-4 and r["best_lr"] == 1e-4


def test_one_seed_has_no_standard_error_and_no_eligible_rate_no_choice():
    r = select_lr(LRS, [[0.0], [0.1], [0.3], [0.2], [0.3]])
    assert r["lr"] == 1e-4 and r["best_lr"] == 1e-4  # ties go to the first best, then the smallest within 0
    r = select_lr([1e-4, 1e-3], [[np.nan], [np.nan]])
    assert r["lr"] is None and "no learning rate" in r["reason"]
    with pytest.raises(ValueError, match="one row per learning rate"):
        select_lr(LRS, [[0.1]])


def test_validation_prompts_are_held_out_and_disjoint_from_the_evaluation():
    cfg = CellConfig(horizon=4, eval_prompts=16, val_prompts=16)
    task = cfg.tasks()["id"]
    ev, _ = eval_items(task, 16, "cpu")
    va, _ = val_items(task, 16, 16, "cpu")
    Q = task.question_len()
    assert va.shape[0] == 16 and splits.is_heldout(va[:, :Q]).all()
    assert not ({tuple(q) for q in ev[:, :Q].tolist()} & {tuple(q) for q in va[:, :Q].tolist()})
    both, _ = eval_items(task, 32, "cpu")  # the validation prompts are the evaluation scan's next 16
    assert torch.equal(both[16:], va)


def test_run_cell_records_validation_pass_at_1():
    cfg = CellConfig(width=16, horizon=3, pretrain_tokens=20_000, rl_updates=2, prompts_per_update=4, group_size=4,
                     k_max=4, eval_prompts=8, val_prompts=8, device="cpu")  # fmt: skip
    ds = run_cell(cfg)
    for v in ("base_val_pass_at_1", "rl_val_pass_at_1"):
        assert ds[v].dims == ("seed",) and 0 <= float(ds[v].sel(seed=0)) <= 1
    assert "base_val_pass_at_1" not in run_cell(cfg.__class__(**{**cfg.to_dict(), "val_prompts": 0}))
    with pytest.raises(ValueError, match="val_prompts=4000"):
        CellConfig(horizon=3, val_prompts=4000)


# --- the recipe report --------------------------------------------------------------------------------
def sweep_grid(val_rl, eval_rl):
    """A constructed lr sweep: widths 8 and 16, lrs 1e-4 and 1e-3, 2 seeds; base pass@1 0.2 everywhere."""
    import json

    import xarray as xr

    dims = ("width", "depth", "rl_lr", "seed")
    shape = (2, 1, 2, 2)
    val = np.broadcast_to(np.asarray(val_rl, float)[None, None, :, None], shape)
    ev = np.broadcast_to(np.asarray(eval_rl, float)[None, None, :, None, None, None], (*shape, 2, 1))
    return xr.Dataset(
        {
            "base_val_pass_at_1": (dims, np.full(shape, 0.2)),
            "rl_val_pass_at_1": (dims, val.copy()),
            "base_pass_at_k": ((*dims, "split", "k"), np.full((*shape, 2, 1), 0.2)),
            "rl_pass_at_k": ((*dims, "split", "k"), ev.copy()),
            "informative_early": (dims, np.full(shape, 0.5)),
            "ill_formed_late": (dims, np.zeros(shape)),
            "kl": ((*dims, "step"), np.full((*shape, 2), 0.01)),
            "status": (dims, np.full(shape, "ok")),
            "n_params": (("width",), [888, 3312]),
        },
        coords={
            "width": [8, 16],
            "depth": [1],
            "rl_lr": [1e-4, 1e-3],
            "seed": [0, 1],
            "split": ["id", "ood"],
            "k": [1],
            "step": [0, 149],
        },  # fmt: skip
        attrs={"n_eval_prompts": 64, "cell_config": json.dumps({"val_prompts": 64, "rl_updates": 150})},
    )


def test_recipe_chooses_on_validation_and_never_on_the_evaluation(tmp_path):
    from aha.recipe import analyse, figure, page, render

    rec = analyse(sweep_grid(val_rl=[0.5, 0.3], eval_rl=[0.3, 0.9]))  # the evaluation would pick 1e-3
    for w in ("8", "16"):
        r = rec["widths"][w]
        assert r["lr"] == 1e-4 and r["val_gain_mean"] == [0.3, 0.1] and r["eval_gain_mean"] == [0.1, 0.7]
        assert r["health"]["0.0001"]["ok"] == 2
    assert figure(rec, tmp_path / "f.png").stat().st_size > 0
    table = render(rec)
    assert "**0.0001**" in table and table.count("\n") == 3
    text = page(rec, "run", "out", "page.md")
    assert table in text and "width 16: highest mean validation gain +0.300" in text and "| 0.0001 | 4 |" in text
    with pytest.raises(ValueError, match="rl_val_pass_at_1"):
        analyse(sweep_grid([0.5, 0.3], [0.3, 0.9]).drop_vars("rl_val_pass_at_1"))


def test_grid_cells_take_each_widths_rate(tmp_path):
    import json

    from aha.recipe import analyse, by_width
    from toymodels.grid import GridSpec, cell_id

    rec = analyse(sweep_grid(val_rl=[0.5, 0.3], eval_rl=[0.3, 0.9]))
    rec["widths"]["16"]["lr"] = 1e-3
    (tmp_path / "recipe.json").write_text(json.dumps(rec))
    per = by_width(tmp_path / "recipe.json")
    assert per == {8: {"rl_lr": 1e-4}, 16: {"rl_lr": 1e-3}}
    spec = GridSpec("g", axes={"width": [8, 16], "depth": [1], "seed": [0]}, fixed={"horizon": 3}, by_width=per)
    lrs = {g.coords["width"]: g.config.rl_lr for g in spec.groups()}
    assert lrs == {8: 1e-4, 16: 1e-3}
    assert GridSpec.from_dict(json.loads(json.dumps(spec.to_dict()))).by_width == per
    plain = GridSpec("g", axes={"width": [8, 16], "depth": [1], "seed": [0]}, fixed={"horizon": 3})
    ids = [cell_id(c) for g in spec.groups() for c in g.cell_configs().values()]
    assert ids != [cell_id(c) for g in plain.groups() for c in g.cell_configs().values()]  # new cells, not reused
    assert spec.with_overrides({"rl_lr": 3e-4}).by_width == {8: {}, 16: {}}  # an explicit override wins
    with pytest.raises(ValueError, match="by_width names width 32"):
        GridSpec("g", axes={"width": [8], "depth": [1], "seed": [0]}, by_width={32: {"rl_lr": 1e-4}})
    with pytest.raises(ValueError, match="by_width\\[8\\] sets \\['width'\\]"):
        GridSpec("g", axes={"width": [8], "depth": [1], "seed": [0]}, by_width={8: {"width": 16}})


def test_the_shipped_recipe_is_what_its_sweep_gives():
    """docs/recipe/recipe.json is the analysis of the sweep's grid.nc beside it, exactly (pins the
    analysis before it moves out of aha/, issue 21)."""
    import json
    from pathlib import Path

    from aha.recipe import analyse
    from toymodels.storage import load_dataset

    here = Path(__file__).resolve().parents[1] / "docs" / "recipe"
    shipped = json.loads((here / "recipe.json").read_text())
    shipped.pop("note")
    assert json.loads(json.dumps(analyse(load_dataset(here / "grid.nc")))) == shipped
