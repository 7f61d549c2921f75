"""RL algorithms as small named units: `CellConfig.algo` names one of them.

An algorithm is how the rewards of a rollout become a per-token loss; the loop around it
(rollouts, minibatches, epochs, KL and entropy terms, clipping of gradients, metrics) is
`toymodels.rl` and the same for all. A unit says:

- `advantages(r, cfg)`: the rewards of each group of G episodes sharing one prompt, r (S, groups, G),
  to one advantage per episode (S, groups, G);
- `token_loss(ratio, logp, A, cfg)`: the per-token policy loss (S, n, C), from ratio = pi / pi_old,
  logp = log pi of the written token and A the token's advantage (the episode's, or R_t - V(s_t)
  with a value head). Default: the PPO-clip surrogate -min(rho A, clip(rho, 1 - clip_low,
  1 + clip_high) A);
- `value_head`: learn a linear value V(s_t) on the final residual stream and use A_t = R_t - V(s_t)
  (R_t the reward-to-go), with the loss vf_coef * 0.5 (V - R)^2 added;
- `token_sum`: aggregate token losses as their sum over (sequences x completion length) (Dr. GRPO)
  whatever `token_sum_norm` says; otherwise `token_sum_norm` decides;
- `zero_uninformative`: groups whose rewards are all equal get A = 0 exactly (no signal, no gradient: H3).

A new algorithm is one `register_algorithm(Algorithm(...))` call, in this file or in a user's
(examples/extending/my_lab.py registers one from outside the package):

    from toymodels.algos import Algorithm, register_algorithm
    register_algorithm(Algorithm("sign", "the sign of the group-centred reward",
                                 advantages=lambda r, cfg: torch.sign(r - r.mean(-1, keepdim=True))))
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch


def clipped_surrogate(ratio: torch.Tensor, logp: torch.Tensor, A: torch.Tensor, cfg: Any) -> torch.Tensor:
    """PPO-clip: -min(rho A, clip(rho, 1 - clip_low, 1 + clip_high) A) per token (clip-higher: DAPO)."""
    lo, hi = 1 - cfg.clip_low, 1 + cfg.clip_high
    return -torch.minimum(ratio * A, ratio.clamp(lo, hi) * A)


@dataclass(frozen=True)
class Algorithm:
    name: str
    """The value of `CellConfig.algo`: lower case letters, digits and '_'."""
    summary: str
    """One line: what the algorithm does, with its reference."""
    advantages: Callable[[torch.Tensor, Any], torch.Tensor]
    """(rewards (S, groups, G), cfg) -> advantages (S, groups, G)."""
    token_loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, Any], torch.Tensor] = clipped_surrogate
    """(ratio, logp, A, cfg), each (S, n, C) -> per-token policy loss (S, n, C)."""
    value_head: bool = False
    """Learn a value head; the token advantage is R_t - V(s_t) instead of the episode's."""
    token_sum: bool = False
    """Token losses summed over (sequences x completion length) (Dr. GRPO), not averaged per sequence."""
    zero_uninformative: bool = True
    """Groups whose rewards are all equal get advantage 0 exactly."""

    def __post_init__(self):
        if not isinstance(self.name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"algorithm name must be lower case letters, digits and '_', got {self.name!r}")
        for f in ("advantages", "token_loss"):
            if not callable(getattr(self, f)):
                raise ValueError(f"algorithm {self.name!r}: {f} must be a function, got {getattr(self, f)!r}")


ALGORITHMS: dict[str, Algorithm] = {}


def register_algorithm(algo: Algorithm, replace: bool = False) -> Algorithm:
    """Add `algo` to the registry (`replace`: overwrite one of the same name)."""
    if not isinstance(algo, Algorithm):
        raise ValueError(f"register_algorithm takes an Algorithm, got {type(algo).__name__}")
    if algo.name in ALGORITHMS and not replace and ALGORITHMS[algo.name] != algo:
        raise ValueError(f"algorithm {algo.name!r} is already registered; pass replace=True to overwrite it")
    ALGORITHMS[algo.name] = algo
    return algo


def algo_names() -> list[str]:
    return list(ALGORITHMS)


def get_algorithm(name: str) -> Algorithm:
    if name not in ALGORITHMS:
        raise ValueError(
            f"algo must be one of {', '.join(ALGORITHMS)}; got {name!r} "
            "(add one with toymodels.algos.register_algorithm)"
        )
    return ALGORITHMS[name]


# --- the algorithms, one block each ---------------------------------------------------------------
def _centred(r: torch.Tensor) -> torch.Tensor:
    return r - r.mean(-1, keepdim=True)


def _grpo(r: torch.Tensor, cfg: Any) -> torch.Tensor:
    """A_i = r_i - mean(r), divided by std(r) + 1e-6 when `std_norm`."""
    centred = _centred(r)
    if cfg.std_norm:
        return centred / (r.std(-1, keepdim=True, unbiased=False) + 1e-6)
    return centred


register_algorithm(
    Algorithm(
        "grpo", "GRPO: group-centred reward, / group std with std_norm (Shao et al. 2024, arXiv 2402.03300)", _grpo
    )
)

register_algorithm(
    Algorithm(
        "dr_grpo",
        "Dr. GRPO: group-centred reward without std, token losses summed over a constant "
        "(Liu et al. 2025, arXiv 2503.20783)",
        lambda r, cfg: _centred(r),
        token_sum=True,
    )
)


def _rloo(r: torch.Tensor, cfg: Any) -> torch.Tensor:
    """A_i = r_i - mean_{j != i} r_j = G / (G - 1) (r_i - mean(r))."""
    G = r.shape[-1]
    return _centred(r) * (G / max(G - 1, 1))


register_algorithm(
    Algorithm(
        "rloo",
        "RLOO: reward minus the mean of the group's other rewards (Ahmadian et al. 2024, arXiv 2402.14740)",
        _rloo,
    )
)

register_algorithm(
    Algorithm(
        "ppo",
        "PPO-clip with a linear value head: A_t = R_t - V(s_t) (Schulman et al. 2017, arXiv 1707.06347)",
        _grpo,
        value_head=True,
    )
)


def _reinforce(r: torch.Tensor, cfg: Any) -> torch.Tensor:
    """A_i = r_i - the mean reward of the seed's whole batch (every group)."""
    return r - r.mean((1, 2), keepdim=True)


def _log_likelihood(ratio: torch.Tensor, logp: torch.Tensor, A: torch.Tensor, cfg: Any) -> torch.Tensor:
    """-A log pi: the score-function loss, no ratio and no clip."""
    return -A * logp


register_algorithm(
    Algorithm(
        "reinforce",
        "REINFORCE with a batch-mean baseline: A_i = r_i - mean of the batch, loss -A log pi (Williams 1992)",
        _reinforce,
        token_loss=_log_likelihood,
        zero_uninformative=False,
    )
)
