"""A model stub for evaluation tests: subclasses set what teacher forcing sees (`forward`); every
sampling-time call (prefill, decode) returns uniform logits and the cache is a no-op."""

from __future__ import annotations

import torch
from torch import nn

from envs import vocab


class UniformSampler(nn.Module):
    """The sampling side of a toymodels model with ``n_seeds`` seeds: uniform logits, no cache."""

    def __init__(self, n_seeds: int = 2):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(n_seeds))
        self.seeds = tuple(range(n_seeds))
        self.n_seeds = n_seeds

    def prefill(self, tokens, start=0, max_len=0):
        S, B, _ = tokens.shape
        return torch.zeros(S, B, vocab.D_VOCAB), None

    def decode(self, token, cache):
        S, B = token.shape
        return torch.zeros(S, B, vocab.D_VOCAB), None

    @staticmethod
    def expand(cache, n):
        return cache

    @staticmethod
    def select(cache, idx):
        return cache
