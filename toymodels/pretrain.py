"""Pretraining: supervised next-token training on task traces, some of them deliberately wrong.

Data. Step i of seed s reads items i*B .. i*B+B-1 of the pretraining stream of s (`task.batch`),
so no item is seen twice and the RL and evaluation streams stay disjoint.

Corruption model (the `prior` knob). Each trace is fully correct with probability `prior`
(hash of its stream and index). Otherwise every value slot of the completion (each intermediate
step token and each answer token) is replaced, independently with probability `corrupt`, by a
uniformly drawn *wrong* value token of the task's alphabet; if no slot was drawn, one slot chosen
uniformly is corrupted, so a corrupted trace is never correct. Fixed layout tokens (<think>,
</think>, <eos>) are never corrupted. The answer is thus sometimes right with wrong steps and
sometimes wrong with right steps: errors are independent of the steps, not propagated.

Loss: cross-entropy on completion tokens only. Budget: `steps = pretrain_tokens // (B * (P + C))`
(prompt plus completion tokens per sequence), at least 1 when the budget is positive. Schedule:
AdamW (betas 0.9, 0.95, no weight decay), 10-step linear warm-up, cosine decay to 10%, per-seed
gradient clipping. A seed whose loss turns non-finite stops (its later grads are zeroed).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from envs import vocab
from envs.hashing import randint, uniform
from envs.task import Task

from .sampling import CORRUPT, PRETRAIN, clip_and_mask, stream

PRIOR_SLOT, PICK_SLOT, WHICH_SLOT, VALUE_SLOT = 3_000_001, 3_100_000, 3_000_003, 3_200_000


def corrupt(task: Task, item_seed: torch.Tensor, index: torch.Tensor, targets: torch.Tensor,
            prior: float, rate: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the corruption model to canonical completions targets (B, C).

    item_seed, index (B,) name each item (its randomness comes from their hash).
    Returns (completions (B, C), correct (B,) bool).
    """
    slots = torch.tensor(task.step_positions + task.answer_positions, dtype=torch.long, device=targets.device)
    vt = torch.tensor(task.value_tokens, device=targets.device)  # (n_values,)
    nv, ns = vt.shape[0], slots.shape[0]
    seed = item_seed + CORRUPT * 2**30  # a randomness stream apart from the item's own
    keep = uniform(seed, index, PRIOR_SLOT) < prior  # (B,)
    j = torch.arange(ns, device=targets.device)
    pick = uniform(seed[:, None], index[:, None], PICK_SLOT + j[None]) < rate  # (B, ns)
    forced = randint(seed, index, WHICH_SLOT, ns)  # (B,)
    pick = pick | (~pick.any(1, keepdim=True) & (j[None] == forced[:, None]))
    pick &= ~keep[:, None]
    cur = targets[:, slots]  # (B, ns)
    cur_idx = (cur[..., None] == vt).long().argmax(-1)  # (B, ns) index in the value alphabet
    shift = 1 + randint(seed[:, None], index[:, None], VALUE_SLOT + j[None], max(nv - 1, 1))
    wrong = vt[(cur_idx + shift) % nv]
    out = targets.clone()
    out[:, slots] = torch.where(pick, wrong, cur)
    return out, keep


def sequences(task: Task, prompts: torch.Tensor, completions: torch.Tensor) -> torch.Tensor:
    """(..., P) and (..., C) -> (..., 1 + P + C) token sequences starting with <bos>."""
    bos = torch.full((*prompts.shape[:-1], 1), vocab.BOS, dtype=torch.long, device=prompts.device)
    return torch.cat([bos, prompts, completions], -1)


def completion_logits(model, seqs: torch.Tensor, P: int, hidden: bool = False):
    """Logits predicting each completion token: seqs (S, B, 1+P+C) -> (S, B, C, V) [, hidden]."""
    out = model(seqs[..., :-1], hidden=hidden)
    if hidden:
        return out[0][:, :, P:], out[1][:, :, P:]
    return out[:, :, P:]


def pretrain_steps(task: Task, budget: int, batch: int) -> int:
    per = batch * (task.prompt_len + task.completion_len)
    return 0 if budget == 0 else max(1, budget // per)


def make_pretrain(task: Task, *, budget: int, batch: int, lr: float, prior: float, corrupt_rate: float,
                  max_grad_norm: float):
    """`pretrain(model) -> per-seed final loss (S,)`: trains the seed-batched model in place."""
    n_steps = pretrain_steps(task, budget, batch)
    P = task.prompt_len

    def lr_at(i: int) -> float:
        warm = min(1.0, (i + 1) / 10)
        return lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * i / max(1, n_steps))))

    def pretrain(model, alive: torch.Tensor | None = None):
        dev = next(model.parameters()).device
        S = model.n_seeds
        alive = torch.ones(S, dtype=torch.bool, device=dev) if alive is None else alive
        params = list(model.parameters())
        opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
        streams = torch.tensor([stream(s, PRETRAIN) for s in model.seeds], device=dev)  # (S,)
        last = torch.full((S,), float("nan"), device=dev)
        for i in range(n_steps):
            idx = i * batch + torch.arange(batch, device=dev)  # (B,)
            item_seed = streams[:, None].expand(S, batch).reshape(-1)  # (S * B,)
            item_idx = idx[None].expand(S, batch).reshape(-1)
            prompts, targets = task.batch(item_seed, item_idx)
            comps, _ = corrupt(task, item_seed, item_idx, targets, prior, corrupt_rate)
            seqs = sequences(task, prompts, comps).view(S, batch, -1)  # (S, B, 1 + P + C)
            logits = completion_logits(model, seqs, P)  # (S, B, C, V)
            tgt = seqs[:, :, 1 + P :]  # (S, B, C)
            loss = F.cross_entropy(logits.flatten(0, 2), tgt.flatten(), reduction="none")
            loss = loss.view(S, -1).mean(1)  # (S,)
            alive &= torch.isfinite(loss)
            last = torch.where(alive, loss.detach(), torch.full_like(last, float("nan")))
            for g in opt.param_groups:
                g["lr"] = lr_at(i)
            opt.zero_grad(set_to_none=True)
            torch.where(alive, loss, torch.zeros_like(loss)).sum().backward()
            clip_and_mask(params, max_grad_norm, alive)
            opt.step()
        return last, alive

    pretrain.n_steps = n_steps
    return pretrain
