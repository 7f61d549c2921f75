"""Sampling and per-seed optimisation helpers shared by pretraining, RL and evaluation.

Randomness is counter-based (`envs.hashing`): the uniform number behind a sampled token is a
hash of (stream, row, slot), where the stream depends on the training seed. A seed therefore
draws the same tokens whether it runs alone or inside a batch of seeds.
"""

from __future__ import annotations

import torch

from envs.hashing import uniform

# item / randomness streams, disjoint per role; a training seed s uses ROLE * 2**30 + s ...
PRETRAIN, RL, SAMPLE, CORRUPT = 0, 1, 2, 3
EVAL_STREAM = 2**32 - 1  # held-out prompts: the same for every seed, apart from every training stream
MAX_SEED = 2**30


def stream(seed: int, role: int) -> int:
    """The item (or randomness) stream of a training seed for one role."""
    return role * MAX_SEED + seed


def per_seed(v: float | torch.Tensor, like: torch.Tensor) -> float | torch.Tensor:
    """A knob for every seed of a batch: a float (the same for all) as it is, or an (S,) tensor
    (float64, one value per seed) cast to like's dtype and shaped to broadcast against like (S, ...).
    The cast rounds as torch rounds a Python float in an op on like, so a seed's arithmetic is the
    same bits whether its knob came as a float (a cell alone) or a tensor (cells batched)."""
    if isinstance(v, torch.Tensor):
        return v.to(like.dtype).view(-1, *([1] * (like.dim() - 1)))
    return v


def is_greedy(temperature: float | torch.Tensor) -> bool:
    return not isinstance(temperature, torch.Tensor) and temperature == 0


def sample(
    logits: torch.Tensor, temperature: float | torch.Tensor, streams: torch.Tensor, row: torch.Tensor, slot: int
) -> torch.Tensor:
    """Inverse-CDF sampling from softmax(logits / T); logits (S, B, V), streams (S,), row (B,).

    temperature 0 means greedy; an (S,) tensor is one temperature per seed (`per_seed`). Non-finite
    logits (a diverged seed) sample uniformly.
    """
    u = None if is_greedy(temperature) else uniform(streams[:, None], row[None, :], slot)  # (S, B)
    return sample_from(logits, temperature, u)


def sample_from(logits: torch.Tensor, temperature: float | torch.Tensor, u: torch.Tensor | None) -> torch.Tensor:
    """`sample` with its uniforms u (S, B) (float64, from `uniform`) drawn beforehand (None when
    greedy): a sampler can hash every step's uniforms in one call."""
    logits = torch.where(torch.isfinite(logits), logits, torch.zeros_like(logits))
    if is_greedy(temperature):
        return logits.argmax(-1)
    cdf = torch.softmax(logits / per_seed(temperature, logits), -1).cumsum(-1)  # (S, B, V)
    idx = (cdf < u.to(logits.dtype)[..., None] * cdf[..., -1:]).sum(-1)
    return idx.clamp(max=logits.shape[-1] - 1)


def seed_grad_norm(params: list[torch.Tensor]) -> torch.Tensor:
    """(S,) gradient norm of each seed over all parameters (missing grads count as zero)."""
    sq = [p.grad.reshape(p.shape[0], -1).pow(2).sum(1) for p in params if p.grad is not None]
    return torch.stack(sq).sum(0).sqrt()


def clip_and_mask(params: list[torch.Tensor], max_norm: float, alive: torch.Tensor) -> torch.Tensor:
    """Per-seed gradient clipping; grads of dead seeds (alive False) are zeroed. Returns (S,) norms."""
    norm = seed_grad_norm(params)
    scale = torch.where(alive, (max_norm / (norm + 1e-6)).clamp(max=1.0), torch.zeros_like(norm))
    for p in params:
        if p.grad is not None:
            g = p.grad.reshape(p.shape[0], -1)
            g.copy_(torch.where(alive[:, None], g * scale[:, None], torch.zeros_like(g)))
    return norm


def flat_grads(params: list[torch.Tensor]) -> torch.Tensor:
    """(S, n) every seed's gradient flattened (zeros where a parameter has no grad)."""
    return torch.cat(
        [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(p.shape[0], -1) for p in params], 1
    )
