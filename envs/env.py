"""`TokenEnv`: one task as a token-level `gymnasium.Env` (the plain-Python reference).

The agent writes a completion one token per step after a fixed prompt. The batched twin is
`envs.vector.TokenVectorEnv`; both share `Task` and `RewardConfig` and are tested to agree.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import vocab
from .rewards import RewardConfig
from .task import Instance, Task, check_int

ENV_KWARGS = ("reward", "delay", "format_bonus", "noise", "random_p", "n_ctx", "render_mode")


def split_kwargs(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate env arguments (reward knobs, n_ctx) from task arguments (difficulty, cot, hint)."""
    env = {k: v for k, v in kwargs.items() if k in ENV_KWARGS}
    return env, {k: v for k, v in kwargs.items() if k not in ENV_KWARGS}


def build(task_cls: type[Task], kwargs: dict[str, Any]) -> tuple[Task, RewardConfig, int]:
    """Task, reward config and n_ctx from keyword arguments; errors name the bad argument."""
    env_kw, task_kw = split_kwargs(kwargs)
    task_args = [a for a in inspect.signature(task_cls.__init__).parameters if a != "self"]
    unknown = sorted(set(task_kw) - set(task_args))
    if unknown:
        raise ValueError(f"unknown argument {unknown[0]!r} for {task_cls.name}; allowed: "
                         f"{', '.join(task_args + list(ENV_KWARGS))}")
    task = task_cls(**task_kw)
    rc = RewardConfig(
        mode=env_kw.get("reward", "sparse"), delay=env_kw.get("delay", 0),
        format_bonus=env_kw.get("format_bonus", 0.0), noise=env_kw.get("noise", 0.0),
        random_p=env_kw.get("random_p", 0.5),
    )
    n_ctx = env_kw.get("n_ctx") or task.min_ctx
    check_int("n_ctx", n_ctx, task.min_ctx, 4096)
    return task, rc, n_ctx


def observation_space(n_ctx: int) -> spaces.Dict:
    return spaces.Dict({
        "tokens": spaces.Box(0, vocab.D_VOCAB - 1, shape=(n_ctx,), dtype=np.int64),
        "length": spaces.Discrete(n_ctx + 1),
    })


class TokenEnv(gym.Env):
    """Generic token-level env; each task subclasses it with its own docstring and `task_cls`."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 4}
    task_cls: ClassVar[type[Task]]

    def __init__(self, render_mode: str | None = None, **kwargs: Any):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.task, self.reward_cfg, self.n_ctx = build(self.task_cls, kwargs)
        self.action_space = spaces.Discrete(vocab.D_VOCAB)
        self.observation_space = observation_space(self.n_ctx)
        self._stream: int | None = None  # the seed of the item stream
        self._episode = -1  # episodes since the stream was seeded
        self.instance: Instance | None = None

    # --- gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._stream, self._episode = int(seed), -1
        elif self._stream is None:
            self._stream, self._episode = int(self.np_random.integers(2**31)), -1
        self._episode += 1
        index = self._episode
        if options and "index" in options:
            index = check_int("options['index']", int(options["index"]), 0)
        self._index = index  # the item: the reward's randomness is keyed on (stream, index)
        self.instance = self.task.generate(self._stream, index)
        self.completion: list[int] = []
        self._delay_left: int | None = None  # set when the answer ends
        self._terminal: tuple[float, bool] | None = None  # (reward, ended with <eos>)
        return self._obs(), {"index": index, "seed": self._stream}

    def step(self, action):
        if self.instance is None:
            raise RuntimeError("step() called before reset(); call env.reset(seed=...) first")
        if not self.action_space.contains(action):
            raise ValueError(
                f"action must be an integer token id in [0, {vocab.D_VOCAB - 1}], got {action!r}")
        if self._terminal is not None and self._delay_left == 0:
            raise RuntimeError("step() called after the episode ended; call reset()")
        reward, info = 0.0, {}
        if self._delay_left is None:  # writing the completion
            a = int(action)
            self.completion.append(a)
            pos = len(self.completion) - 1
            if self.reward_cfg.mode == "dense" and pos in self.task.step_positions:
                j = self.task.step_positions.index(pos)
                if self.task.verify_one(self.instance, self.completion)["step_correct"][j]:
                    reward += self.reward_cfg.step_weight(self.task.n_steps)
            if a == vocab.EOS or len(self.completion) == self.task.completion_len:
                v = self.task.verify_one(self.instance, self.completion)
                r = self.reward_cfg.verdict(
                    v["correct"], v["well_formed"], self._stream, self._index, 0, self.task.n_steps
                )
                self._terminal, self._delay_left = (float(r), a == vocab.EOS), self.reward_cfg.delay
                self._verdict = v
        else:  # waiting out the delay: the action is ignored
            self._delay_left -= 1
        terminated = truncated = False
        if self._delay_left == 0:
            r, eos = self._terminal
            reward += r
            terminated, truncated = eos, not eos
            info = {k: self._verdict[k] for k in ("correct", "trace_correct", "well_formed")}
        return self._obs(), float(reward), terminated, truncated, info

    def render(self):
        if self.render_mode == "ansi" and self.instance is not None:
            return f"{vocab.decode(self.instance.prompt)} | {vocab.decode(self.completion)}"
        return None

    # --- helpers -----------------------------------------------------------------------------
    def _obs(self) -> dict[str, Any]:
        toks = [vocab.BOS, *self.instance.prompt, *self.completion]
        buf = np.full(self.n_ctx, vocab.PAD, dtype=np.int64)
        buf[: len(toks)] = toks
        return {"tokens": buf, "length": len(toks)}
