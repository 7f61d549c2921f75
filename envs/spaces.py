"""Gymnasium spaces whose members are torch tensors on a device, for the batched env.

`TokenVectorEnv` returns observations and takes actions as torch int64 tensors (on CPU or CUDA),
so its `observation_space` and `action_space` are these: `contains` accepts a torch tensor of the
right dtype, shape and range (on any device) as well as the numpy arrays of the parent space, and
`sample` returns a torch tensor on the space's device. The single env's spaces stay numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces


def _in_range(x: torch.Tensor, lo: np.ndarray, hi: np.ndarray) -> bool:
    lo_t, hi_t = torch.as_tensor(lo, device=x.device), torch.as_tensor(hi, device=x.device)
    return bool(((x >= lo_t) & (x <= hi_t)).all())


class TensorBox(spaces.Box):
    """An int64 `Box` whose members are torch tensors on `device` (numpy arrays are accepted too)."""

    def __init__(self, low: int, high: int, shape: tuple[int, ...], device: torch.device):
        super().__init__(low, high, shape=shape, dtype=np.int64)
        self.device = torch.device(device)

    def contains(self, x: Any) -> bool:
        if isinstance(x, torch.Tensor):
            return x.dtype == torch.int64 and tuple(x.shape) == self.shape and _in_range(x, self.low, self.high)
        return super().contains(x)

    def sample(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return torch.as_tensor(super().sample(*args, **kwargs), device=self.device)

    def __repr__(self) -> str:
        return f"TensorBox({self.low.min()}, {self.high.max()}, {self.shape}, int64, device={self.device})"


class TensorMultiDiscrete(spaces.MultiDiscrete):
    """A `MultiDiscrete` whose members are torch int64 tensors on `device` (numpy arrays are accepted too)."""

    def __init__(self, nvec: list[int], device: torch.device):
        super().__init__(nvec, dtype=np.int64)
        self.device = torch.device(device)

    def contains(self, x: Any) -> bool:
        if isinstance(x, torch.Tensor):
            return (
                x.dtype == torch.int64
                and tuple(x.shape) == self.shape
                and _in_range(x, self.start, self.start + self.nvec - 1)
            )
        return super().contains(x)

    def sample(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return torch.as_tensor(super().sample(*args, **kwargs), device=self.device)

    def __repr__(self) -> str:
        return f"TensorMultiDiscrete({self.nvec.tolist()}, device={self.device})"
