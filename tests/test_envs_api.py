"""Registration, the Gymnasium env checker over every aha/ id, and error messages."""

import inspect
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import envs
from envs import vocab

AHA_IDS = sorted(i for i in gym.registry if i.startswith("aha/"))


def test_every_task_is_registered_with_both_entry_points():
    assert {envs.env_id(n) for n in envs.task_names()} <= set(AHA_IDS)
    for name in envs.task_names():
        spec = gym.spec(envs.env_id(name))
        assert spec.entry_point.endswith(f":{name}Env") and spec.vector_entry_point.endswith(f":{name}VectorEnv")
        assert gym.make(spec.id).unwrapped.task_cls is envs.task_class(name)


def test_env_docstring_documents_every_constructor_argument():
    for name in envs.task_names():
        cls = envs.task_class(name)
        doc = cls.Env.__doc__
        for arg in inspect.signature(cls.__init__).parameters:
            if arg != "self":
                assert f"`{arg}`" in doc, (name, arg)
        assert f"`{cls.horizon_arg}` (horizon" in doc


@pytest.mark.parametrize("cot", [True, False])
@pytest.mark.parametrize("env_id", AHA_IDS)
def test_check_env_passes_without_warnings(env_id, cot):
    env = gym.make(env_id, cot=cot)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


@pytest.mark.parametrize("env_id", AHA_IDS)
def test_env_docstring_has_gymnasium_sections(env_id):
    doc = gym.make(env_id).unwrapped.__class__.__doc__
    for section in (
        "Description",
        "Action Space",
        "Observation Space",
        "Rewards",
        "Starting State",
        "Episode End",
        "Arguments",
        "Version History",
    ):
        assert f"## {section}" in doc, section


@pytest.mark.parametrize("name", envs.task_names())
def test_task_protocol(name):
    task = envs.make_task(name)
    d = task.difficulty()
    assert task.horizon_arg in d
    assert 0 < task.chance() <= 0.5
    assert task.min_ctx == 1 + task.prompt_len + task.completion_len
    off = envs.make_task(name, cot=False)
    assert off.n_steps == 0 and off.step_positions == [] and task.n_steps >= 0
    assert off.completion_len < task.completion_len
    # the horizon argument really changes the horizon: more steps or a longer prompt
    h = d[task.horizon_arg]
    longer = envs.make_task(name, **{task.horizon_arg: h + 1})
    assert (longer.n_steps, longer.prompt_len) > (task.n_steps, task.prompt_len)


# --- errors name the argument and the allowed values ------------------------------------------
@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("ModChain", {"L": 0}, "L must be an integer in [1, 64], got 0"),
        ("ModChain", {"p": 1}, "p must be an integer in [2, 10], got 1"),
        ("ModChain", {"L": 2.5}, "L must be an integer in [1, 64], got 2.5"),
        ("ModChain", {"cot": "yes"}, "cot must be True or False"),
        ("ModChain", {"L": 5, "hint": 9}, "hint must be an integer in [0, "),
        ("PermutationCompose", {"L": 2, "n": 3, "hint": 8}, "hint must be an integer in [0, 7], got 8"),
        ("MultiDigitAdd", {"n_digits": 0}, "n_digits must be an integer in [1, 32], got 0"),
        ("MultiDigitAdd", {"reverse": 1}, "reverse must be True or False"),
        ("Countdown", {"n_numbers": 6}, "n_numbers must be an integer in [2, 5], got 6"),
        ("Countdown", {"max_number": 10}, "max_number must be an integer in [2, 9], got 10"),
        ("SparseParity", {"n_bits": 4, "k": 5}, "k must be an integer in [1, 4], got 5"),
        ("SparseParity", {"subset_seed": -1}, "subset_seed must be an integer in [0, 2147483647]"),
        ("PermutationCompose", {"n": 11}, "n must be an integer in [2, 10], got 11"),
        ("PermutationCompose", {"L": 0}, "L must be an integer in [1, 32], got 0"),
    ],
)
def test_bad_task_arguments(name, kwargs, message):
    with pytest.raises(ValueError) as e:
        envs.make_task(name, **kwargs)
    assert message in str(e.value)
    with pytest.raises(ValueError) as e:  # the same error through gym.make
        gym.make(envs.env_id(name), **kwargs)
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reward": "shaped"}, "reward must be one of sparse, dense, random; got 'shaped'"),
        ({"noise": 1.5}, "noise must be a number in [0, 1], got 1.5"),
        ({"format_bonus": -0.1}, "format_bonus must be a number in [0, 1]"),
        ({"delay": -1}, "delay must be an integer in [0, 1000], got -1"),
        ({"n_ctx": 5}, f"n_ctx must be an integer in [{envs.make_task('ModChain').min_ctx}, 4096], got 5"),
        (
            {"colour": 3},
            "unknown argument 'colour' for ModChain; allowed: L, p, cot, hint, split, revise, max_revisions, "
            "think_flag, reward",
        ),
        ({"render_mode": "human"}, "render_mode must be None or 'ansi'"),
    ],
)
def test_bad_env_arguments(kwargs, message):
    with pytest.raises(ValueError) as e, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gym.make's own warning about render_mode
        gym.make("aha/ModChain-v0", **kwargs)
    assert message in str(e.value)
    if "render_mode" not in kwargs:
        with pytest.raises(ValueError) as e:
            gym.make_vec("aha/ModChain-v0", num_envs=2, vectorization_mode="vector_entry_point", **kwargs)
        assert message in str(e.value)


def test_unknown_task_lists_the_tasks():
    with pytest.raises(ValueError) as e:
        envs.make_task("Chess")
    msg = str(e.value)
    assert msg.startswith("task must be one of") and "got 'Chess'" in msg and "\n" not in msg
    assert all(name in msg for name in envs.task_names())


def test_make_task_rejects_unknown_arguments_like_gym_make():
    """issue 15: make_task("ModChain", LL=5) gave a TypeError from inside the constructor."""
    with pytest.raises(ValueError) as direct:
        envs.make_task("ModChain", LL=5)
    allowed = "L, p, cot, hint, split, revise, max_revisions, think_flag"
    assert str(direct.value) == f"unknown argument 'LL' for ModChain; allowed: {allowed}"
    with pytest.raises(ValueError) as made:
        gym.make("aha/ModChain-v0", LL=5)
    assert str(made.value).startswith(str(direct.value))  # gym.make also lists the env's own arguments


@pytest.mark.parametrize("action", [30, -1, 2.0, 1.5, "3", None, np.array([1, 2])])
def test_single_env_rejects_invalid_actions(action):
    env = gym.make("aha/ModChain-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be an integer token id in \[0, 29\]"):
        env.step(action)
    env.step(np.int64(vocab.DIGIT0))  # numpy integers are fine


@pytest.mark.parametrize(
    "actions",
    [
        torch.tensor([0, 30]),
        torch.tensor([-1, 0]),
        torch.tensor([1.0, 2.0]),
        np.array([True, False]),
        torch.tensor([1, 2, 3]),
        ["a", "b"],
    ],
)
def test_vector_env_rejects_invalid_actions(actions):
    venv = gym.make_vec("aha/ModChain-v0", num_envs=2, vectorization_mode="vector_entry_point")
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions must be integer token ids in \[0, 29\] of shape \(2,\)"):
        venv.step(actions)
    venv.step(np.array([vocab.DIGIT0, vocab.EOS]))  # still usable afterwards


def test_step_before_reset_and_after_the_end():
    env = gym.make("aha/ModChain-v0").unwrapped
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(vocab.EOS)
    venv = gym.make_vec("aha/ModChain-v0", num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises(RuntimeError, match="before reset"):
        venv.step(torch.tensor([1, 2]))
    env.reset(seed=0)
    env.step(vocab.EOS)
    with pytest.raises(RuntimeError, match="after the episode ended; call reset"):
        env.step(vocab.EOS)


def test_bad_reset_options():
    venv = gym.make_vec("aha/ModChain-v0", num_envs=4, vectorization_mode="vector_entry_point")
    with pytest.raises(ValueError, match="group_size must divide num_envs=4, got 3"):
        venv.reset(seed=0, options={"group_size": 3})
    with pytest.raises(ValueError, match=r"group_size must be an integer in \[1, 4\], got 8"):
        venv.reset(seed=0, options={"group_size": 8})
    with pytest.raises(ValueError, match="unknown reset options.*allowed: group_size, seeds, indices"):
        venv.reset(seed=0, options={"index": 3})
    with pytest.raises(ValueError, match="reset option indices must be 4 non-negative integers"):
        venv.reset(seed=0, options={"indices": torch.tensor([1, 2])})
    with pytest.raises(ValueError, match=r"num_envs must be an integer >= 1, got 0"):
        gym.make_vec("aha/ModChain-v0", num_envs=0, vectorization_mode="vector_entry_point")
