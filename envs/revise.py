"""Self-correction inside the chain of thought: the `<wait>` token of a task with `revise=True`.

A `<wait>` discards the step token written just before it; the token after it rewrites that
step. The verifier judges the *final* trace, the completion with every `<wait>` collapsed with
the step before it (the *canonical* frame: the task's plain layout):

    raw        <think> 3 7 <wait> 8 1 </think> 1 <eos>
    collapsed  <think> 3 8 1 </think> 1 <eos>              (the 7 is discarded, 8 rewrites it)

Rules (a completion that breaks one is ill formed, so its reward is 0 or the format bonus):
- a `<wait>` must directly follow a step token: a value token after `<think>` and before any
  `</think>`. So `<wait>` as the first completion token or right after `<think>` (no step to
  discard) is refused, and so are two `<wait>` in a row and a `<wait>` in the answer region;
- at most `max_revisions` of them; the completion length grows by 2 * max_revisions tokens
  (a `<wait>` and its rewrite each) so that every allowed revision fits;
- the collapsed trace must be the task's plain layout, <eos> included, then only <pad>.

Only tasks whose steps are single value tokens and that keep the default exact-match verifier
offer `revise` (ModChain, MultiDigitAdd, SparseParity). A revision is free: the reward stays
the sparse verdict at the end, nothing is paid or charged per `<wait>`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from . import vocab

#: the env docstring's lines for the two arguments of a task that offers revisions
REVISE_ARGS = {
    "revise": "`<wait>` discards the step before it, to rewrite it (envs.revise)",
    "max_revisions": "most `<wait>` per completion with revise, 1..64; each adds 2 tokens of room",
}


def check_revise(task, revise, base: type) -> bool:
    """Validate a task's `revise` argument (`base`: envs.Task); one-line errors."""
    if not isinstance(revise, bool):
        raise ValueError(f"revise must be True or False, got {revise!r}")
    if revise and not task.cot:
        raise ValueError("revise=True needs cot=True (a <wait> discards a chain-of-thought step)")
    kind = type(task)
    if revise and (
        kind.verify is not base.verify
        or kind.well_formed is not base.well_formed
        or any(t is not None for t in task.step_layout())
    ):
        raise ValueError(
            f"{task.name} cannot take revise=True: revisions need single-token steps and the default verifier"
        )
    return revise


def collapse(
    completions: torch.Tensor, value_tokens: torch.Tensor, max_revisions: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batched collapse of completions (B, C) padded with <pad>.

    Returns the collapsed completions (B, C) (left-packed, <pad> after), `legal` (B,) bool (every
    `<wait>` follows the rules above) and `revision` (B, C) bool (the `<wait>` positions that
    are legal revisions)."""
    B, C = completions.shape
    dev = completions.device
    is_wait = completions == vocab.WAIT  # (B, C)
    prev = F.pad(completions[:, :-1], (1, 0), value=vocab.PAD)  # (B, C) the token before each
    is_end = completions == vocab.END_THINK
    closed = (is_end.long().cumsum(1) - is_end.long()) > 0  # (B, C) a </think> strictly before
    pos = torch.arange(C, device=dev)
    revision = is_wait & torch.isin(prev, value_tokens) & ~closed & (pos >= 2)
    legal = (is_wait == revision).all(1) & (is_wait.sum(1) <= max_revisions)
    discarded = F.pad(is_wait[:, 1:], (0, 1), value=False)  # (B, C) followed by a <wait>
    keep = ~is_wait & ~discarded
    dest = torch.where(keep, keep.long().cumsum(1) - 1, C)  # (B, C) column C: a scratch column
    out = torch.full((B, C + 1), vocab.PAD, dtype=completions.dtype, device=dev)
    out.scatter_(1, dest, completions)
    return out[:, :C], legal, revision


def collapse_one(completion: Sequence[int], value_tokens: Sequence[int], max_revisions: int) -> list[int] | None:
    """Reference collapse of one completion (plain Python): the final trace, or None when a
    `<wait>` breaks the rules."""
    out: list[int] = []
    closed, n = False, 0
    for i, t in enumerate(completion):
        if t == vocab.WAIT:
            if i < 2 or completion[i - 1] not in value_tokens or closed or n == max_revisions:
                return None
            out.pop()
            n += 1
        else:
            out.append(t)
            closed |= t == vocab.END_THINK
    return out


def revision_counts(
    completions: torch.Tensor, targets: torch.Tensor, value_tokens: torch.Tensor, max_revisions: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per completion (B, C): revisions (B,) and fixes (B,), long.

    Revisions are the legal `<wait>` tokens of completions whose every `<wait>` is legal (in a
    completion with a refused `<wait>` nothing counts). A revision *fixes* its step when the
    discarded token was wrong and the rewrite is right, both judged against the canonical target
    (B, C) at the step slot they were written for."""
    _, legal, revision = collapse(completions, value_tokens, max_revisions)
    revision = revision & legal[:, None]
    C = completions.shape[1]
    pos = torch.arange(C, device=completions.device)
    before = (completions == vocab.WAIT).long().cumsum(1) - 1  # (B, C) <wait>s strictly before each
    slot = (pos - 1 - 2 * before).clamp(0, C - 1)  # (B, C) canonical slot of the discarded step
    want = targets.gather(1, slot)
    old = F.pad(completions[:, :-1], (1, 0), value=vocab.PAD)  # the discarded token
    new = F.pad(completions[:, 1:], (0, 1), value=vocab.PAD)  # its rewrite
    fixed = revision & (old != want) & (new == want)
    return revision.sum(1), fixed.sum(1)


def revise_trace(targets: torch.Tensor, at: torch.Tensor, wrong: torch.Tensor, on: torch.Tensor) -> torch.Tensor:
    """Insert one self-correction into canonical completions (B, C) padded with <pad>: in rows
    where `on` (B,), the token `wrong` (B,) and a `<wait>` go just before position `at` (B,), so
    the trace reads `... wrong <wait> right ...`. The tail shifts by two (into the <pad> room)."""
    B, C = targets.shape
    pos = torch.arange(C, device=targets.device)[None]  # (1, C)
    a = at[:, None]
    src = torch.where(pos < a, pos, pos - 2).clamp(min=0)  # (B, C)
    out = targets.gather(1, src)
    out = torch.where(pos == a, wrong[:, None], out)
    out = torch.where(pos == a + 1, vocab.WAIT, out)
    return torch.where(on[:, None], out, targets)
