"""Rollouts through the batched token environment (`envs` TokenVectorEnv), all seeds at once.

One env holds S * N episodes (N = prompts_per_update * group_size per seed); the reset options
`group_size`, `seeds` and `indices` give seed s's groups the items of its own RL stream. The
loop runs over token positions only; the model decodes with its cache, the env judges.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import torch

import envs
from envs import vocab

from .sampling import RL, per_seed, sample, stream

ROLLOUT_SLOT = 5_000_000


@dataclass
class Rollout:
    prompts: torch.Tensor  # (S, N, P)
    completions: torch.Tensor  # (S, N, C), <pad> where not written
    mask: torch.Tensor  # (S, N, C) bool: tokens the policy wrote
    rewards: torch.Tensor  # (S, N, C) float: reward credited to each written token (delayed ones to the last)
    returns: torch.Tensor  # (S, N) float: episode reward
    correct: torch.Tensor  # (S, N) bool
    well_formed: torch.Tensor  # (S, N) bool: the completion respects the task's layout
    logp: torch.Tensor  # (S, N, C) float: log-prob of each written token under the sampling policy
    # (softmax of logits / temperature, from the decoding pass), 0 where not written: RL's pi_old


def make_env(cfg, horizon: int, num_envs: int, device) -> gym.vector.VectorEnv:
    kw = {
        **cfg.task_args(horizon),
        "reward": cfg.reward,
        "delay": cfg.delay,
        "format_bonus": cfg.format_bonus,
        "noise": cfg.noise,
        "split": "train",
    }  # no held-out question
    return gym.make_vec(
        envs.env_id(cfg.task), num_envs=num_envs, vectorization_mode="vector_entry_point", device=device, **kw
    )


@torch.no_grad()
def rollout(model, env, update: int, n_prompts: int, group_size: int, temperature: float | torch.Tensor) -> Rollout:
    """Sample G completions for each of `n_prompts` prompts per seed, from update `update`'s items;
    temperature: a float, or (S,) one per seed (`sampling.per_seed`)."""
    dev = next(model.parameters()).device
    S, G = model.n_seeds, group_size
    N = n_prompts * G
    streams = torch.tensor([stream(s, RL) for s in model.seeds], device=dev)  # (S,)
    item_seeds = streams.repeat_interleave(N)  # (S * N,)
    item_idx = (update * n_prompts + torch.arange(N, device=dev) // G).repeat(S)  # (S * N,)
    # the items and the reward's randomness come from (item seed, index, sample in group) alone;
    # the reset seed only fixes the env's unused default streams
    env.reset(seed=0, options={"group_size": G, "seeds": item_seeds, "indices": item_idx})
    task = env.unwrapped.task
    P, C = task.prompt_len, task.completion_len
    prompts = env.unwrapped.prompts.view(S, N, P)
    bos = torch.full((S, N, 1), vocab.BOS, dtype=torch.long, device=dev)
    # the cache reaches <bos>, the prompt and at most C - 1 decoded tokens: allocated once
    logits, cache = model.prefill(torch.cat([bos, prompts], -1), max_len=P + C)  # (S, N, V)
    comps = torch.full((S, N, C), vocab.PAD, dtype=torch.long, device=dev)
    mask = torch.zeros(S, N, C, dtype=torch.bool, device=dev)
    rewards = torch.zeros(S, N, C, dtype=torch.float32, device=dev)
    logp = torch.zeros(S, N, C, dtype=torch.float32, device=dev)
    writing = torch.ones(S, N, dtype=torch.bool, device=dev)
    done = torch.zeros(S, N, dtype=torch.bool, device=dev)
    last = torch.zeros(S, N, dtype=torch.long, device=dev)  # position of the last written token
    rows = torch.arange(N, device=dev) + update * N
    correct = torch.zeros(S, N, dtype=torch.bool, device=dev)
    well_formed = torch.zeros(S, N, dtype=torch.bool, device=dev)
    t = 0
    while not bool(done.all()):
        if t < C:
            a = sample(logits, temperature, streams, rows, ROLLOUT_SLOT + t)  # (S, N)
            a = torch.where(writing, a, vocab.PAD)
            lf = logits.float()
            lp = torch.log_softmax(lf / per_seed(temperature, lf), -1).gather(-1, a[..., None]).squeeze(-1)
            logp[:, :, t] = torch.where(writing, lp, 0.0)
            comps[:, :, t] = a
            mask[:, :, t] = writing
            last = torch.where(writing, t, last)
        else:
            a = torch.full((S, N), vocab.PAD, dtype=torch.long, device=dev)
        _, r, term, trunc, info = env.step(a.reshape(-1))
        r = r.view(S, N).float() * ~done
        rewards.scatter_add_(2, last[..., None], r[..., None])
        fin = (term | trunc).view(S, N) & ~done
        correct |= fin & info["correct"].view(S, N)
        well_formed |= fin & info["well_formed"].view(S, N)
        done |= fin
        if t < C:
            writing &= (a != vocab.EOS) & (t + 1 < C)
            if t + 1 < C and bool(writing.any()):
                logits, cache = model.decode(a, cache)
        t += 1
    return Rollout(prompts, comps, mask, rewards, rewards.sum(-1), correct, well_formed, logp)
