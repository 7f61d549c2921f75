"""Issue 10 item 10: an intervention acts on RL only; every cell is evaluated the same way.

The temperature knob is the RL rollout temperature (evaluation uses `eval_temperature`); a hint
is revealed only in RL prompts (pretraining and evaluation prompts are the plain cell's), and a
hint cell is evaluated with the hint too, into separate `*_hinted_*` variables.
"""

import numpy as np
import pytest
import torch

import toymodels.rl as rl_mod
from envs import vocab
from toymodels import CellConfig, run_cell
from toymodels.grid import GridSpec
from toymodels.runner import run_grid

TINY = dict(
    pretrain_tokens=20 * 16 * 10,
    pretrain_batch=16,
    rl_updates=2,
    prompts_per_update=4,
    group_size=4,
    k_max=4,
    eval_prompts=8,
    log_every=1,
    width=16,
    horizon=3,
    seeds=(0, 1),
    device="cpu",
)


@pytest.fixture(scope="module")
def plain():
    return run_cell(CellConfig(**TINY))


def base_vars(ds):
    return [v for v in ds.data_vars if v.startswith("base_") and "hinted" not in v] + ["pretrain_loss"]


def assert_same_base(a, b):
    names = base_vars(a)
    assert "base_pass_at_k" in names and "base_step_prob" in names
    for v in names:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)


def test_temperature_acts_on_rl_only(plain):
    hot = run_cell(CellConfig(**{**TINY, "temperature": 1.7}))
    assert_same_base(hot, plain)
    assert not np.array_equal(hot["entropy"].values, plain["entropy"].values)  # RL did change
    cold_eval = run_cell(CellConfig(**{**TINY, "eval_temperature": 0.5}))
    assert not np.array_equal(cold_eval["base_step_prob"].values, plain["base_step_prob"].values)


def test_hint_acts_on_rl_only_and_is_also_evaluated_with_the_hint(plain, monkeypatch):
    seen = []
    real = rl_mod.rollout

    def spy(model, env, *a, **kw):
        ro = real(model, env, *a, **kw)
        seen.append(ro.prompts.clone())
        return ro

    monkeypatch.setattr(rl_mod, "rollout", spy)
    hinted = run_cell(CellConfig(**{**TINY, "hint": 2}))
    assert_same_base(hinted, plain)  # pretraining and evaluation untouched by the hint
    # every RL prompt carries <hint> and the first two steps
    task = CellConfig(**{**TINY, "hint": 2}).tasks()["id"]
    assert seen and all(p.shape[-1] == task.prompt_len + 3 for p in seen)
    for p in seen:
        assert bool((p[..., task.prompt_len] == vocab.HINT).all())
        assert bool(torch.isin(p[..., -2:], torch.tensor(task.value_tokens)).all())
    for phase in ("base", "rl"):
        v = hinted[f"{phase}_hinted_pass_at_k"]
        assert v.dims == ("seed", "split", "k") and np.isfinite(v.values).all()
        assert hinted[f"{phase}_hinted_step_prob"].dims == ("seed", "split")
    assert "base_hinted_pass_at_k" not in plain
    # with two of three steps given the task is easier for the same base model
    assert float(hinted.base_hinted_step_prob.mean()) != float(hinted.base_step_prob.mean())


def test_grid_with_plain_and_hint_variants_combines(tmp_path):
    kw = {k: v for k, v in TINY.items() if k not in ("seeds", "width", "device")}
    spec = GridSpec(
        "iv",
        axes={"width": [16], "depth": [1], "seed": [0, 1]},
        fixed={**kw, "device": "cpu"},
        variants={"plain": {}, "hint": {"hint": 2}, "temperature": {"temperature": 1.5}},
    )
    ds = run_grid(spec, tmp_path / "run", progress=False)
    base = ds["base_pass_at_k"]
    assert np.isfinite(base.values).all()
    np.testing.assert_array_equal(base.sel(variant="plain").values, base.sel(variant="hint").values)
    np.testing.assert_array_equal(base.sel(variant="plain").values, base.sel(variant="temperature").values)
    h = ds["base_hinted_pass_at_k"]
    assert np.isfinite(h.sel(variant="hint").values).all()
    assert np.isnan(h.sel(variant="plain").values).all() and np.isnan(h.sel(variant="temperature").values).all()
    # the report shows the hint cell's with-hint evaluation beside the plain one, for that variant only
    from aha.report import write_report  # noqa: PLC0415

    text = write_report(tmp_path / "run").read_text()
    assert text.count("With the hint in the prompt too") == 1
