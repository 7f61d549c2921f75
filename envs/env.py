"""`TokenEnv`: one task as a token-level `gymnasium.Env` (the plain-Python reference).

The agent writes a completion one token per step after a fixed prompt. The batched twin is
`envs.vector.TokenVectorEnv`; both share `Task` and `RewardConfig` and are tested to agree.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import vocab
from .rewards import RewardConfig
from .task import Instance, Task, build_task, check_int, check_task_kwargs

ENV_KWARGS = ("reward", "delay", "format_bonus", "noise", "random_p", "n_ctx", "render_mode")


def split_kwargs(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate env arguments (reward knobs, n_ctx) from task arguments (difficulty, cot, hint)."""
    env = {k: v for k, v in kwargs.items() if k in ENV_KWARGS}
    return env, {k: v for k, v in kwargs.items() if k not in ENV_KWARGS}


def build(task_cls: type[Task], kwargs: dict[str, Any]) -> tuple[Task, RewardConfig, int]:
    """Task, reward config and n_ctx from keyword arguments; errors name the bad argument."""
    env_kw, task_kw = split_kwargs(kwargs)
    check_task_kwargs(task_cls, task_kw, ENV_KWARGS)
    task = build_task(task_cls, task_kw)
    if task.revise and env_kw.get("reward") == "dense":
        raise ValueError(
            "reward='dense' cannot be combined with revise=True (a rewritten step would be paid "
            "again); use 'sparse' or 'random'"
        )
    rc = RewardConfig(
        mode=env_kw.get("reward", "sparse"),
        delay=env_kw.get("delay", 0),
        format_bonus=env_kw.get("format_bonus", 0.0),
        noise=env_kw.get("noise", 0.0),
        random_p=env_kw.get("random_p", 0.5),
    )
    n_ctx = env_kw.get("n_ctx") or task.min_ctx
    check_int("n_ctx", n_ctx, task.min_ctx, 4096)
    return task, rc, n_ctx


def check_render_mode(render_mode: str | None) -> str | None:
    if render_mode not in (None, "ansi"):
        raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
    return render_mode


def warn_no_render_mode(env) -> None:
    """What Gymnasium's own envs do when render() is called without a render_mode."""
    spec = getattr(env, "spec", None)
    gym.logger.warn(
        "You are calling render method without specifying any render mode. You can specify the "
        f'render_mode at initialization, e.g. gym.make("{spec.id if spec else "aha/<Task>-v0"}", '
        'render_mode="ansi")'
    )


def render_fields(
    task: Task, prompt: list[int], completion: list[int], verdict: dict | None = None
) -> list[tuple[str, str]]:
    """(label, text) of an episode: prompt, completion so far ('k of C tokens') and, once known, the
    verdict. Tokens are separated by spaces and fields by labels, so the token `|` is never a separator."""
    out = [
        ("prompt", vocab.decode(prompt)),
        ("completion", f"{vocab.decode(completion)}  ({len(completion)} of {task.completion_len} tokens)"),
    ]
    if verdict is not None:
        what = (
            "correct" + (", trace correct" if verdict["trace_correct"] else ", trace wrong")
            if verdict["correct"]
            else "wrong answer, well formed"
            if verdict["well_formed"]
            else "ill formed"
        )
        out.append(("verdict", what))
    return out


def observation_space(n_ctx: int) -> spaces.Dict:
    return spaces.Dict(
        {
            "tokens": spaces.Box(0, vocab.D_VOCAB - 1, shape=(n_ctx,), dtype=np.int64),
            "length": spaces.Discrete(n_ctx + 1),
        }
    )


class TokenEnv(gym.Env):
    """Generic token-level env; `envs.register_task` makes one subclass per task (`task_cls`, docstring)."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 4}
    task_cls: ClassVar[type[Task]]

    def __init__(self, render_mode: str | None = None, **kwargs: Any):
        self.render_mode = check_render_mode(render_mode)
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
            raise ValueError(f"action must be an integer token id in [0, {vocab.D_VOCAB - 1}], got {action!r}")
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

    def render(self) -> str | None:
        """render_mode="ansi": the task, then labelled lines `prompt`, `completion` and, once
        delivered, `verdict` (see `render_fields`); without a render_mode: a warning and None."""
        if self.render_mode is None:
            return warn_no_render_mode(self)
        if self.instance is None:
            return f"{self.task!r}: call reset() to start an episode"
        done = self._terminal is not None and self._delay_left == 0
        fields = render_fields(self.task, list(self.instance.prompt), self.completion, self._verdict if done else None)
        return "\n".join(
            [
                f"{self.task!r}, seed {self._stream} item {self._index}",
                *(f"{label:<11} {text}" for label, text in fields),
            ]
        )

    # --- helpers -----------------------------------------------------------------------------
    def _obs(self) -> dict[str, Any]:
        toks = [vocab.BOS, *self.instance.prompt, *self.completion]
        buf = np.full(self.n_ctx, vocab.PAD, dtype=np.int64)
        buf[: len(toks)] = toks
        return {"tokens": buf, "length": len(toks)}
