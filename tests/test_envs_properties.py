"""Properties over arbitrary action sequences, item rebuilding, reset options, and the reward
knobs' statistics (noise, format bonus, random rewards)."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import envs
from envs import vocab

TASKS = envs.task_names()
ACTIONS = st.lists(st.integers(0, vocab.D_VOCAB - 1), min_size=1, max_size=60)
KNOBS = st.sampled_from(
    [
        {},
        {"reward": "dense"},
        {"delay": 3},
        {"format_bonus": 0.5, "noise": 0.2},
        {"reward": "random"},
        {"cot": False, "reward": "dense", "delay": 1},
    ]
)


@pytest.mark.parametrize("name", TASKS)
@settings(max_examples=20, deadline=None)
@given(actions=ACTIONS, knobs=KNOBS, seed=st.integers(0, 2**31))
def test_any_actions_keep_the_single_env_in_bounds(name, actions, knobs, seed):
    env = gym.make(envs.env_id(name), **knobs).unwrapped
    obs, _ = env.reset(seed=seed)
    limit = env.task.completion_len + env.reward_cfg.delay
    t, episode_return = 0, 0.0
    for a in actions:
        obs, r, term, trunc, _ = env.step(a)
        t += 1
        assert env.observation_space.contains(obs)
        assert 0.0 <= r <= 1.0
        episode_return += r
        assert t <= limit
        if term or trunc:
            assert not (term and trunc)
            assert episode_return <= 1.0 + 1e-9
            assert term == (env.completion[-1] == vocab.EOS)
            obs, _ = env.reset()
            assert env.observation_space.contains(obs)
            t, episode_return = 0, 0.0


@pytest.mark.parametrize("name", TASKS)
@settings(max_examples=10, deadline=None)
@given(actions=st.lists(ACTIONS, min_size=3, max_size=3), knobs=KNOBS)
def test_any_actions_keep_the_vector_env_in_bounds(name, actions, knobs):
    venv = gym.make_vec(envs.env_id(name), num_envs=3, vectorization_mode="vector_entry_point", **knobs)
    venv.reset(seed=0)
    limit = venv.task.completion_len + venv.reward_cfg.delay
    since = np.zeros(3, dtype=int)  # steps since the episode started
    for step in range(max(map(len, actions))):
        a = torch.tensor([acts[step % len(acts)] for acts in actions])
        obs, r, term, trunc, _ = venv.step(a)
        assert venv.single_observation_space.contains(
            {"tokens": obs["tokens"][0].numpy(), "length": int(obs["length"][0])}
        )
        assert obs["tokens"].shape == (3, venv.n_ctx)
        assert ((obs["tokens"] >= 0) & (obs["tokens"] < vocab.D_VOCAB)).all()
        assert ((obs["length"] > venv.task.prompt_len) & (obs["length"] <= venv.n_ctx)).all()
        assert ((r >= 0) & (r <= 1)).all() and not (term & trunc).any()
        since = np.where(since < 0, 0, since + 1)  # -1: reset step
        assert (since <= limit).all()
        since[(term | trunc).numpy()] = -1


@pytest.mark.parametrize("name", TASKS)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31), n_resets=st.integers(0, 6))
def test_item_i_is_rebuilt_from_seed_and_index_alone(name, seed, n_resets):
    env = gym.make(envs.env_id(name)).unwrapped
    _, info = env.reset(seed=seed)
    for _ in range(n_resets):
        _, info = env.reset()
    fresh = envs.make_task(name).generate(seed, n_resets)  # a new task object: no shared state
    assert info == {"index": n_resets, "seed": seed}
    assert env.instance == fresh
    # the batched env reaches the same item through autoresets (<eos> ends every episode)
    venv = gym.make_vec(envs.env_id(name), num_envs=2, vectorization_mode="vector_entry_point")
    obs, _ = venv.reset(seed=seed)
    for _ in range(n_resets):
        venv.step(torch.full((2,), vocab.EOS))
        obs, *_ = venv.step(torch.full((2,), vocab.EOS))  # the autoreset step
    P = venv.task.prompt_len
    assert obs["tokens"][0, 1 : 1 + P].tolist() == list(fresh.prompt)
    assert venv.targets[0].tolist() == list(fresh.target)
    prompts, _ = venv.task.batch(torch.tensor([seed + 1]), torch.tensor([n_resets]))
    assert venv.prompts[1].tolist() == prompts[0].tolist()  # env 1 runs the stream seed + 1


def test_index_option_and_vector_item_options():
    env = gym.make("aha/SparseParity-v0").unwrapped
    env.reset(seed=4, options={"index": 17})
    assert env.instance == env.task.generate(4, 17)
    venv = gym.make_vec("aha/SparseParity-v0", num_envs=4, vectorization_mode="vector_entry_point")
    seeds, idx = torch.tensor([9, 9, 2, 3]), torch.tensor([0, 5, 7, 100])
    venv.reset(seed=0, options={"seeds": seeds, "indices": idx})
    prompts, targets = venv.task.batch(seeds, idx)
    assert torch.equal(venv.prompts, prompts) and torch.equal(venv.targets, targets)
    venv.step(torch.full((4,), vocab.EOS))
    venv.step(torch.full((4,), vocab.EOS))  # autoreset: the following indices
    assert torch.equal(venv.prompts, venv.task.batch(seeds, idx + 1)[0])


def test_group_size_shares_prompts_and_keeps_noise_per_env():
    venv = gym.make_vec("aha/ModChain-v0", num_envs=512, vectorization_mode="vector_entry_point", noise=0.5)
    venv.reset(seed=3, options={"group_size": 8})
    p = venv.prompts.view(64, 8, -1)  # (groups, G, P)
    assert (p == p[:, :1]).all() and not (p[:, 0] == p[0, 0]).all()
    # every env writes the right answer; noise still flips verdicts independently within groups
    for t in range(venv.task.completion_len):
        _, r, *_ = venv.step(venv.targets[:, t])
    flips = (r == 0).view(64, 8).float().mean(1)
    assert 0.3 < flips.mean() < 0.7 and ((flips > 0) & (flips < 1)).float().mean() > 0.8


def run_answers(name, knobs, writer, num_envs=4000, seed=0):
    """Rewards (num_envs,) when every env writes `writer(targets, layout)` (B, C) at once."""
    venv = gym.make_vec(envs.env_id(name), num_envs=num_envs, vectorization_mode="vector_entry_point", **knobs)
    venv.reset(seed=seed)
    comp = writer(venv.targets, venv.task)
    total = torch.zeros(num_envs, dtype=torch.float64)
    for t in range(venv.task.completion_len + venv.reward_cfg.delay):
        _, r, term, trunc, _ = venv.step(comp[:, min(t, comp.shape[1] - 1)])
        total += r
    assert (term | trunc).all()
    return total


def right(targets, task):
    return targets


def wrong_but_well_formed(targets, task):
    comp = targets.clone()
    a = task.answer_positions[-1]
    comp[:, a] = (comp[:, a] - vocab.DIGIT0 + 1) % 2 + vocab.DIGIT0  # flip the parity bit
    return comp


def ill_formed(targets, task):
    comp = targets.clone()
    comp[:, task.answer_positions[0]] = vocab.EQ
    return comp


@pytest.mark.parametrize("noise", [0.1, 0.3])
def test_noise_flips_about_that_fraction_of_verdicts(noise):
    n = 4000
    sd = (noise * (1 - noise) / n) ** 0.5
    paid_right = run_answers("SparseParity", {"noise": noise}, right).mean().item()
    paid_wrong = run_answers("SparseParity", {"noise": noise}, wrong_but_well_formed).mean().item()
    assert abs((1 - paid_right) - noise) < 5 * sd
    assert abs(paid_wrong - noise) < 5 * sd
    clean = run_answers("SparseParity", {}, right)
    assert (clean == 1).all()


def test_format_bonus_pays_only_well_formed_wrong_answers():
    kw = {"format_bonus": 0.25}
    assert (run_answers("SparseParity", kw, right, 256) == 1.0).all()
    assert (run_answers("SparseParity", kw, wrong_but_well_formed, 256) == 0.25).all()
    assert (run_answers("SparseParity", kw, ill_formed, 256) == 0.0).all()

    # a Countdown answer that is a valid expression but misses the target earns the bonus too
    def other_expression(targets, task):
        comp = targets.clone()  # every operator becomes '+': still a valid expression
        comp[(comp >= vocab.PLUS) & (comp <= vocab.DIV)] = vocab.PLUS
        return comp

    paid = run_answers("Countdown", {"format_bonus": 0.25, "cot": False}, other_expression, 256)
    assert set(paid.tolist()) <= {0.25, 1.0} and (paid == 0.25).any()


def test_random_reward_ignores_the_answer():
    p_right = run_answers("SparseParity", {"reward": "random", "random_p": 0.3}, right).mean().item()
    p_bad = run_answers("SparseParity", {"reward": "random", "random_p": 0.3}, ill_formed).mean().item()
    sd = (0.3 * 0.7 / 4000) ** 0.5
    assert abs(p_right - 0.3) < 5 * sd and abs(p_bad - 0.3) < 5 * sd


def test_delay_delivers_the_verdict_later_and_ignores_actions():
    env = gym.make("aha/ModChain-v0", L=2, delay=3).unwrapped
    env.reset(seed=1)
    rewards = [env.step(t)[1] for t in env.instance.target]
    assert rewards == [0.0] * len(rewards)
    out = [env.step(vocab.PAD) for _ in range(3)]  # any action while waiting
    assert [o[1] for o in out] == [0.0, 0.0, 1.0] and out[-1][2] and not out[1][2]
