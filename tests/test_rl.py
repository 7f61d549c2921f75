"""toymodels RL: advantages, zero gradient on uninformative groups, seed batching, divergence, a real gain."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from toymodels import (
    Algorithm,
    CellConfig,
    advantages,
    algo_names,
    make_model,
    make_rl,
    make_train,
    register_algorithm,
    run_cell,
)
from toymodels.algos import ALGORITHMS
from toymodels.pretrain import sequences
from toymodels.rl import rl_loss

SMALL = dict(
    pretrain_tokens=20 * 16 * 8,
    pretrain_batch=16,
    rl_updates=4,
    prompts_per_update=4,
    group_size=4,
    k_max=4,
    eval_prompts=8,
    log_every=1,
    width=16,
    horizon=2,
    device="cpu",
)
MOVES = dict(SMALL, reward="random", rl_lr=1e-2, rl_warmup=0)  # most groups informative: RL moves the policy


def test_advantages():
    r = torch.tensor([[1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]])  # (S=1, N=8), G=4
    a, inf = advantages(r, 4, SimpleNamespace(algo="rloo", std_norm=True))
    torch.testing.assert_close(a[0, :4], torch.tensor([1.0, -1 / 3, -1 / 3, -1 / 3]))
    assert inf.tolist() == [[True, False]] and torch.equal(a[0, 4:], torch.zeros(4))
    a, _ = advantages(r, 4, SimpleNamespace(algo="grpo", std_norm=False))
    torch.testing.assert_close(a[0, :4], torch.tensor([0.75, -0.25, -0.25, -0.25]))
    # REINFORCE: the baseline is the batch mean (5/8), and an all-equal group keeps its advantage
    a, inf = advantages(r, 4, SimpleNamespace(algo="reinforce", std_norm=True))
    torch.testing.assert_close(a[0], r[0] - 0.625)
    assert inf.tolist() == [[True, False]]


def test_every_algorithm_is_a_valid_config_and_unknown_ones_list_them():
    assert {"grpo", "dr_grpo", "rloo", "ppo", "reinforce"} <= set(algo_names())
    for name in algo_names():
        assert CellConfig(algo=name, **SMALL).algo == name
    with pytest.raises(ValueError) as e:
        CellConfig(algo="sac", **SMALL)
    msg = str(e.value)
    assert msg.startswith("algo must be one of") and "'sac'" in msg and "\n" not in msg
    assert all(name in msg for name in algo_names())


def test_dr_grpo_is_grpo_without_std_with_token_sum_bit_for_bit():
    dr, _ = make_train(CellConfig(algo="dr_grpo", **MOVES))((0,))
    flags, _ = make_train(CellConfig(algo="grpo", std_norm=False, token_sum_norm=True, **MOVES))((0,))
    plain, _ = make_train(CellConfig(algo="grpo", **MOVES))((0,))
    for k in ("reward", "kl", "grad_norm", "entropy"):
        np.testing.assert_array_equal(dr["curves"][k], flags["curves"][k], err_msg=k)
    assert not np.array_equal(dr["curves"]["grad_norm"], plain["curves"]["grad_norm"])


@pytest.fixture
def registered():
    """Register algorithms for one test and remove them afterwards."""
    added = []

    def add(algo):
        added.append(register_algorithm(algo).name)

    yield add
    for name in added:
        ALGORITHMS.pop(name, None)


def test_a_user_registered_algorithm_is_the_one_that_runs(registered):
    # zero advantages, no KL or entropy term: no gradient, so RL leaves the model as it was
    registered(Algorithm("frozen", "test: no signal", advantages=lambda r, cfg: torch.zeros_like(r)))
    out, _ = make_train(CellConfig(algo="frozen", **MOVES))((0,))
    np.testing.assert_array_equal(out["rl"]["logp_answer"], out["base"]["logp_answer"])
    assert np.all(out["curves"]["grad_norm"] == 0)
    moved, _ = make_train(CellConfig(algo="reinforce", **MOVES))((0,))
    assert not np.array_equal(moved["rl"]["logp_answer"], moved["base"]["logp_answer"])


def test_algorithm_registry_rejects_bad_entries(registered):
    with pytest.raises(ValueError, match="algorithm name must be lower case"):
        Algorithm("My Algo", "x", advantages=lambda r, cfg: r)
    with pytest.raises(ValueError, match="advantages must be a function"):
        Algorithm("x", "x", advantages=3)
    with pytest.raises(ValueError, match="'grpo' is already registered"):
        register_algorithm(Algorithm("grpo", "another", advantages=lambda r, cfg: r))


@pytest.mark.parametrize("std_norm", [True, False])
@pytest.mark.parametrize("token_sum_norm", [True, False])
def test_grpo_gradient_is_exactly_zero_when_groups_are_uninformative(std_norm, token_sum_norm):
    cfg = CellConfig(std_norm=std_norm, token_sum_norm=token_sum_norm, width=16, horizon=3)
    task = cfg.tasks()["id"]
    model = make_model(cfg.model_config(), [0, 1])
    S, G, n_groups, P, C = 2, 4, 3, task.prompt_len, task.completion_len
    N = G * n_groups
    prompts, targets = task.batch(torch.zeros(N, dtype=torch.long), torch.arange(N) // G)
    comps = torch.randint(9, 19, (S, N, C), generator=torch.Generator().manual_seed(0))
    seqs = sequences(task, prompts[None].expand(S, -1, -1), comps)
    returns = torch.tensor([0.0, 1.0, 0.3]).repeat_interleave(G)[None].expand(S, -1) + 0.1  # equal in groups
    adv, inf = advantages(returns, G, cfg)
    assert not inf.any() and torch.equal(adv, torch.zeros_like(adv))
    loss, _ = rl_loss(
        cfg,
        model,
        None,
        seqs,
        comps,
        torch.ones(S, N, C, dtype=torch.bool),
        adv,
        torch.zeros(S, N, C),
        None,
        None,
        P,
        C,
        N,
    )
    loss.sum().backward()
    for n, p in model.named_parameters():
        assert torch.equal(p.grad, torch.zeros_like(p)), n
    # and one informative group does move the policy
    model.zero_grad()
    adv, _ = advantages(returns + torch.arange(N) % 2, G, cfg)
    loss, _ = rl_loss(
        cfg,
        model,
        None,
        seqs,
        comps,
        torch.ones(S, N, C, dtype=torch.bool),
        adv,
        torch.zeros(S, N, C),
        None,
        None,
        P,
        C,
        N,
    )
    loss.sum().backward()
    assert model.W_U.grad.abs().sum() > 0


@pytest.mark.parametrize("algo", algo_names())
def test_rl_seed_batched_equals_alone(algo):
    cfg = CellConfig(
        algo=algo, kl_coef=0.05, entropy_coef=0.01, ppo_epochs=2 if algo == "ppo" else 1, seeds=(0, 1, 2), **SMALL
    )
    train = make_train(cfg)
    many, _ = train((0, 1, 2))
    one, _ = train((1,))
    np.testing.assert_allclose(many["pretrain_loss"][1:2], one["pretrain_loss"], rtol=1e-5)
    for k in ("reward", "entropy", "kl", "grad_norm", "grad_snr", "informative_frac"):
        np.testing.assert_allclose(many["curves"][k][1:2], one["curves"][k], rtol=1e-4, atol=1e-6, err_msg=k)
    for k in ("pass_at_k", "logp_answer"):
        np.testing.assert_allclose(many["rl"][k][1:2], one["rl"][k], rtol=1e-4, atol=1e-6, err_msg=k)


def test_divergence_stops_one_seed_only():
    cfg = CellConfig(seeds=(0, 1), **SMALL)
    train = make_train(cfg)
    rl = make_rl(cfg)
    pair = make_model(train.model_config, (0, 1))
    alone = make_model(train.model_config, (0,))
    with torch.no_grad():
        pair.W_U[1] = float("nan")  # seed 1 is broken before RL starts
    alive = torch.ones(2, dtype=torch.bool)
    curves, alive = rl(pair, alive)
    ref, _ = rl(alone, torch.ones(1, dtype=torch.bool))
    assert alive.tolist() == [True, False]
    assert np.isnan(curves["reward"][1]).all()
    np.testing.assert_allclose(curves["reward"][0], ref["reward"][0], rtol=1e-5)
    assert all(torch.isfinite(p[0]).all() for p in pair.parameters())


def test_rl_raises_pass_at_1_on_an_easy_task():
    # The parity of one hidden bit among 8, pretrained mostly (prior 0.2) on the wrong rule (its
    # neighbouring bit): the base model is near chance (0.5), so groups are informative. (ModChain
    # L=1 has too few questions to hold any out: evaluation prompts must be unseen in training.)
    cfg = CellConfig(
        task="SparseParity",
        task_kwargs={"n_bits": 8},
        horizon=1,
        width=32,
        pretrain_tokens=300 * 32 * 6,
        pretrain_batch=32,
        prior=0.2,
        rl_updates=100,
        rl_lr=3e-3,
        prompts_per_update=16,
        group_size=8,
        k_max=8,
        eval_prompts=16,
        log_every=20,
        device="cpu",
    )
    ds = run_cell(cfg).sel(seed=0)
    base = float(ds.base_pass_at_k.sel(split="id", k=1))
    gain = float(ds.rl_pass_at_k.sel(split="id", k=1)) - base
    assert base > 0.05 and gain > 0.3, (base, gain)
    assert float(ds.informative_frac.isel(step=0)) > 0.3
    assert float(ds.reward.isel(step=-1)) > float(ds.reward.isel(step=0)) + 0.3
