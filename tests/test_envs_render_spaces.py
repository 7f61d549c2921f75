"""The batched env's spaces hold what it returns (torch tensors), and `render()` in "ansi" mode
shows single and batched episodes legibly (issue 15, API item)."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch

import envs
from envs import vocab


@pytest.mark.parametrize("name", envs.task_names())
def test_vector_spaces_contain_what_the_env_returns_and_takes(name):
    venv = gym.make_vec(envs.env_id(name), num_envs=3, vectorization_mode="vector_entry_point")
    obs, _ = venv.reset(seed=0)
    assert isinstance(obs["tokens"], torch.Tensor)
    assert venv.observation_space.contains(obs)
    for _ in range(venv.unwrapped.task.completion_len + 1):
        actions = venv.action_space.sample()
        assert isinstance(actions, torch.Tensor) and venv.action_space.contains(actions)
        obs, *_ = venv.step(actions)
        assert venv.observation_space.contains(obs)
    sample = venv.observation_space.sample()
    assert venv.observation_space.contains(sample) and isinstance(sample["tokens"], torch.Tensor)
    # and the spaces still say no to what does not belong
    bad = {"tokens": obs["tokens"] + vocab.D_VOCAB, "length": obs["length"]}
    assert not venv.observation_space.contains(bad)
    assert not venv.observation_space.contains({"tokens": obs["tokens"].float(), "length": obs["length"]})
    assert not venv.action_space.contains(torch.tensor([0, 1]))  # wrong shape
    assert venv.action_space.contains(np.array([0, 1, 2]))  # numpy arrays are members too


def test_single_env_render_ansi_separates_prompt_from_completion():
    env = gym.make("aha/PermutationCompose-v0", L=2, n=3, render_mode="ansi")
    env.reset(seed=0)
    target = env.unwrapped.instance.target
    env.step(target[0])
    env.step(target[1])
    text = env.render()
    lines = text.splitlines()
    assert lines[0].startswith("PermutationCompose(L=2, n=3")
    prompt = vocab.decode(env.unwrapped.instance.prompt)
    assert "|" in prompt  # the token that used to double as the separator
    assert lines[1].split(None, 1) == ["prompt", prompt]
    assert lines[2].startswith(f"completion  {vocab.decode(target[:2])}  (2 of {len(target)} tokens)")
    for t in target[2:]:
        env.step(t)
    assert env.render().splitlines()[-1] == "verdict     correct, trace correct"


def test_render_without_render_mode_warns_like_gymnasium():
    env = gym.make("aha/ModChain-v0")
    env.reset(seed=0)
    with pytest.warns(UserWarning, match='without specifying any render mode.*render_mode="ansi"'):
        assert env.unwrapped.render() is None
    venv = gym.make_vec("aha/ModChain-v0", num_envs=2)
    venv.reset(seed=0)
    with pytest.warns(UserWarning, match="without specifying any render mode"):
        assert venv.render() is None


def test_vector_render_ansi_shows_the_first_envs():
    venv = gym.make_vec("aha/ModChain-v0", num_envs=6, L=3, render_mode="ansi")
    assert "call reset()" in venv.render()
    venv.reset(seed=0)
    venv.step(torch.full((6,), vocab.THINK))
    lines = venv.render().splitlines()
    assert lines[0] == "ModChain(L=3, p=10, cot=True, hint=0, split='all'), 6 envs (the first 4)"
    assert len(lines) == 5
    for i, line in enumerate(lines[1:]):
        single = gym.make("aha/ModChain-v0", L=3).unwrapped
        single.reset(seed=i)
        assert line == (
            f"env {i}  prompt: {vocab.decode(single.instance.prompt)}  "
            f"completion: <think>  (1 of {single.task.completion_len} tokens)"
        )


def test_check_env_still_passes_with_render_mode_ansi():
    from gymnasium.utils.env_checker import check_env  # noqa: PLC0415

    env = gym.make("aha/Countdown-v0", render_mode="ansi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
