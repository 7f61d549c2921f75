"""What the RL numbers mean: reward noise keyed on items (not batch slots), the horizon curriculum,
several optimisation passes per rollout (clip-higher active),
and a seed that diverges inside a batched group (issue 10 items 1, 2, 11, 13, 17, 18)."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from scipy.stats import binom
from test_rl import MOVES, SMALL  # the same small cells as the RL tests

import envs
import toymodels.rl as rl_mod
from toymodels import CellConfig, make_model, make_train
from toymodels.grid import GridSpec
from toymodels.pretrain import sequences
from toymodels.rl import rl_loss
from toymodels.runner import run_grid

BIT_EXACT = ("reward", "informative_frac", "clip_frac", "rl_horizon", "pass_at_k", "greedy_acc")
# (equal bit for bit; the other numbers are reductions over differently shaped tensors: float rounding,
# trace_pass_at_k too since it is exact, from the teacher-forced probability of the right trace)


def assert_same_seed(many, i, one, j=0, exact=BIT_EXACT):
    """Seed i of one run equals seed j of another: sampled outcomes bit for bit, the other
    numbers to float rounding."""
    for k, v in many["curves"].items():
        if np.ndim(v) != 2:
            continue
        a, b = v[i], one["curves"][k][j]
        if k in exact:
            np.testing.assert_array_equal(a, b, err_msg=k)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-8, err_msg=k)
    for k, v in many["rl"].items():
        if k in exact:
            np.testing.assert_array_equal(v[i], one["rl"][k][j], err_msg=k)
        else:
            np.testing.assert_allclose(v[i], one["rl"][k][j], rtol=1e-4, atol=1e-8, err_msg=k)


# --- item 1: reward randomness keyed on (item seed, item index, sample), not on batch slots ----------
def verdicts(env, update: int, item_seeds, n_prompts: int, G: int, reset_seed=0) -> torch.Tensor:
    """(num_envs,) episode reward when every env writes its target, after a rollout-style reset."""
    N = n_prompts * G
    S = len(item_seeds)
    seeds = torch.tensor(item_seeds).repeat_interleave(N)
    idx = (update * n_prompts + torch.arange(N) // G).repeat(S)
    env.reset(seed=reset_seed, options={"group_size": G, "seeds": seeds, "indices": idx})
    targets = env.unwrapped.targets
    total = torch.zeros(env.num_envs, dtype=torch.float64)
    done = torch.zeros(env.num_envs, dtype=torch.bool)
    for t in range(env.unwrapped.task.completion_len):
        _, r, term, trunc, _ = env.step(targets[:, t])
        total += r * ~done
        done |= term | trunc
    assert done.all()
    return total


def vec(num_envs, **kw):
    return gym.make_vec(envs.env_id("ModChain"), num_envs=num_envs, vectorization_mode="vector_entry_point", L=2, **kw)


def test_noise_flips_differ_between_updates_and_not_with_the_reset_seed():
    env = vec(64, noise=0.3)
    u0 = verdicts(env, 0, [7, 8], 4, 8)
    u1 = verdicts(env, 1, [7, 8], 4, 8)
    assert 0 < (u0 == 0).sum() < 64 and not torch.equal(u0 == 0, u1 == 0)
    assert torch.equal(u0, verdicts(env, 0, [7, 8], 4, 8, reset_seed=12345))
    # a seed's verdicts do not depend on where it sits in the batch
    alone = verdicts(vec(32, noise=0.3), 0, [8], 4, 8)
    assert torch.equal(u0[32:], alone)


def test_random_reward_independent_of_batch_position():
    env = vec(64, reward="random")
    both = verdicts(env, 3, [7, 8], 4, 8)
    alone = verdicts(vec(32, reward="random"), 3, [8], 4, 8)
    assert torch.equal(both[32:], alone)
    assert not torch.equal(both[:32], both[32:])


@pytest.mark.parametrize(("kw", "p"), [({"noise": 0.3}, 0.3), ({"reward": "random", "random_p": 0.5}, 0.5)])
def test_flip_rate_inside_binomial_interval(kw, p):
    G, n_prompts, S = 8, 256, 2
    env = vec(S * n_prompts * G, **kw)
    n = hits = 0
    for u in range(3):
        r = verdicts(env, u, [3, 4], n_prompts, G)
        hits += int((r == 0).sum()) if "noise" in kw else int((r == 1).sum())
        n += r.numel()
    lo, hi = binom.interval(0.99, n, p)
    assert lo <= hits <= hi, (hits, n, p)


def test_single_env_matches_group_lead():
    """The single env (sample 0) pays what the first env of a vector group pays for the same item."""
    env = vec(16, noise=0.5)
    r = verdicts(env, 2, [9], 4, 4)  # items 8..11 of stream 9
    single = gym.make(envs.env_id("ModChain"), L=2, noise=0.5)
    for g in range(4):
        single.reset(seed=9, options={"index": 8 + g})
        inst = single.unwrapped.instance
        total = 0.0
        for a in inst.target:
            _, rew, term, trunc, _ = single.step(a)
            total += rew
            if term or trunc:
                break
        assert total == float(r[4 * g])


@pytest.mark.parametrize("kw", [{"noise": 0.3}, {"reward": "random"}])
def test_noisy_cell_alone_equals_cell_in_batched_group(kw):
    cfg = CellConfig(seeds=(0, 1, 2), **{**SMALL, **kw})
    train = make_train(cfg)
    many, _ = train((0, 1, 2))
    one, _ = train((1,))
    assert_same_seed(many, 1, one)


# --- item 2: the curriculum ramps the RL horizon from curriculum_start ------------------------------
def spy_rollouts(monkeypatch):
    """Record (update, task horizon, prompt length) of every rollout RL makes."""
    seen = []
    real = rl_mod.rollout

    def spy(model, env, update, *a, **kw):
        ro = real(model, env, update, *a, **kw)
        task = env.unwrapped.task
        seen.append((update, task.difficulty()[task.horizon_arg], ro.prompts.shape[-1]))
        return ro

    monkeypatch.setattr(rl_mod, "rollout", spy)
    return seen


def test_curriculum_starts_at_start_horizon_and_differs_from_plain(monkeypatch):
    base = dict(MOVES, horizon=4, rl_updates=6, log_every=1)
    seen = spy_rollouts(monkeypatch)
    cur, _ = make_train(CellConfig(curriculum=True, **base))((0,))
    start_len = CellConfig(**base).make_task(1).prompt_len
    assert seen[0] == (0, 1, start_len)
    horizons = [h for _, h, _ in seen]
    assert horizons == sorted(horizons) and horizons[-1] == 4 and horizons[3:] == [4, 4, 4]
    np.testing.assert_array_equal(cur["curves"]["rl_horizon"][0], horizons)
    seen.clear()
    plain, _ = make_train(CellConfig(**base))((0,))
    assert [h for _, h, _ in seen] == [4] * 6
    np.testing.assert_array_equal(plain["curves"]["rl_horizon"][0], [4] * 6)
    assert not np.array_equal(cur["curves"]["entropy"], plain["curves"]["entropy"])
    assert not np.array_equal(cur["rl"]["logp_answer"], plain["rl"]["logp_answer"])


@pytest.mark.parametrize(
    "kw",
    [
        dict(horizon=3, curriculum_start=3),
        dict(horizon=3, curriculum_start=4),
        dict(task="Countdown", horizon=3),
        dict(horizon=3, curriculum_frac=0.0),
    ],
)
def test_curriculum_that_cannot_ramp_is_a_one_line_error(kw):
    with pytest.raises(ValueError, match="curriculum") as e:
        CellConfig(curriculum=True, **kw)
    assert "\n" not in str(e.value)


# --- item 11 / 18: several passes per rollout, clip-higher's bound ---------------------------------
def crafted(cfg, n_seq=3):
    """A one-seed model and n_seq completions of one prompt, all tokens written."""
    task = cfg.tasks()["id"]
    model = make_model(cfg.model_config(), [0])
    P, C = task.prompt_len, task.completion_len
    prompts, targets = task.batch(torch.zeros(n_seq, dtype=torch.long), torch.zeros(n_seq, dtype=torch.long))
    comps = targets[None]  # (1, n, C)
    seqs = sequences(task, prompts[None], comps)
    mask = torch.ones(1, n_seq, C, dtype=torch.bool)
    return model, seqs, comps, mask, P, C


def test_clipping_uses_clip_higher_bound_with_ratio_not_one():
    cfg = CellConfig(width=16, horizon=2, eval_prompts=8, clip_low=0.2, clip_high=0.28)
    model, seqs, comps, mask, P, C = crafted(cfg)
    zeros = torch.zeros(1, 3, C)
    _, lp = rl_loss(cfg, model, None, seqs, comps, mask, torch.zeros(1, 3), zeros, None, None, P, C, 3)
    ratio = torch.tensor([1.25, 1.30, 0.75])  # inside 1 + clip_high, above it, below 1 - clip_low
    adv = torch.tensor([[1.0, 1.0, -1.0]])
    old = lp - ratio.log()[None, :, None]
    stats = {}
    loss, _ = rl_loss(cfg, model, None, seqs, comps, mask, adv, zeros, old, None, P, C, 3, stats=stats)
    # per-sequence -min(rho A, clip(rho) A): -1.25 (not clipped at 1.25 < 1.28), -1.28, +0.8
    torch.testing.assert_close(loss, torch.tensor([(-1.25 - 1.28 + 0.8) / 3]), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(stats["clip_frac"], torch.tensor([2 / 3]))
    for i, moves in enumerate([True, False, False]):  # only the unclipped sequence has a gradient
        model.zero_grad()
        sl = slice(i, i + 1)
        loss, _ = rl_loss(
            cfg,
            model,
            None,
            seqs[:, sl],
            comps[:, sl],
            mask[:, sl],
            adv[:, sl],
            zeros[:, sl],
            old[:, sl],
            None,
            P,
            C,
            1,
        )
        loss.sum().backward()
        assert (model.W_U.grad.abs().sum() > 0) == moves, i


def test_clip_fraction_positive_with_several_passes_and_zero_with_one():
    cfg = CellConfig(**MOVES)
    assert cfg.minibatches > 1  # the default makes several passes
    many, _ = make_train(cfg)((0,))
    assert many["curves"]["informative_frac"].max() > 0 and many["curves"]["clip_frac"].max() > 0
    one, _ = make_train(CellConfig(**{**MOVES, "minibatches": 1, "ppo_epochs": 1}))((0,))
    assert one["curves"]["informative_frac"].max() > 0 and (one["curves"]["clip_frac"] == 0).all()


def test_minibatches_must_divide_the_groups():
    with pytest.raises(ValueError, match="minibatches"):
        CellConfig(prompts_per_update=6, minibatches=4)


# --- item 13: entropy and kl are means over every pass of the update: tests/test_recipe.py
# (test_logged_kl_and_entropy_are_the_exact_update_means, with the exact KL that replaced k3)


# --- item 17: a seed that diverges inside a batched group --------------------------------------------
def poison_seed(monkeypatch, seed: int, at_call: int = 3):
    """Make `seed`'s parameters NaN just before its `at_call`-th RL loss: its loss turns non-finite."""
    real = rl_mod.rl_loss

    def poisoned(cfg, model, *a, **kw):
        model.poison_calls = getattr(model, "poison_calls", 0) + 1  # counted per model (per group)
        if model.poison_calls == at_call and seed in model.seeds:
            with torch.no_grad():
                model.W_U[model.seeds.index(seed)] = float("nan")
        return real(cfg, model, *a, **kw)

    monkeypatch.setattr(rl_mod, "rl_loss", poisoned)


def test_diverged_seed_in_group_is_marked_and_siblings_unchanged(monkeypatch):
    poison_seed(monkeypatch, 1)
    train = make_train(CellConfig(seeds=(0, 1, 2), **SMALL))
    three, _ = train((0, 1, 2))
    two, _ = train((0, 2))
    assert list(three["status"]) == ["ok", "diverged", "ok"] and list(two["status"]) == ["ok", "ok"]
    assert np.isnan(three["curves"]["reward"][1, -1]) and np.isnan(three["rl"]["pass_at_k"][1]).all()
    assert_same_seed(three, 0, two, 0)
    assert_same_seed(three, 2, two, 1)


def test_grid_goes_on_after_a_seed_diverges(monkeypatch, tmp_path):
    poison_seed(monkeypatch, 1)
    fixed = {k: v for k, v in SMALL.items() if k != "width"}
    spec = GridSpec("poison", axes={"width": [8, 12], "depth": [1], "seed": [0, 1]}, fixed=fixed)
    ds = run_grid(spec, tmp_path / "run", progress=False)
    assert (ds.status.sel(seed=1) == "diverged").all() and (ds.status.sel(seed=0) == "ok").all()
    assert np.isfinite(ds.rl_pass_at_k.sel(seed=0)).all() and np.isnan(ds.rl_pass_at_k.sel(seed=1)).all()
    assert len(list((tmp_path / "run" / "cells").glob("*.nc"))) == 4
