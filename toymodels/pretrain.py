"""Pretraining: supervised next-token training on task traces, some of them deliberately wrong.

Data. Step i of seed s reads items i*B .. i*B+B-1 of the pretraining stream of s (`task.batch`
with split="train"), so no item is seen twice and no held-out question (`envs.splits`) is seen.

Competing strategy (the `prior` knob). Each trace follows the task's correct rule with
probability `prior` (hash of its stream and index), else the task's one consistent wrong rule
(`Task.wrong_parts`: e.g. ModChain adds one too many at each step, MultiDigitAdd drops the
carry), a well-formed trace of the same question. Below prior 0.5 the wrong rule is the mode.

Label noise (the `label_noise` knob, separate). Every value slot of any trace (right or wrong
rule) is replaced, independently with probability `label_noise`, by a uniformly drawn other
token of the same kind (`Task.slot_alphabets`: a Countdown digit stays a digit, an operator an
operator). Fixed layout tokens (<think>, </think>, <eos>, separators) are never corrupted.

Self-corrections (the `revise_rate` knob, tasks with `revise=True`, `envs.revise`). A fraction
`revise_rate` of the traces (hash of the item) holds one self-correction: before one step slot
(uniform over the steps) the trace writes another token of the value alphabet (uniform over the
others), then `<wait>`, then the trace's own step, `... x <wait> s_j ...`. It is inserted after
the prior's rule and the label noise, so it corrects towards whatever rule the trace follows.
The loss covers every token of it, the slip included: the model learns to slip as often as the
corpus does, and what follows a slip.

Loss: cross-entropy on completion tokens only (with `revise`, not on the <pad> after <eos>).
Budget: `steps = pretrain_tokens // (B * (P + C))` (prompt plus completion tokens per sequence,
C the plain completion without the revisions' room, so revise on and off see the same items),
at least 1 when the budget is positive. Schedule:
AdamW (betas 0.9, 0.95, no weight decay), 10-step linear warm-up, cosine decay to 10%, per-seed
gradient clipping. A seed whose loss turns non-finite stops (its later grads are zeroed).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from envs import vocab
from envs.hashing import randint, uniform
from envs.revise import revise_trace
from envs.task import Task

from .sampling import CORRUPT, PRETRAIN, clip_and_mask, stream

PRIOR_SLOT, PICK_SLOT, VALUE_SLOT = 3_000_001, 3_100_000, 3_200_000
REVISE_SLOT, REVISE_STEP_SLOT, REVISE_VALUE_SLOT = 3_000_002, 3_000_003, 3_000_004


def check_revise_rate(task: Task, rate: float) -> float:
    """`revise_rate` in [0, 1], and 0 unless the task takes `revise=True`; one-line errors. The one
    validation of the knob: CellConfig calls it before any work, make_pretrain for direct callers."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        raise ValueError(f"revise_rate must be a number in [0.0, 1.0], got {rate!r}")
    if rate > 0 and not task.revise:
        raise ValueError(
            f"revise_rate={rate} needs revise=True (else <wait> is ill formed); set revise=True or revise_rate=0"
        )
    return float(rate)


def add_revisions(
    task: Task, item_seed: torch.Tensor, index: torch.Tensor, comps: torch.Tensor, rate: float
) -> torch.Tensor:
    """One self-correction in a fraction `rate` of completions (B, C) (items item_seed, index (B,)):
    a slip at a uniform step slot, `<wait>`, then the trace's own step token."""
    if rate == 0:
        return comps
    seed, dev = item_seed + CORRUPT * 2**30, comps.device
    values = torch.tensor(task.value_tokens, device=dev)  # (m,)
    rank = torch.zeros(vocab.D_VOCAB, dtype=torch.long, device=dev)
    rank[values] = torch.arange(len(values), device=dev)
    on = uniform(seed, index, REVISE_SLOT) < rate  # (B,)
    steps = torch.tensor(task.step_positions, device=dev)
    at = steps[randint(seed, index, REVISE_STEP_SLOT, len(steps))]  # (B,) completion position of the slip
    right = comps.gather(1, at[:, None]).squeeze(1)
    shift = 1 + randint(seed, index, REVISE_VALUE_SLOT, max(1, len(values) - 1))
    slip = values[(rank[right] + shift) % len(values)]  # (B,) another value token
    return revise_trace(comps, at, slip, on)


def _kind_tables(task: Task, device) -> tuple[torch.Tensor, ...]:
    """For the value slots of the completion: their positions (ns,), the kind of each token at
    each slot (ns, V) (-1: none), its rank in that kind (ns, V), the kinds' members (ns, K, M)
    and sizes (ns, K)."""
    alph = task.slot_alphabets()
    pos = [i for i, a in enumerate(alph) if a is not None]
    K = max((len(alph[i]) for i in pos), default=1)
    M = max((len(kind) for i in pos for kind in alph[i]), default=1)
    kind = torch.full((len(pos), vocab.D_VOCAB), -1, dtype=torch.long)
    rank = torch.zeros(len(pos), vocab.D_VOCAB, dtype=torch.long)
    members = torch.zeros(len(pos), K, M, dtype=torch.long)
    sizes = torch.ones(len(pos), K, dtype=torch.long)
    for j, i in enumerate(pos):
        for k, toks in enumerate(alph[i]):
            kind[j, list(toks)], rank[j, list(toks)] = k, torch.arange(len(toks))
            members[j, k, : len(toks)], sizes[j, k] = torch.tensor(toks), len(toks)
    return tuple(t.to(device) for t in (torch.tensor(pos, dtype=torch.long), kind, rank, members, sizes))


def corrupt(
    task: Task, item_seed: torch.Tensor, index: torch.Tensor, targets: torch.Tensor, rate: float
) -> torch.Tensor:
    """Label noise: each value slot of completions targets (B, C) becomes, with probability
    `rate`, another token of the same kind (uniform among the others). item_seed, index (B,)
    name each item (its randomness comes from their hash). Returns completions (B, C)."""
    if rate == 0:
        return targets
    cache = task.__dict__.setdefault("_kind_tables", {})
    if str(targets.device) not in cache:
        cache[str(targets.device)] = _kind_tables(task, targets.device)
    pos, kind, rank, members, sizes = cache[str(targets.device)]
    ns = pos.shape[0]
    seed = item_seed + CORRUPT * 2**30  # a randomness stream apart from the item's own
    j = torch.arange(ns, device=targets.device)
    pick = uniform(seed[:, None], index[:, None], PICK_SLOT + j[None]) < rate  # (B, ns)
    cur = targets[:, pos]  # (B, ns)
    k = kind[j[None], cur]  # (B, ns) the kind of the current token (-1: none)
    m = sizes[j[None], k.clamp(min=0)]  # (B, ns) tokens of that kind
    shift = 1 + randint(seed[:, None], index[:, None], VALUE_SLOT + j[None], (m - 1).clamp(min=1))
    other = members[j[None], k.clamp(min=0), (rank[j[None], cur] + shift) % m]  # (B, ns)
    out = targets.clone()
    out[:, pos] = torch.where(pick & (k >= 0), other, cur)
    return out


def corpus(
    task: Task, item_seed: torch.Tensor, index: torch.Tensor, prior: float, label_noise: float, revise_rate: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pretraining traces of items (item_seed, index) (B,): each follows the right rule with
    probability `prior`, else the task's wrong rule, then label noise, then a self-correction
    with probability `revise_rate`.
    Returns prompts (B, P), completions (B, C) and follows (B,) bool (the right rule)."""
    seed = item_seed + CORRUPT * 2**30
    follows = uniform(seed, index, PRIOR_SLOT) < prior  # (B,)
    prompts, targets = task.batch(item_seed, index, wrong=~follows)
    comps = corrupt(task, item_seed, index, targets, label_noise)
    return prompts, add_revisions(task, item_seed, index, comps, revise_rate), follows


def pretrain_data(
    task: Task, streams: torch.Tensor, step: int, batch: int, prior: float, label_noise: float, revise_rate: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Step `step`'s traces for the seeds' pretraining streams (S,): prompts (S, B, P) and
    completions (S, B, C), items step*B .. step*B+B-1 of each stream."""
    S, dev = streams.shape[0], streams.device
    idx = step * batch + torch.arange(batch, device=dev)  # (B,)
    item_seed = streams[:, None].expand(S, batch).reshape(-1)  # (S * B,)
    item_idx = idx[None].expand(S, batch).reshape(-1)
    prompts, comps, _ = corpus(task, item_seed, item_idx, prior, label_noise, revise_rate)
    return prompts.view(S, batch, -1), comps.view(S, batch, -1)


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
    per = batch * (task.prompt_len + task.canonical_len)
    return 0 if budget == 0 else max(1, budget // per)


def make_pretrain(
    task: Task,
    *,
    budget: int,
    batch: int,
    lr: float,
    prior: float,
    label_noise: float,
    max_grad_norm: float,
    revise_rate: float = 0.0,
):
    """`pretrain(model) -> per-seed final loss (S,)`: trains the seed-batched model in place.
    `pretrain.data(step, streams)` gives the traces it trains on at that step."""
    task = task.with_split("train")
    revise_rate = check_revise_rate(task, revise_rate)
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
            prompts, comps = pretrain_data(task, streams, i, batch, prior, label_noise, revise_rate)
            seqs = sequences(task, prompts, comps)  # (S, B, 1 + P + C)
            logits = completion_logits(model, seqs, P)  # (S, B, C, V)
            tgt = seqs[:, :, 1 + P :]  # (S, B, C)
            loss = F.cross_entropy(logits.flatten(0, 2), tgt.flatten(), reduction="none")
            if task.revise:  # not the <pad> of the revisions' room after <eos>
                keep = (tgt != vocab.PAD).float().view(S, -1)  # (S, B * C)
                loss = (loss.view(S, -1) * keep).sum(1) / keep.sum(1).clamp(min=1)
            else:
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
    pretrain.data = lambda step, streams: pretrain_data(task, streams, step, batch, prior, label_noise, revise_rate)
    return pretrain
