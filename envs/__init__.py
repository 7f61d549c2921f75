"""Token-level tasks with sparse, delayed rewards, as Gymnasium environments.

    import gymnasium as gym, envs
    env = gym.make("aha/ModChain-v0", L=5)
    train_env = gym.make("aha/ModChain-v0", L=5, split="train")   # no held-out question (envs.splits)
    venv = gym.make_vec("aha/ModChain-v0", num_envs=4096, vectorization_mode="vector_entry_point")
"""

from __future__ import annotations

import importlib

import gymnasium as gym

from . import splits, vocab
from .rewards import REWARD_MODES, RewardConfig
from .task import Instance, Task, Verdict

#: task name -> module under envs.tasks holding `<Name>`, `<Name>Env`, `<Name>VectorEnv`
TASK_MODULES = {
    "ModChain": "mod_chain",
    "MultiDigitAdd": "multi_digit_add",
    "Countdown": "countdown",
    "SparseParity": "sparse_parity",
    "PermutationCompose": "permutation_compose",
}


def task_names() -> list[str]:
    return list(TASK_MODULES)


def _module(name: str):
    if name not in TASK_MODULES:
        raise ValueError(f"task must be one of {', '.join(TASK_MODULES)}; got {name!r}")
    return importlib.import_module(f"{__name__}.tasks.{TASK_MODULES[name]}")


def task_class(name: str) -> type[Task]:
    return getattr(_module(name), name)


def make_task(name: str, **kwargs) -> Task:
    """A task by name with its difficulty arguments, e.g. make_task("ModChain", L=5)."""
    return task_class(name)(**kwargs)


def env_id(name: str) -> str:
    return f"aha/{name}-v0"


def register_all() -> None:
    for name, mod in TASK_MODULES.items():
        if env_id(name) not in gym.registry:
            gym.register(
                id=env_id(name),
                entry_point=f"{__name__}.tasks.{mod}:{name}Env",
                vector_entry_point=f"{__name__}.tasks.{mod}:{name}VectorEnv",
            )


register_all()

__all__ = ["Instance", "REWARD_MODES", "RewardConfig", "Task", "Verdict", "env_id", "make_task",
           "splits", "task_class", "task_names", "vocab"]
