"""A task registers itself: from a module outside the package, one decorated class gives the task,
its two envs, its Gymnasium id and a valid `CellConfig.task` (issue 16)."""

import gymnasium as gym
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import envs
from envs.tasks.mod_chain import ModChain
from toymodels import CellConfig


@pytest.fixture
def registered():
    names = []

    def add(cls):
        names.append(cls.name)
        return envs.register_task(cls)

    yield add
    for name in names:
        envs.unregister_task(name)


def test_a_task_from_outside_gets_envs_an_id_and_a_config(registered):
    class Doubled(ModChain):
        """Doubled: ModChain under another name, registered from a test module."""

        name = "Doubled"
        env_doc = None  # the docstring falls back on the class docstring

    registered(Doubled)
    assert "Doubled" in envs.task_names() and envs.task_class("Doubled") is Doubled
    env = gym.make("aha/Doubled-v0", L=3)
    assert env.unwrapped.task_cls is Doubled and type(env.unwrapped).__name__ == "DoubledEnv"
    check_env(env.unwrapped)
    doc = type(env.unwrapped).__doc__
    assert doc.startswith("Doubled: ModChain under another name") and "## Arguments" in doc
    venv = gym.make_vec("aha/Doubled-v0", num_envs=4, L=3)
    obs, _ = venv.reset(seed=0)
    single = gym.make("aha/Doubled-v0", L=3).unwrapped
    single.reset(seed=2)
    assert torch.equal(obs["tokens"][2], torch.as_tensor(single._obs()["tokens"]))
    assert CellConfig(task="Doubled", horizon=2, width=8, eval_prompts=4).make_task().name == "Doubled"


def test_registering_the_same_name_twice_is_an_error():
    class ModChain2(ModChain):
        name = "ModChain"

    with pytest.raises(ValueError, match="task name 'ModChain' is already registered by envs.tasks.mod_chain"):
        envs.register_task(ModChain2)
    assert envs.task_class("ModChain") is ModChain


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({}, "must set name = 'Name'"),
        ({"name": "has space"}, "must set name = 'Name'"),
        ({"name": "Odd", "horizon_arg": "depth"}, "must set horizon_arg to one of its constructor's arguments"),
        ({"name": "Odd", "env_doc": "text"}, "env_doc must be an envs.EnvDoc"),
    ],
)
def test_bad_task_classes_get_one_line_errors(attrs, message):
    cls = type("Odd", (ModChain,), {"__doc__": "x", **attrs})  # an inherited name does not count
    with pytest.raises(ValueError, match=message):
        envs.register_task(cls)
    with pytest.raises(ValueError, match="must define"):
        envs.register_task(type("Half", (envs.Task,), {"name": "Half", "horizon_arg": "cot"}))
