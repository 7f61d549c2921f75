"""`TokenVectorEnv`: all episodes of one task stepped together in torch tensor operations.

No Python loop runs over environments: prompts come from the task's batched generator, the
verdict from its batched verifier, rewards from `RewardConfig` on tensors. Runs on CPU or CUDA
(`device=`). Observations, rewards and flags are torch tensors on that device.

Seeding follows `gymnasium.vector.SyncVectorEnv`: `reset(seed=s)` gives env i the stream s + i,
so env i matches a single `TokenEnv` reset with seed s + i. Extra reset options:
`group_size=G` makes each block of G consecutive envs share the prompt of its first env (GRPO
groups; reward noise stays per env); `seeds=`/`indices=` (tensors of num_envs) pick items.
Autoreset mode is NEXT_STEP: the step after an episode ends resets that env, ignoring its action.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import vocab
from .env import build, observation_space
from .task import Task, check_int


class TokenVectorEnv(VectorEnv):
    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}
    task_cls: ClassVar[type[Task]]

    def __init__(self, num_envs: int = 1, device: str | torch.device = "cpu", **kwargs: Any):
        self.num_envs = check_int("num_envs", num_envs, 1)
        self.device = torch.device(device)
        self.task, self.reward_cfg, self.n_ctx = build(self.task_cls, kwargs)
        self.single_action_space = spaces.Discrete(vocab.D_VOCAB)
        self.single_observation_space = observation_space(self.n_ctx)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        N, dev = num_envs, self.device
        self._P, self._C = self.task.prompt_len, self.task.completion_len
        self._step_pos = torch.tensor(self.task.step_positions, dtype=torch.long, device=dev)
        self.stream = torch.zeros(N, dtype=torch.long, device=dev)  # seed of each env's item stream
        self.episode = torch.full((N,), -1, dtype=torch.long, device=dev)
        self._ready = False

    # --- gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        options = dict(options or {})
        N, dev = self.num_envs, self.device
        self.group_size = check_int("group_size", int(options.pop("group_size", 1)), 1, N)
        if N % self.group_size:
            raise ValueError(f"group_size must divide num_envs={N}, got {self.group_size}")
        if seed is not None:
            self.stream = int(seed) + torch.arange(N, device=dev)
        elif not self._ready:
            s = int(np.random.default_rng().integers(2**31))
            self.stream = s + torch.arange(N, device=dev)
        self.episode = torch.full((N,), -1, dtype=torch.long, device=dev)
        self._items = (options.pop("seeds", None), options.pop("indices", None))
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; allowed: group_size, seeds, indices")
        self._start(torch.ones(N, dtype=torch.bool, device=dev))
        self._ready = True
        return self._obs(), {}

    def step(self, actions):
        if not self._ready:
            raise RuntimeError("step() called before reset(); call env.reset(seed=...) first")
        a = torch.as_tensor(actions, device=self.device).long().reshape(-1)  # (N,)
        if a.shape[0] != self.num_envs:
            raise ValueError(f"actions must have shape ({self.num_envs},), got {tuple(a.shape)}")
        if ((a < 0) | (a >= vocab.D_VOCAB)).any():
            raise ValueError(f"actions must be token ids in [0, {vocab.D_VOCAB - 1}]")
        N, dev, rc = self.num_envs, self.device, self.reward_cfg
        restart = self._done.clone()  # NEXT_STEP autoreset: these envs only reset
        reward = torch.zeros(N, dtype=torch.float64, device=dev)
        writing = ~restart & ~self._ended
        waiting = ~restart & self._ended

        # write the token of every env still writing
        rows = writing.nonzero().squeeze(1)
        self._comp[rows, self._pos[rows]] = a[rows]
        just = writing & ((a == vocab.EOS) | (self._pos + 1 == self._C))
        self._pos = self._pos + writing.long()
        if rc.mode == "dense" and self.task.n_steps:
            v = self.task.verify(self._prompts, self._comp, self._targets)
            at_step = self._step_pos[None, :] == (self._pos - 1)[:, None]  # (N, n_steps)
            hits = (v.step_correct & at_step).any(dim=1) & writing
            reward += hits.double() * rc.step_weight(self.task.n_steps)

        # the verdict of answers that ended on this step
        if just.any():
            v = self.task.verify(self._prompts, self._comp, self._targets)
            r = rc.verdict(v.correct, v.well_formed, self.stream, self.episode, self.task.n_steps)
            self._terminal = torch.where(just, r, self._terminal)
            self._eos = torch.where(just, a == vocab.EOS, self._eos)
            for k in ("correct", "trace_correct", "well_formed"):
                self._verdict[k] = torch.where(just, getattr(v, k), self._verdict[k])
            self._ended |= just
            self._delay = torch.where(just, torch.full_like(self._delay, rc.delay), self._delay)
        self._delay = self._delay - waiting.long()
        deliver = self._ended & (self._delay == 0) & ~restart & (just | waiting)
        reward += torch.where(deliver, self._terminal, torch.zeros_like(reward))
        terminated, truncated = deliver & self._eos, deliver & ~self._eos
        info = {k: v.clone() for k, v in self._verdict.items()}
        info.update({f"_{k}": deliver.clone() for k in self._verdict})

        if restart.any():
            self._start(restart)
        self._done = deliver
        return self._obs(), reward, terminated, truncated, info

    # --- helpers -----------------------------------------------------------------------------
    def _start(self, mask: torch.Tensor) -> None:
        """Begin a new episode in the envs where `mask` is True."""
        N, dev = self.num_envs, self.device
        self.episode = self.episode + mask.long()
        seeds, indices = self._items
        item_seed = self.stream if seeds is None else torch.as_tensor(seeds, device=dev).long()
        item_idx = self.episode if indices is None else torch.as_tensor(indices, device=dev).long() + self.episode
        if self.group_size > 1:  # each block of G envs shares its first env's item
            lead = torch.arange(N, device=dev) // self.group_size * self.group_size
            item_seed, item_idx = item_seed[lead], item_idx[lead]
        prompts, targets = self.task.batch(item_seed, item_idx)
        if not hasattr(self, "_prompts"):
            self._prompts, self._targets = prompts, targets
            self._comp = torch.full((N, self._C), vocab.PAD, dtype=torch.long, device=dev)
            self._pos = torch.zeros(N, dtype=torch.long, device=dev)
            self._ended = torch.zeros(N, dtype=torch.bool, device=dev)
            self._done = torch.zeros(N, dtype=torch.bool, device=dev)
            self._eos = torch.zeros(N, dtype=torch.bool, device=dev)
            self._delay = torch.zeros(N, dtype=torch.long, device=dev)
            self._terminal = torch.zeros(N, dtype=torch.float64, device=dev)
            self._verdict = {k: torch.zeros(N, dtype=torch.bool, device=dev)
                             for k in ("correct", "trace_correct", "well_formed")}
        m = mask[:, None]
        self._prompts = torch.where(m, prompts, self._prompts)
        self._targets = torch.where(m, targets, self._targets)
        self._comp = torch.where(m, torch.full_like(self._comp, vocab.PAD), self._comp)
        self._pos = torch.where(mask, 0, self._pos)
        self._ended &= ~mask
        self._done &= ~mask
        self._delay = torch.where(mask, 0, self._delay)

    def _obs(self) -> dict[str, torch.Tensor]:
        N, dev = self.num_envs, self.device
        bos = torch.full((N, 1), vocab.BOS, dtype=torch.long, device=dev)
        buf = torch.cat([bos, self._prompts, self._comp], dim=1)  # (N, 1 + P + C), <pad> after pos
        pad = torch.full((N, self.n_ctx - buf.shape[1]), vocab.PAD, dtype=torch.long, device=dev)
        return {"tokens": torch.cat([buf, pad], dim=1), "length": 1 + self._P + self._pos}

    @property
    def prompts(self) -> torch.Tensor:
        """(N, P) prompts of the current episodes."""
        return self._prompts

    @property
    def targets(self) -> torch.Tensor:
        """(N, C) canonical completions of the current episodes (for evaluation, not for agents)."""
        return self._targets
