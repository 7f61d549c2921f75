"""Reward knobs, the same for every task.

- `sparse` (default): the verdict, once, when the answer ends (plus `delay` steps).
- `dense`: 1/(n_steps+1) for each correct intermediate step token, on the step that writes it,
  plus 1/(n_steps+1) for a correct answer at the verdict (the contrast case; sums to <= 1).
- `random`: Bernoulli(`random_p`) at the verdict, independent of the answer.
- `format_bonus=b`: a well-formed but wrong answer earns b instead of 0 (spurious rewards).
- `noise=e`: the verdict's correctness is flipped with probability e.
- `delay=d`: the verdict arrives d steps after the answer ends; actions meanwhile are ignored.

Randomness (noise, random rewards) comes from the counter-based hash of (item seed, item index,
sample), the sample being an episode's place in its GRPO group (0 for the single env and for
groups of one). It never depends on an env's slot in a batch or on the reset seed, so a training
seed draws the same flips alone or batched with others, and each new item draws new ones. The
single env and the batched env pay the same rewards for the same items.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .hashing import uniform

REWARD_MODES = ("sparse", "dense", "random")
NOISE_SLOT = 1_000_003  # hash slots of the reward's own randomness, apart from task slots:
RANDOM_SLOT = 1_000_004  # sample j of an item uses NOISE_SLOT + 2 j and RANDOM_SLOT + 2 j


@dataclass(frozen=True)
class RewardConfig:
    mode: str = "sparse"
    """'sparse' (terminal exact match), 'dense' (per correct step token) or 'random'."""
    delay: int = 0
    """Steps between the end of the answer and the verdict (0..1000)."""
    format_bonus: float = 0.0
    """Reward for a well-formed but wrong answer, in [0, 1]."""
    noise: float = 0.0
    """Probability of flipping the verdict's correctness, in [0, 1]."""
    random_p: float = 0.5
    """Success probability of the 'random' reward, in [0, 1]."""

    def __post_init__(self):
        if self.mode not in REWARD_MODES:
            raise ValueError(f"reward must be one of {', '.join(REWARD_MODES)}; got {self.mode!r}")
        if isinstance(self.delay, bool) or not isinstance(self.delay, int) or not 0 <= self.delay <= 1000:
            raise ValueError(f"delay must be an integer in [0, 1000], got {self.delay!r}")
        for name in ("format_bonus", "noise", "random_p"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{name} must be a number in [0, 1], got {v!r}")

    def step_weight(self, n_steps: int) -> float:
        """Reward of one correct step token (dense) and of the answer's share of the verdict."""
        return 1.0 / (n_steps + 1) if self.mode == "dense" else 0.0

    def verdict(self, correct, well_formed, seed, index, sample, n_steps: int):
        """Terminal reward from the verdict; ints/bools or (B,) tensors.

        The noise flip and the random reward are keyed on the item (`seed`, `index`) and the
        `sample` within its group (distinct hash slots per sample), never on batch position."""
        if self.mode == "random":
            hit = uniform(seed, index, RANDOM_SLOT + 2 * sample) < self.random_p
            return hit.double() if isinstance(hit, torch.Tensor) else float(hit)
        if self.noise > 0:
            correct = correct ^ (uniform(seed, index, NOISE_SLOT + 2 * sample) < self.noise)
        scale = 1.0 / (n_steps + 1) if self.mode == "dense" else 1.0
        if isinstance(correct, torch.Tensor):  # skips terms that are zero (the same values)
            r = correct.double()
            if self.format_bonus:
                r = r + self.format_bonus * (well_formed & ~correct).double()
            return r if scale == 1.0 else scale * r
        return scale * (float(correct) + (self.format_bonus if (well_formed and not correct) else 0.0))
