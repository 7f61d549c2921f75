"""Token-level tasks with sparse, delayed rewards, as Gymnasium environments.

Importing `envs` registers the ids `aha/<Task>-v0` (Gymnasium >= 1.0 has no plugin entry points,
so the import is what makes them known; `gym.register_envs(envs)` says so to linters):

    import gymnasium as gym
    import envs
    gym.register_envs(envs)
    env = gym.make("aha/ModChain-v0", L=5)
    train_env = gym.make("aha/ModChain-v0", L=5, split="train")   # no held-out question (envs.splits)
    venv = gym.make_vec("aha/ModChain-v0", num_envs=4096)          # the batched torch env (vector entry point)

A task of your own is one module with one class decorated by `@envs.register_task` (see
`envs.registry` and examples/extending/README.md); `envs.check_task(task)` checks that its plain and
batched halves agree.
"""

from __future__ import annotations

from . import splits, tasks, vocab  # tasks: the package's tasks register themselves on import
from .check import check_task
from .registry import EnvDoc, env_docstring, env_id, make_task, register_task, task_class, task_names, unregister_task
from .rewards import REWARD_MODES, RewardConfig
from .task import Instance, Task, Verdict

__all__ = [
    "EnvDoc",
    "Instance",
    "REWARD_MODES",
    "RewardConfig",
    "Task",
    "Verdict",
    "check_task",
    "env_docstring",
    "env_id",
    "make_task",
    "register_task",
    "splits",
    "task_class",
    "task_names",
    "tasks",
    "unregister_task",
    "vocab",
]
