"""Issue 24 item 4: cells that share their pretraining pretrain once; those that differ only in RL
knobs (rl_lr, temperature, entropy_coef) run RL as one batch; each gets exactly what it gets alone."""

import importlib
import json

import numpy as np
import pytest
import torch
import xarray as xr

from aha.cli import main
from toymodels import CellConfig, make_model, run_cell
from toymodels.evaluate import TOKEN_KEYS
from toymodels.fused import fuse, rl_batches, run_cells
from toymodels.grid import GridSpec
from toymodels.optim import SeedAdamW
from toymodels.rollout import make_env, rollout
from toymodels.run import make_train, replicate

fused_module = importlib.import_module("toymodels.fused")
TINY = dict(
    width=8, horizon=3, seeds=(0, 1), pretrain_tokens=3_000, rl_updates=3, prompts_per_update=4, group_size=4,
    minibatches=2, k_max=4, eval_prompts=8, log_every=1, device="cpu", reward="dense",
)  # fmt: skip
"""Dense reward: a weak base gets informative groups, so the learning rate acts."""
KNOBS = [
    {"rl_lr": 1e-3},
    {"rl_lr": 3e-3, "temperature": 1.5},
    {"rl_lr": 1e-3, "temperature": 0.7, "entropy_coef": 0.01},
]


def assert_same_cell(got: xr.Dataset, want: xr.Dataset) -> None:
    assert set(got.data_vars) == set(want.data_vars)
    for name in want.data_vars:
        if name == "wall_s":
            continue
        a, b = got[name].values, want[name].values
        if a.dtype.kind in "fc":
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            assert (a == b).all(), name
    assert json.loads(got.attrs["config"]) == json.loads(want.attrs["config"])


def test_cells_batched_equal_cells_alone():
    """Fails on the code before (no run_cells). Three cells with their own learning rate,
    temperature and entropy coefficient, batched, are bit-identical to each run alone; the knobs act
    (the cells' RL curves differ)."""
    cfgs = [CellConfig(**{**TINY, **k}) for k in KNOBS]
    batched = run_cells(cfgs)
    for cfg, got in zip(cfgs, batched):
        assert {f"{ph}_{k}" for ph in ("base", "rl") for k in TOKEN_KEYS} <= set(got.data_vars)  # C5's, compared too
        assert_same_cell(got, run_cell(cfg))
    assert (batched[0]["informative_frac"].values > 0).any()  # RL moved the weights
    rl = [b["rl_logp_answer"].values for b in batched]
    assert not np.array_equal(rl[0], rl[1]) and not np.array_equal(rl[0], rl[2])  # the knobs acted
    e0, e1 = (batched[i]["entropy"].values for i in (0, 1))
    assert not np.array_equal(e0, e1)  # temperature 1.5 vs 1.0: another policy entropy
    np.testing.assert_array_equal(batched[0]["base_pass_at_k"].values, batched[2]["base_pass_at_k"].values)


def test_rollout_with_a_temperature_per_seed_equals_each_alone():
    """One batch of two copies of a model at temperatures 1.0 and 1.5 writes, per row, the tokens and
    log-probabilities of each temperature alone (same items and uniforms); they differ."""
    cfg = CellConfig(**TINY)
    one = make_model(cfg.model_config(), (3,))
    with torch.no_grad():
        one.W_U.mul_(20.0)  # peaked: the temperature changes which token a uniform picks
    two = replicate(one, 2)
    env1, env2 = make_env(cfg, 3, 16, "cpu"), make_env(cfg, 3, 32, "cpu")
    both = rollout(two, env2, 1, 4, 4, torch.tensor([1.0, 1.5], dtype=torch.float64))
    for i, T in enumerate((1.0, 1.5)):
        alone = rollout(one, env1, 1, 4, 4, T)
        for f in ("completions", "logp", "rewards"):
            assert torch.equal(getattr(both, f)[i], getattr(alone, f)[0]), (T, f)
    assert not torch.equal(both.completions[0], both.completions[1])


def test_cells_that_do_not_share_a_pretraining_or_a_batch_are_refused():
    with pytest.raises(ValueError, match="share their pretraining"):
        run_cells([CellConfig(**TINY), CellConfig(**{**TINY, "prior": 0.3})])
    with pytest.raises(ValueError, match="share their pretraining"):
        run_cells([CellConfig(**TINY), CellConfig(**{**TINY, "seeds": (0,), "rl_lr": 1e-3})])
    with pytest.raises(ValueError, match="differ only in rl_lr, temperature, entropy_coef.*hint"):
        make_train(CellConfig(**TINY), cells=[CellConfig(**TINY), CellConfig(**{**TINY, "hint": 1})])


def test_per_seed_learning_rate_steps_like_a_float_one():
    """SeedAdamW with an (S,) tensor of rates: each seed's step is that of its rate as a float."""
    g = torch.Generator().manual_seed(0)
    w0, grads = torch.randn(3, 5, 4, generator=g), [torch.randn(3, 5, 4, generator=g) for _ in range(3)]
    lrs = [1e-4, 3e-3, 0.7]
    p = torch.nn.Parameter(w0.clone())
    opt = SeedAdamW([p], lr=torch.tensor(lrs, dtype=torch.float64))
    for gr in grads:
        p.grad = gr.clone()
        opt.step()
    for i, lr in enumerate(lrs):
        q = torch.nn.Parameter(w0[i : i + 1].clone())
        one = SeedAdamW([q], lr=lr)
        for gr in grads:
            q.grad = gr[i : i + 1].clone()
            one.step()
        assert torch.equal(p.detach()[i], q.detach()[0]), lr


def lr_grid() -> GridSpec:
    return GridSpec(
        "fuse-test",
        axes={"width": [8], "depth": [1], "rl_lr": [1e-3, 3e-3], "seed": [0, 1]},
        fixed={k: v for k, v in TINY.items() if k not in ("width", "seeds")},
        variants={"plain": {}, "hot": {"temperature": 1.5}, "hint": {"hint": 1}},
    )


def test_grid_groups_share_pretraining_and_batch_rl_by_knobs():
    spec = lr_grid()
    (run,) = fuse(spec.groups())  # one pretraining (the hint is not in the corpus: hint_rate 0)
    cfgs = [g.config for g in run]
    variants = [g.coords["variant"] for g in run]
    batches = rl_batches(cfgs)
    assert [[variants[i] for i in b] for b in batches] == [["plain", "hot", "plain", "hot"], ["hint", "hint"]]
    assert [len(b) for b in rl_batches(cfgs, max_rows=4)] == [2, 2, 2]  # whole cells, 2 seeds each
    assert len(rl_batches(cfgs, max_rows=1)) == 6  # a cell of more seeds than max_rows still runs
    other = GridSpec.from_dict(
        {**spec.to_dict(), "variants": {**spec.variants, "hinted": {"hint": 1, "hint_rate": 0.5}}}
    )
    assert [len(r) for r in fuse(other.groups())] == [6, 2]  # a hinted corpus is another pretraining
    assert [len(b) for b in fuse(GridSpec.from_dict({**spec.to_dict(), "base_only": True}).groups())] == [1] * 6


PRESETS = """from toymodels.grid import GridSpec


def fuse_test():
    return GridSpec(
        "fuse-test",
        axes={{"width": [8], "depth": [1], "rl_lr": [1e-3, 3e-3], "seed": [0, 1]}},
        fixed={fixed!r},
        variants={{"plain": {{}}, "hint": {{"hint": 1}}, "sparse": {{"reward": "sparse"}}}},
    )


PRESETS = {{"fuse-test": fuse_test}}
"""


def test_fused_grid_equals_unfused_grid(tmp_path, monkeypatch):
    """Six groups (2 rates x 3 variants: plain, a hint, another reward) pretrain once and run RL in
    three batches (the two rates of each variant together); grid.nc equals every group run alone.
    Both through `aha grid`: with --no-fuse every group pretrains on its own (six pretrainings), by
    default once in all. (This also carries what test_aha_grid_no_fuse_runs_every_group_on_its_own
    checked on a two-variant preset: --no-fuse, a pretraining per group, the same grid.nc.)"""
    run_module = importlib.import_module("toymodels.run")
    calls = {"run": 0, "fused": 0}
    for name, mod in (("run", run_module), ("fused", fused_module)):
        real = mod.pretrained

        def counted(*a, _real=real, _name=name, **k):
            calls[_name] += 1
            return _real(*a, **k)

        monkeypatch.setattr(mod, "pretrained", counted)
    fixed = {k: v for k, v in TINY.items() if k not in ("width", "seeds")}
    presets = tmp_path / "fuse_presets.py"
    presets.write_text(PRESETS.format(fixed=fixed))
    args = ["grid", "--presets-file", str(presets), "--preset", "fuse-test", "--quiet", "--no-report"]
    assert main([*args, "--out", str(tmp_path / "alone"), "--no-fuse"]) == 0
    assert calls == {"run": 6, "fused": 0}  # every group alone, each with its own pretraining
    assert main([*args, "--out", str(tmp_path / "fused")]) == 0
    assert calls == {"run": 6, "fused": 1}  # one pretraining for all six groups
    alone, fused = (xr.open_dataset(tmp_path / d / "grid.nc", engine="h5netcdf").load() for d in ("alone", "fused"))
    assert fused.sizes["variant"] == 3 and fused.sizes["rl_lr"] == 2 and fused.sizes["seed"] == 2
    assert_same_cell(fused.drop_vars("wall_s"), alone.drop_vars("wall_s"))
