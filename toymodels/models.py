"""Seed-batched tiny models: a pre-LayerNorm decoder-only transformer and a fixed-window MLP.

Every weight carries a leading seed dimension S, so S independently initialised copies of one
architecture run in one batched pass (einsum over `s`; no op mixes seeds). Seed s is
initialised from its own `torch.Generator().manual_seed(s)`, in a fixed parameter order, so it
gets exactly the weights it would get if it were trained alone.

Both models share one interface (the grid sweeps them on the same axes):
    forward(tokens (S, B, T), hidden=False, start=0) -> logits (S, B, T, d_vocab) [, hidden (S, B, T, d_model)]
    prefill(tokens (S, B, T), start=0, max_len=0) -> (last logits (S, B, d_vocab), cache)
    decode(token (S, B), cache) -> (logits (S, B, d_vocab), cache)  (consumes the cache it is given)
    expand(cache, n) -> cache with every row repeated n times (one prompt, n samples)
    select(cache, idx (S, M)) -> the cache of rows idx[s] of each seed s (M rows per seed)
`start` is the absolute position of the first token (the MLP ignores it).

Positions (transformer). 'rotary' (default, RoPE, Su et al. 2021): q and k of each head are
rotated by angles proportional to their absolute position, so attention scores, hence the
logits, depend only on relative positions: a longer sequence (the OOD horizon) meets no
untrained parameter. The cache stores rotated keys, in buffers of max_len positions allocated once
by `prefill` and written in place by `decode` (`preallocate`; before, every step concatenated).
'learned': a table W_pos (n_ctx, d_model) added to the token embeddings; rows past the training
length never receive gradient.
The MLP reads a window of the last n_ctx tokens aligned to the current one: window slots further
back than the training sequences reach only ever held <pad> in training.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from envs import vocab

MODEL_KINDS = ("transformer", "mlp")
POSITIONS = ("rotary", "learned")
ROPE_BASE = 10_000.0


@dataclass(frozen=True)
class ModelConfig:
    kind: str = "transformer"
    """'transformer' (pre-LN decoder-only, causal) or 'mlp' (concatenated fixed context window)."""
    d_model: int = 64
    """Residual width (transformer) or hidden width (MLP)."""
    n_layers: int = 1
    """Transformer blocks, or MLP hidden layers."""
    n_heads: int = 4
    """Attention heads; must divide d_model (ignored by the MLP)."""
    d_mlp: int = 256
    """Hidden width of each block's MLP (ignored by the MLP model)."""
    d_vocab: int = vocab.D_VOCAB
    """Vocabulary size (the shared envs vocabulary)."""
    n_ctx: int = 16
    """Rows of the learned position table, or the MLP's window length in tokens; rotary
    positions have no table and no length limit."""
    positions: str = "rotary"
    """Transformer positions: 'rotary' (RoPE on q and k; relative) or 'learned' (absolute table W_pos)."""

    def __post_init__(self):
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"model_kind must be one of {', '.join(MODEL_KINDS)}; got {self.kind!r}")
        for name in ("d_model", "n_layers", "n_heads", "d_mlp", "d_vocab", "n_ctx"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if self.kind == "transformer" and self.d_model % self.n_heads:
            raise ValueError(f"n_heads must divide d_model={self.d_model}, got {self.n_heads}")
        if self.positions not in POSITIONS:
            raise ValueError(f"positions must be one of {', '.join(POSITIONS)}; got {self.positions!r}")
        if self.kind == "transformer" and self.positions == "rotary" and self.d_head % 2:
            raise ValueError(f"rotary positions need an even d_head = d_model / n_heads, got {self.d_head}")

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


# --- seed-batched primitives (leaves first) ---------------------------------------------------
def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """x (S, ..., d_in) @ w (S, d_in, d_out) + b (S, d_out) -> (S, ..., d_out), per seed."""
    S = x.shape[0]
    y = torch.bmm(x.reshape(S, -1, x.shape[-1]), w).reshape(*x.shape[:-1], w.shape[-1])
    if b is not None:
        y = y + b.reshape(S, *([1] * (x.dim() - 2)), -1)
    return y


def layer_norm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-seed LayerNorm: x (S, ..., d), w and b (S, d)."""
    shape = (x.shape[0], *([1] * (x.dim() - 2)), -1)
    return F.layer_norm(x, x.shape[-1:]) * w.reshape(shape) + b.reshape(shape)


def rotary_angles(start: int, T: int, dh: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin (T, dh/2) of positions start..start+T-1 times the RoPE frequencies base^(-2i/dh)."""
    freq = ROPE_BASE ** (-torch.arange(0, dh, 2, device=device, dtype=torch.float32) / dh)  # (dh/2,)
    ang = torch.arange(start, start + T, device=device, dtype=torch.float32)[:, None] * freq  # (T, dh/2)
    return ang.cos(), ang.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """RoPE on x (..., dh): each pair (i, i + dh/2) rotated by its angle; cos and sin (..., dh/2)
    broadcast against x's leading dims (e.g. (T, dh/2) for x (..., T, dh))."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1)


def embed(tokens: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """tokens (S, ...) and w (S, V, d) -> (S, ..., d): seed s looks up in its own table."""
    S, V = w.shape[:2]
    off = (torch.arange(S, device=tokens.device) * V).reshape(S, *([1] * (tokens.dim() - 1)))
    return F.embedding(tokens + off, w.reshape(S * V, -1))


def select_rows(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """x (S, B, ...) and idx (S, M) -> (S, M, ...): rows idx[s] of seed s (a copy)."""
    S, M = idx.shape
    flat = (idx + torch.arange(S, device=idx.device)[:, None] * x.shape[1]).reshape(-1)  # (S * M,)
    return x.reshape(S * x.shape[1], *x.shape[2:]).index_select(0, flat).view(S, M, *x.shape[2:])


def cache_write(buf: torch.Tensor, new: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Keys or values new (S, B, H, T, dh) at positions n..n+T-1 of the cache buffer buf (S, B, H,
    capacity, dh) -> (buffer, its first n + T positions). In place when the buffer has room (a view
    of it is returned: attention over a strided view gives the bits of a contiguous copy); otherwise
    a new buffer of n + T positions by concatenation (the code before preallocation)."""
    T = new.shape[3]
    if buf.shape[3] >= n + T:
        buf[:, :, :, n : n + T] = new
        return buf, buf[:, :, :, : n + T]
    buf = torch.cat([buf[:, :, :, :n], new], 3)
    return buf, buf


class SeedBatched(nn.Module):
    """Holds parameters with a leading seed dim, initialised per seed from `specs()`."""

    cfg: ModelConfig

    def __init__(self, cfg: ModelConfig, seeds: tuple[int, ...] | list[int]):
        super().__init__()
        self.cfg, self.seeds = cfg, tuple(int(s) for s in seeds)
        self.compiled = False  # `use_compile`
        self.preallocate = True
        """prefill(max_len=...) allocates the transformer's KV cache once and decode writes each new
        key and value in place; False: the cache grows by torch.cat at every decode step (the code
        before issue 24's preallocation: the benchmarks' baseline and the tests' reference). The
        logits are bit-identical either way."""
        per_seed = []
        for s in self.seeds:
            g = torch.Generator().manual_seed(s)
            per_seed.append({n: init(g, shape) for n, shape, init in self.specs()})
        for n, _, _ in self.specs():
            self.register_parameter(n, nn.Parameter(torch.stack([p[n] for p in per_seed])))

    def specs(self) -> list[tuple[str, tuple[int, ...], callable]]:
        raise NotImplementedError

    def use_compile(self, on: bool = True) -> SeedBatched:
        """Run the model's full-sequence passes (`forward`: pretraining, the RL update, teacher
        forcing) through torch.compile (inductor): fused elementwise work, outputs equal to eager
        within float rounding (not bitwise). Token-by-token decoding stays eager: its shapes change
        at every step (a recompilation each, then eager after torch's recompile limit). One compiled
        function per class and process, so every model of a shape reuses the graphs compiled for it."""
        self.compiled = bool(on)
        return self

    def _call_core(self, *args, full: bool = False):
        fn = type(self)._core
        if self.compiled and full:
            fn = _compiled(fn)
        return fn(self, *args)

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    @property
    def n_params_total(self) -> int:
        """All parameters of one seed's model."""
        return sum(p[0].numel() for p in self.parameters())

    @property
    def n_params(self) -> int:
        """Non-embedding parameters of one seed (Kaplan et al.): all but W_E, W_pos (learned
        positions only; rotary has no parameters) and W_U."""
        return sum(p[0].numel() for n, p in self.named_parameters() if n not in ("W_E", "W_pos", "W_U"))

    def seed_slice(self, lo: int, hi: int) -> SeedBatched:
        """Seeds lo..hi-1 as a model of their own that shares this one's weights (views, no grad):
        evaluation runs a large batch of seeds in slices whose activations stay in the CPU cache."""
        sub = copy.copy(self)
        sub._parameters = {n: p.detach()[lo:hi] for n, p in self._parameters.items()}
        sub.seeds = self.seeds[lo:hi]
        return sub

    def seed_state(self, i: int) -> dict[str, torch.Tensor]:
        """The state dict of the i-th seed of the batch (no seed dim)."""
        return {n: p[i].detach().cpu().clone() for n, p in self.named_parameters()}

    def load_seed_states(self, states: list[dict[str, torch.Tensor]]) -> None:
        with torch.no_grad():
            for n, p in self.named_parameters():
                p.copy_(torch.stack([st[n] for st in states]).to(p.device))


_COMPILED: dict = {}


def _compiled(fn):
    """torch.compile(fn), made once per process for each function."""
    if fn not in _COMPILED:
        _COMPILED[fn] = torch.compile(fn)
    return _COMPILED[fn]


def normal(std: float):
    return lambda g, shape: torch.randn(shape, generator=g) * std


def zeros(g, shape):
    return torch.zeros(shape)


def ones(g, shape):
    return torch.ones(shape)


# --- transformer -----------------------------------------------------------------------------
class TinyTransformer(SeedBatched):
    """Decoder-only, pre-LayerNorm, causal; rotary (or learned) positions; untied unembedding."""

    def specs(self):
        c, d = self.cfg, self.cfg.d_model
        std, res = 0.02, 0.02 / math.sqrt(2 * c.n_layers)
        out = [("W_E", (c.d_vocab, d), normal(std))]
        if c.positions == "learned":
            out.append(("W_pos", (c.n_ctx, d), normal(std)))
        for i in range(c.n_layers):
            out += [
                (f"ln1_w{i}", (d,), ones), (f"ln1_b{i}", (d,), zeros),
                (f"W_qkv{i}", (d, 3 * d), normal(std)), (f"b_qkv{i}", (3 * d,), zeros),
                (f"W_O{i}", (d, d), normal(res)), (f"b_O{i}", (d,), zeros),
                (f"ln2_w{i}", (d,), ones), (f"ln2_b{i}", (d,), zeros),
                (f"W_in{i}", (d, c.d_mlp), normal(std)), (f"b_in{i}", (c.d_mlp,), zeros),
                (f"W_out{i}", (c.d_mlp, d), normal(res)), (f"b_out{i}", (d,), zeros),
            ]  # fmt: skip
        return out + [("lnf_w", (d,), ones), ("lnf_b", (d,), zeros), ("W_U", (d, c.d_vocab), normal(std))]

    def _core(self, x: torch.Tensor, past: tuple | None, start: int, max_len: int = 0):
        """x (S, B, T, d) at positions start..start+T-1; past: (per-layer (k, v) buffers, n filled
        positions) or None (then attention is causal within x, and the returned cache has buffers
        of max_len positions when max_len > T); with past, x is one token attending to the whole
        cache. Returns (h, per-layer (k, v) buffers)."""
        c, P = self.cfg, dict(self.named_parameters())
        S, B, T, _ = x.shape
        cache = []
        if c.positions == "rotary":
            cos, sin = rotary_angles(start, T, c.d_head, x.device)  # (T, dh/2) each
        for i in range(c.n_layers):
            h = layer_norm(x, P[f"ln1_w{i}"], P[f"ln1_b{i}"])
            qkv = linear(h, P[f"W_qkv{i}"], P[f"b_qkv{i}"]).view(S, B, T, 3, c.n_heads, c.d_head)
            if c.positions == "rotary":  # the cache holds rotated keys
                # q and k rotated together in qkv's own layout, whose last dim is contiguous: the
                # same values as rotating the permuted q and k, several times faster on CPU
                qk = rotate(qkv[:, :, :, :2], cos[:, None, None], sin[:, None, None])  # (S, B, T, 2, H, dh)
                (q, k), v = qk.permute(3, 0, 1, 4, 2, 5), qkv[:, :, :, 2].transpose(2, 3)  # (S, B, H, T, dh)
            else:
                q, k, v = qkv.permute(3, 0, 1, 4, 2, 5)  # (S, B, H, T, dh) each
            if past is not None:  # attend over the buffer's first n + 1 positions
                (kb, k), (vb, v) = cache_write(past[0][i][0], k, past[1]), cache_write(past[0][i][1], v, past[1])
                cache.append((kb, vb))
            elif max_len > T:
                cache.append((cache_write(k.new_empty(S, B, c.n_heads, max_len, c.d_head), k, 0)[0],
                              cache_write(v.new_empty(S, B, c.n_heads, max_len, c.d_head), v, 0)[0]))  # fmt: skip
            else:
                cache.append((k, v))
            # causal within the new block; a single new token attends to the whole cache.
            # Seeds and batch are folded into one dim: CPU attention kernels take 4-D inputs and
            # run about twice as fast on them as on 5-D ones.
            H, dh, Tk = c.n_heads, c.d_head, k.shape[3]
            a = F.scaled_dot_product_attention(
                q.reshape(S * B, H, T, dh),
                k.reshape(S * B, H, Tk, dh),
                v.reshape(S * B, H, Tk, dh),
                is_causal=(T > 1 and past is None),
            )
            a = a.view(S, B, H, T, dh).transpose(2, 3).reshape(S, B, T, c.d_model)  # (S, B, T, d)
            x = x + linear(a, P[f"W_O{i}"], P[f"b_O{i}"])
            h = layer_norm(x, P[f"ln2_w{i}"], P[f"ln2_b{i}"])
            x = x + linear(F.gelu(linear(h, P[f"W_in{i}"], P[f"b_in{i}"])), P[f"W_out{i}"], P[f"b_out{i}"])
        return layer_norm(x, self.lnf_w, self.lnf_b), cache

    def _embed(self, tokens: torch.Tensor, start: int) -> torch.Tensor:
        T = tokens.shape[-1]
        x = embed(tokens, self.W_E)  # (S, B, T, d)
        if self.cfg.positions == "learned":
            if start + T > self.cfg.n_ctx:
                raise ValueError(
                    f"n_ctx must be >= {start + T} for learned positions (the sequence's length), got {self.cfg.n_ctx}"
                )
            x = x + self.W_pos[:, None, start : start + T]
        return x

    def forward(self, tokens: torch.Tensor, hidden: bool = False, start: int = 0):
        h, _ = self._call_core(self._embed(tokens, start), None, start, full=True)
        logits = linear(h, self.W_U)  # (S, B, T, V)
        return (logits, h) if hidden else logits

    def prefill(self, tokens: torch.Tensor, start: int = 0, max_len: int = 0):
        """The cache of tokens (S, B, T): (per-layer (k, v) (S, B, H, max(T, max_len), dh), next
        position, filled positions T). max_len: the longest sequence decode will reach (its buffers
        are allocated once, `preallocate`); past it, decode concatenates."""
        T = tokens.shape[-1]
        h, kv = self._call_core(self._embed(tokens, start), None, start, max_len if self.preallocate else 0)
        return linear(h[:, :, -1], self.W_U), (kv, start + T, T)

    def decode(self, token: torch.Tensor, cache):
        kv, t, n = cache
        h, kv = self._call_core(self._embed(token[..., None], t), (kv, n), t)
        return linear(h[:, :, -1], self.W_U), (kv, t + 1, n + 1)

    @staticmethod
    def expand(cache, n: int):
        kv, t, filled = cache
        return [(k.repeat_interleave(n, 1), v.repeat_interleave(n, 1)) for k, v in kv], t, filled

    @staticmethod
    def select(cache, idx: torch.Tensor):
        kv, t, filled = cache
        return [(select_rows(k, idx), select_rows(v, idx)) for k, v in kv], t, filled


# --- MLP over a fixed window -----------------------------------------------------------------
class TinyMLP(SeedBatched):
    """Embeddings of the last n_ctx tokens (left-padded with <pad>) concatenated, then n_layers
    GELU layers of width d_model, a final LayerNorm and the unembedding."""

    def specs(self):
        c, d = self.cfg, self.cfg.d_model
        out = [("W_E", (c.d_vocab, d), normal(0.02))]
        d_in = c.n_ctx * d
        for i in range(c.n_layers):
            out += [(f"W{i}", (d_in, d), normal(1.0 / math.sqrt(d_in))), (f"b{i}", (d,), zeros)]
            d_in = d
        return out + [("lnf_w", (d,), ones), ("lnf_b", (d,), zeros), ("W_U", (d, c.d_vocab), normal(0.02))]

    def _core(self, windows: torch.Tensor):
        """windows (S, ..., n_ctx) token ids -> (logits (S, ..., V), hidden (S, ..., d))."""
        P = dict(self.named_parameters())
        e = embed(windows, self.W_E)  # (S, ..., n_ctx, d)
        x = e.flatten(-2)  # (S, ..., n_ctx * d)
        for i in range(self.cfg.n_layers):
            x = F.gelu(linear(x, P[f"W{i}"], P[f"b{i}"]))
        h = layer_norm(x, self.lnf_w, self.lnf_b)
        return linear(h, self.W_U), h

    def _windows(self, tokens: torch.Tensor) -> torch.Tensor:
        n = self.cfg.n_ctx
        padded = F.pad(tokens, (n - 1, 0), value=vocab.PAD)  # (S, B, n - 1 + T)
        return padded.unfold(-1, n, 1)  # (S, B, T, n_ctx)

    def forward(self, tokens: torch.Tensor, hidden: bool = False, start: int = 0):
        logits, h = self._call_core(self._windows(tokens), full=True)
        return (logits, h) if hidden else logits

    def prefill(self, tokens: torch.Tensor, start: int = 0, max_len: int = 0):
        """The cache is the tokens themselves (a window of ids; max_len is not needed)."""
        logits, _ = self._call_core(self._windows(tokens)[:, :, -1])
        return logits, tokens

    def decode(self, token: torch.Tensor, cache):
        tokens = torch.cat([cache, token[..., None]], -1)  # (S, B, T + 1)
        logits, _ = self._call_core(self._windows(tokens[..., -self.cfg.n_ctx :])[:, :, -1])
        return logits, tokens

    @staticmethod
    def expand(cache, n: int):
        return cache.repeat_interleave(n, 1)

    @staticmethod
    def select(cache, idx: torch.Tensor):
        return select_rows(cache, idx)


def make_model(cfg: ModelConfig, seeds) -> TinyTransformer | TinyMLP:
    return (TinyTransformer if cfg.kind == "transformer" else TinyMLP)(cfg, seeds)
