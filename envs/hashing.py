"""Counter-based randomness: item `index` of a task is rebuilt from `(seed, index)` alone.

The same integer hash runs on Python ints (the single env, the reference) and on int64 torch
tensors (the batched env, on CPU or CUDA), so both produce identical instances without a
Python loop over environments. All arithmetic stays inside 32-bit values and products below
2**63, so signed int64 torch arithmetic never overflows and equals Python's.
"""

from __future__ import annotations

import torch

M32 = 0xFFFFFFFF
_MUL = 0x045D9F3B  # < 2**27: a 32-bit value times it stays below 2**63


def _mix(x):
    """A 32-bit avalanche mix (works on int and on int64 tensors)."""
    x = ((x ^ (x >> 16)) * _MUL) & M32
    x = ((x ^ (x >> 16)) * _MUL) & M32
    return x ^ (x >> 16)


def hash3(seed, index, slot):
    """Uniform 32-bit value for (seed, index, slot); ints or broadcastable int64 tensors."""
    h = _mix(seed & M32)
    h = _mix(h ^ (index & M32))
    return _mix((h + slot * 0x9E37 + 1) & M32)


def randint(seed, index, slot, n):
    """Integer in [0, n) for (seed, index, slot). `n` may be an int or an int64 tensor."""
    return hash3(seed, index, slot) % n


def uniform(seed, index, slot):
    """Float in [0, 1) for (seed, index, slot)."""
    h = hash3(seed, index, slot)
    if isinstance(h, torch.Tensor):
        return h.to(torch.float64) / 2.0**32
    return h / 2.0**32


def randperm(seed, index, slot, n: int):
    """A uniform random permutation of range(n) for (seed, index), identical on ints and tensors.

    The argsort of n hashed keys (slots slot .. slot+n-1); equal keys are ordered by position
    (a stable sort), so ties are broken the same way in Python and in torch. On ints it returns
    a list; on (B,) int64 tensors a (B, n) tensor.
    """
    if isinstance(seed, torch.Tensor) or isinstance(index, torch.Tensor):
        seed, index = torch.broadcast_tensors(torch.as_tensor(seed), torch.as_tensor(index))
        j = torch.arange(n, device=seed.device)
        keys = hash3(seed[:, None], index[:, None], slot + j[None, :])  # (B, n)
        return torch.argsort(keys, dim=1, stable=True)
    keys = [hash3(seed, index, slot + j) for j in range(n)]
    return sorted(range(n), key=lambda j: (keys[j], j))
