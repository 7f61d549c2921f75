"""The item space split by content: a question is held out for evaluation or free for training.

A counter-based hash of the question tokens (the prompt without any hint) puts each distinct
question in the held-out "eval" part with probability 1/EVAL_SHARE, else in "train". The
decision depends on the question alone, never on the stream or index that produced it, so a
held-out question never appears in training data, whichever stream or horizon that data uses.

A task built with `split="train"` (or "eval") rebuilds item i of stream `seed` as the first
of the candidates `i * R + r`, r = 0 .. R - 1, whose question lies in that part (R =
CANDIDATES[split]); it raises a one-line ValueError when none does (an item space with no
question in that part). Evaluation takes the first n distinct held-out questions of its stream
(`heldout`), and `check_heldout` refuses, before any work, a task whose item space holds fewer.
"""

from __future__ import annotations

import torch

from .hashing import M32, _mix

SPLITS = ("all", "train", "eval")
EVAL_SHARE = 8  # one question in EVAL_SHARE is held out
CANDIDATES = {"train": 16, "eval": 256}  # candidate raw indices per item: (1/8)**16, (7/8)**256 to miss
QUESTION_LIMIT = 1 << 16  # item spaces up to this many questions are counted exactly
_SALT = 0x51EC7  # hash start value, apart from every item hash


def check_split(split) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    return split


def question_hash(question):
    """32-bit hash of a question: a list of token ids (an int) or (B, Q) int64 tensor ((B,))."""
    if isinstance(question, torch.Tensor):
        h = torch.full(question.shape[:1], _SALT, dtype=torch.long, device=question.device)
        for j in range(question.shape[1]):  # a loop over token positions, not over questions
            h = _mix(h ^ (question[:, j] & M32))
        return h
    h = _SALT
    for t in question:
        h = _mix(h ^ (int(t) & M32))
    return h


def is_heldout(question):
    """True where the question belongs to the held-out "eval" part (bool, or (B,) bool tensor)."""
    return question_hash(question) % EVAL_SHARE == 0


def in_part(question, split: str):
    """Whether the question lies in `split` ("all" holds everything)."""
    if split == "all":
        return (
            torch.ones(question.shape[0], dtype=torch.bool, device=question.device)
            if isinstance(question, torch.Tensor)
            else True
        )
    held = is_heldout(question)
    return held if split == "eval" else ~held if isinstance(held, torch.Tensor) else not held


def describe(task) -> str:
    """'ModChain L=2 p=10': the task and its difficulty, for error messages."""
    return " ".join([task.name, *(f"{k}={v}" for k, v in task.difficulty().items())])


def empty_part(task, split: str, seed, index) -> ValueError:
    R = CANDIDATES[split]
    return ValueError(
        f"no question of the {split!r} part among the {R} candidates of item {index} of stream "
        f"{seed} for {describe(task)}: its item space is too small for split={split!r}"
    )


# --- the held-out set ----------------------------------------------------------------------------
_COUNTS: dict[tuple, tuple[int | None, int | None]] = {}  # (name, difficulty) -> (held out, questions)


def _count(task) -> tuple[int | None, int | None]:
    key = (task.name, tuple(sorted(task.difficulty().items())))
    if key not in _COUNTS:
        qs = task.questions()
        _COUNTS[key] = (None, None) if qs is None else (int(is_heldout(qs).sum()), int(qs.shape[0]))
    return _COUNTS[key]


def count_heldout(task) -> int | None:
    """Distinct held-out questions of the task's item space, counted exactly when the space has at
    most QUESTION_LIMIT questions; None when it is larger (then about 1/EVAL_SHARE of it)."""
    return _count(task)[0]


def max_heldout() -> int:
    """The most held-out prompts asked of an item space too large to count (1/16 of the limit)."""
    return QUESTION_LIMIT // (2 * EVAL_SHARE)


def check_heldout(task, n: int) -> None:
    """One-line ValueError unless the task's item space holds n distinct held-out questions."""
    have, total = _count(task)
    if have is None and n > max_heldout():
        raise ValueError(
            f"eval_prompts must be at most {max_heldout()} for {describe(task)} (more than "
            f"{QUESTION_LIMIT} questions, held out ones not counted exactly), got {n}"
        )
    if have is not None and n > have:
        raise ValueError(
            f"eval_prompts={n} needs {n} distinct held-out prompts but {describe(task)} has "
            f"{total} questions, only {have} distinct held-out (1 in {EVAL_SHARE}); lower "
            f"eval_prompts or use a larger item space"
        )


def heldout(task, n: int, seed: int, device="cpu", chunk: int = 4096, max_scan: int = 1 << 22):
    """The first n distinct held-out questions of stream `seed` (raw indices scanned in order):
    prompts (n, prompt_len) and targets (n, completion_len) of a task with split "all"."""
    task = task.with_split("all")
    Q, found, rows_p, rows_t = task.question_len(), set(), [], []
    start = 0
    while len(found) < n:
        if start >= max_scan:
            raise ValueError(
                f"only {len(found)} distinct held-out prompts of {describe(task)} in the first "
                f"{max_scan} items of stream {seed}; eval_prompts={n} is too many"
            )
        idx = torch.arange(start, start + chunk, device=device)
        prompts, targets = task.batch(torch.full_like(idx, seed), idx)  # (chunk, P), (chunk, C)
        rows = is_heldout(prompts[:, :Q]).nonzero().squeeze(1).tolist()
        for r, q in zip(rows, prompts[rows, :Q].tolist(), strict=True):
            if len(found) < n and tuple(q) not in found:
                found.add(tuple(q))
                rows_p.append(prompts[r])
                rows_t.append(targets[r])
        start += chunk
    return torch.stack(rows_p), torch.stack(rows_t)
