"""AdamW over seed-batched parameters, with one step count per seed and no step on no signal.

Every parameter of a seed-batched model has the seed as its leading dimension (S, ...). Torch's
AdamW keeps one step count per tensor and steps every seed together; RL needs more:

- a seed whose gradient is exactly zero on a step (its minibatch held only groups with all-equal
  rewards and no KL or entropy term, or the seed is dead) is skipped: its weights, both moments
  and its step count stay as they were. Plain AdamW would still move its weights (the first
  moment of earlier steps carries on) and advance its bias correction; here a group with no
  signal changes nothing, now or later (what DAPO's dynamic sampling gets by dropping such groups,
  Yu et al. 2025, arXiv 2503.14476);
- because the step count is per seed, a seed steps the same whether it runs alone or in a batch.

With every gradient nonzero it is torch's AdamW to float rounding (tests/test_recipe.py):
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  t += 1
    p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + lr wd p
"""

from __future__ import annotations

import torch

from .sampling import per_seed, seed_grad_norm


class SeedAdamW:
    """`SeedAdamW(params, lr)`: `zero_grad()`, `step()`; `lr` may be changed between steps, and may
    be an (S,) float64 tensor, one rate per seed (`sampling.per_seed`: the bits of a float rate)."""

    def __init__(
        self,
        params: list[torch.Tensor],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.95),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        self.params = list(params)
        if not self.params:
            raise ValueError("SeedAdamW needs at least one parameter")
        S, dev = self.params[0].shape[0], self.params[0].device
        if any(p.ndim < 1 or p.shape[0] != S for p in self.params):
            raise ValueError(f"every parameter must have the seed ({S}) as its leading dimension")
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.steps = torch.zeros(S, dtype=torch.long, device=dev)  # (S,) optimiser steps taken

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> torch.Tensor:
        """One step for every seed whose gradient is not all zero; returns (S,) bool, who stepped."""
        b1, b2 = self.betas
        on = seed_grad_norm(self.params) > 0  # (S,)
        self.steps += on.long()
        t = self.steps.clamp(min=1).double()
        bc1 = (1 - b1**t).float()  # (S,)
        bc2_sqrt = (1 - b2**t).sqrt().float()
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
            if p.grad is None:
                continue
            shape = (-1,) + (1,) * (p.ndim - 1)
            mask = on.view(shape)
            g = p.grad
            m.copy_(torch.where(mask, b1 * m + (1 - b1) * g, m))
            v.copy_(torch.where(mask, b2 * v + (1 - b2) * g * g, v))
            denom = v.sqrt() / bc2_sqrt.view(shape) + self.eps
            lr = per_seed(self.lr, p)
            update = lr * (m / bc1.view(shape)) / denom
            if self.weight_decay:
                update = update + per_seed(self.lr * self.weight_decay, p) * p
            p.sub_(torch.where(mask, update, torch.zeros_like(update)))
        return on
