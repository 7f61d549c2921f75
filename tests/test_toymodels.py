"""toymodels: config validation, models, seed batching of pretraining, run_cell schema."""

import numpy as np
import pytest
import torch

import envs
from toymodels import CellConfig, load_checkpoint, make_model, make_pretrain, run_cell
from toymodels.models import ModelConfig
from toymodels.pretrain import corpus

TINY = dict(
    pretrain_tokens=20 * 16 * 10,
    pretrain_batch=16,
    rl_updates=3,
    prompts_per_update=4,
    group_size=4,
    k_max=4,
    eval_prompts=8,
    log_every=2,
    width=16,
    horizon=3,
)


# --- config ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, field", [
    (dict(width=24, n_heads=5), "n_heads"), (dict(width=0), "width"), (dict(depth=0), "depth"),
    (dict(n_ctx=4), "n_ctx"), (dict(algo="sac"), "algo"), (dict(model_kind="rnn"), "model_kind"),
    (dict(task="Nope"), "task"), (dict(k_max=48), "k_max"), (dict(prior=1.5), "prior"),
    (dict(seeds=()), "seeds"), (dict(device="tpu"), "device"), (dict(task_kwargs={"L": 0}), "L"),
])  # fmt: skip
def test_config_errors_name_the_field(kw, field):
    with pytest.raises(ValueError, match=field):
        CellConfig(**kw)


def test_config_roundtrip_and_unknown_keys():
    c = CellConfig(task_kwargs={"p": 7}, seeds=(1, 2), width=32)
    d = c.to_dict()
    assert d["task_kwargs"] == {"p": 7} and d["seeds"] == [1, 2]
    assert CellConfig.from_dict(d) == c
    with pytest.raises(ValueError, match="allowed fields"):
        CellConfig.from_dict({**d, "wdith": 3})
    assert c.cell_key() == CellConfig.from_dict({**d, "seeds": [5]}).cell_key()
    m = c.model_config()
    assert (m.n_heads, m.d_mlp, m.n_ctx) == (2, 128, c.tasks()["ood"].min_ctx)


# --- models ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["transformer", "mlp"])
def test_seed_init_and_cached_decoding(kind):
    cfg = ModelConfig(kind=kind, d_model=16, n_layers=2, n_heads=2, d_mlp=32, n_ctx=12)
    many, one = make_model(cfg, [0, 1, 2]), make_model(cfg, [1])
    for (n, p), q in zip(many.named_parameters(), one.parameters()):
        assert torch.equal(p[1], q[0]), n
    tokens = torch.randint(0, 30, (3, 5, 12), generator=torch.Generator().manual_seed(0))
    full = many(tokens)  # (S, B, T, V)
    logits, cache = many.prefill(tokens[..., :7])
    torch.testing.assert_close(logits, full[:, :, 6], atol=1e-5, rtol=1e-5)
    for t in range(7, 12):
        logits, cache = many.decode(tokens[..., t], cache)
        torch.testing.assert_close(logits, full[:, :, t], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(one(tokens[1:2]), full[1:2], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("positions", ["rotary", "learned"])
def test_param_counts(positions):
    d, L, f = 32, 2, 128
    m = make_model(ModelConfig(d_model=d, n_layers=L, n_heads=2, d_mlp=f, n_ctx=10, positions=positions), [0])
    per_layer = 4 * d * d + 3 * d + d + 2 * d * f + f + d + 4 * d  # attention, MLP, two LayerNorms
    assert m.n_params == L * per_layer + 2 * d  # + final LayerNorm
    table = 10 * d if positions == "learned" else 0  # rotary positions have no parameters
    assert m.n_params_total == m.n_params + 30 * d + table + d * 30


def test_corruption_model():
    task = envs.make_task("ModChain", L=5)
    idx = torch.arange(4000)
    seed = torch.zeros_like(idx)
    _, targets = task.batch(seed, idx)
    _, comps, keep = corpus(task, seed, idx, prior=0.3, label_noise=0.0)
    v = task.verify(task.batch(seed, idx)[0], comps, targets)
    assert torch.equal(v.trace_correct, keep)  # wrong-rule traces are never fully correct (ModChain)
    assert abs(keep.float().mean().item() - 0.3) < 0.03
    assert v.well_formed.all()


def test_pretraining_seed_batched_equals_alone():
    task = envs.make_task("ModChain", L=3)
    cfg = ModelConfig(d_model=16, n_layers=1, n_heads=2, d_mlp=32, n_ctx=task.min_ctx)
    pt = make_pretrain(task, budget=15 * 16 * 10, batch=16, lr=3e-3, prior=0.5, label_noise=0.1, max_grad_norm=1.0)
    many, one = make_model(cfg, [0, 1, 2]), make_model(cfg, [1])
    loss_many, _ = pt(many)
    loss_one, _ = pt(one)
    torch.testing.assert_close(loss_many[1:2], loss_one, atol=1e-5, rtol=1e-5)
    for p, q in zip(many.parameters(), one.parameters()):
        torch.testing.assert_close(p[1:2], q, atol=1e-4, rtol=1e-4)


# --- run_cell --------------------------------------------------------------------------------
def check_schema(ds, cfg):
    assert dict(ds.sizes) == {"seed": len(cfg.seeds), "split": 2, "k": 3, "step": 2}
    assert list(ds.k.values) == [1, 2, 4] and list(ds.split.values) == ["id", "ood"]
    assert list(ds.step.values) == [0, 2] and list(ds.samples.values) == [0, 2 * 16]
    for v in ("base_pass_at_k", "rl_pass_at_k", "base_trace_pass_at_k", "rl_trace_pass_at_k"):
        assert ds[v].dims == ("seed", "split", "k")
        assert ((ds[v] >= 0) & (ds[v] <= 1)).all()
        assert (ds[v].diff("k") >= -1e-12).all()  # pass@k grows with k
    for v in (
        "base_logp_answer",
        "rl_logp_answer",
        "base_step_prob",
        "rl_step_prob",
        "base_step_acc_argmax",
        "rl_step_acc_argmax",
        "base_greedy_acc",
        "rl_greedy_acc",
        *(f"{ph}_{k}" for ph in ("base", "rl") for k in ("format_prob", "task_prob", "format_mass_task")),
    ):
        assert ds[v].dims == ("seed", "split")
    for v in ("reward", "entropy", "kl", "informative_frac", "grad_norm", "grad_snr", "clip_frac"):
        assert ds[v].dims == ("seed", "step"), v
    assert ds.chance.dims == ("split",) and ds.status.dims == ("seed",) and ds.wall_s.dims == ("seed",)
    assert list(ds.status.values) == ["ok"] * len(cfg.seeds)
    assert ds.samples.dims == ("step",) and int(ds.n_params) > 0 and int(ds.width) == cfg.width
    assert CellConfig.from_dict(__import__("json").loads(ds.attrs["config"])) == cfg
    for a in ("n_eval_prompts", "torch_version", "device", "horizon", "ood_horizon", "created"):
        assert a in ds.attrs
    assert ds.attrs["ood_horizon"] == ds.attrs["horizon"] + 2
    assert np.isfinite(ds.rl_pass_at_k).all() and np.isfinite(ds.reward).all()
    assert float(ds.kl.isel(step=0).max()) < 1e-5  # the policy equals the reference before update 0


@pytest.mark.parametrize("kind", ["transformer", "mlp"])
def test_run_cell_schema_determinism_checkpoints(kind, tmp_path):
    cfg = CellConfig(model_kind=kind, seeds=(0, 1), device="cpu", **TINY)
    ds = run_cell(cfg, ckpt_dir=tmp_path)
    check_schema(ds, cfg)
    again = run_cell(cfg)
    for v in ds.data_vars:
        if v != "wall_s":
            np.testing.assert_array_equal(ds[v].values, again[v].values, err_msg=v)
    m = load_checkpoint(tmp_path / "rl_seed1.pt")
    assert m.n_seeds == 1 and m.n_params == int(ds.n_params)


@pytest.mark.parametrize(
    ("task", "kind"), [(t, "transformer") for t in envs.task_names() if t != "ModChain"] + [("MultiDigitAdd", "mlp")]
)
def test_run_cell_every_task(task, kind):
    cfg = CellConfig(task=task, model_kind=kind, seeds=(0,), device="cpu", **{**TINY, "horizon": None})
    ds = run_cell(cfg)
    check_schema(ds, cfg)
    assert float(ds.chance.sel(split="id")) == pytest.approx(cfg.tasks()["id"].chance())


@pytest.mark.parametrize(
    "extra",
    [
        dict(hint=2),
        dict(curriculum=True, pretrain_horizon=2, horizon=4),
        dict(algo="ppo"),
        dict(algo="rloo", reward="dense", kl_coef=0.05),
    ],
)
def test_run_cell_settings(extra):
    """Hints, the horizon curriculum, PPO and RLOO with a dense reward and KL run end to end."""
    cfg = CellConfig(seeds=(0,), device="cpu", **{**TINY, **extra})
    ds = run_cell(cfg)
    check_schema(ds, cfg)
    assert (ds.status == "ok").all()
    assert np.isfinite(ds.reward.values).all() and np.isfinite(ds.rl_pass_at_k.values).all()
