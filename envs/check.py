"""`check_task`: a task's plain and batched halves agree, item by item.

Pretraining and the vector env use `batch` (`batch_parts`) and `verify`; the single env, the text
rendering and the tests' references use `generate` (`generate_parts`) and `verify_one`. A task whose
halves differ trains a model on one problem and judges it on another, silently. `check_task` compares
them on a few hundred items and raises one line naming the first difference:

    import envs
    envs.check_task(envs.make_task("ModChain", L=5))
    envs.check_task(MyTask(n=3))      # a task of your own (examples/extending/README.md)
"""

from __future__ import annotations

import torch

from . import splits, vocab
from .task import Task


def _fail(task: Task, what: str) -> None:
    raise ValueError(f"{task!r}: {what}")


def _check_items(task: Task, seed: int, index: torch.Tensor, wrong: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """batch against generate on the items (seed, index); returns the batched prompts and targets."""
    seeds = torch.full_like(index, seed)
    flags = torch.full(index.shape, wrong, dtype=torch.bool)
    prompts, targets = task.batch(seeds, index, wrong=flags)  # (B, P), (B, C)
    rule = "wrong rule (wrong_parts / wrong_batch_parts)" if wrong else "batch_parts and generate_parts"
    for b, i in enumerate(index.tolist()):
        inst = task.generate(seed, i, wrong=wrong)
        for name, got, want in (("prompt", prompts[b], inst.prompt), ("completion", targets[b], inst.target)):
            if got.tolist() != list(want):
                where = f"seed {seed}, index {i}"
                _fail(task, f"{rule} differ at {where}: {name} {got.tolist()} batched, {list(want)} plain")
    bad = (~task.well_formed(targets)).nonzero()
    if bad.numel():
        b = int(bad[0])
        _fail(
            task,
            f"the {'wrong-rule' if wrong else 'canonical'} completion of seed {seed}, index {int(index[b])} does not "
            f"follow the layout (step_layout / answer_layout, value_tokens): {vocab.decode(targets[b].tolist())}",
        )
    return prompts, targets


def _check_verifiers(task: Task, seed: int, index: torch.Tensor, prompts, completions, targets) -> None:
    """verify (batched) against verify_one (plain) on the same completions."""
    v = task.verify(prompts, completions, targets)
    for b, i in enumerate(index.tolist()):
        one = task.verify_one(task.generate(seed, i), completions[b].tolist())
        for key in ("correct", "trace_correct", "well_formed"):
            if bool(getattr(v, key)[b]) != bool(one[key]):
                _fail(
                    task,
                    f"verify and verify_one disagree on {key} at seed {seed}, index {i} for the completion "
                    f"{vocab.decode(completions[b].tolist())}: {bool(getattr(v, key)[b])} batched, {one[key]} plain",
                )


def _check_questions(task: Task, prompts: torch.Tensor) -> None:
    qs = task.questions()
    if qs is None:
        return
    Q = task.question_len()
    if qs.ndim != 2 or qs.shape[1] != Q or qs.shape[0] > splits.QUESTION_LIMIT:
        _fail(task, f"questions() must be (N, {Q}) with N <= {splits.QUESTION_LIMIT} (or None), got {tuple(qs.shape)}")
    if torch.unique(qs, dim=0).shape[0] != qs.shape[0]:
        _fail(task, "questions() repeats a question: it must list every distinct question once")
    known = {tuple(q) for q in qs.tolist()}
    for p in prompts[:, :Q].tolist():
        if tuple(p) not in known:
            _fail(task, f"generated question {vocab.decode(p)} is not among questions()")


def _check_token_classes(task: Task) -> None:
    """The layout fixes format tokens only and the value slots hold no format token (`vocab`'s token
    classes): what C5's format and content probabilities (`toymodels.evaluate`) assume."""
    fixed = sorted({t for t in task.layout() if t is not None} - set(vocab.FORMAT_TOKENS))
    if fixed:
        _fail(task, f"the layout fixes {vocab.decode(fixed)}, not a format token ({vocab.decode(vocab.FORMAT_TOKENS)})")
    both = sorted(set(task.value_tokens) & set(vocab.FORMAT_TOKENS))
    if both:
        _fail(task, f"value_tokens include the format tokens {vocab.decode(both)}")


def check_task(task: Task, n: int = 128, seeds: tuple[int, ...] = (0, 7)) -> None:
    """Raise ValueError (one line) unless, on items 0..n-1 of each seed: `batch` equals `generate`
    (canonical and wrong rule), every completion follows the layout, `verify` equals `verify_one` on
    the right, the wrong-rule and corrupted completions, the wrong rule is wrong somewhere, `chance()`
    is a probability, `questions()` (when not None) holds every generated question once and the
    layout's fixed tokens are format tokens, its value tokens not (`vocab.FORMAT_TOKENS`)."""
    if not isinstance(task, Task):
        raise ValueError(f"check_task takes a Task instance, got {task!r}")
    if not 0 < task.chance() <= 1:
        _fail(task, f"chance() must be in (0, 1], got {task.chance()!r}")
    _check_token_classes(task)
    index = torch.arange(n)
    for seed in seeds:
        prompts, targets = _check_items(task, seed, index, wrong=False)
        _, wrong = _check_items(task, seed, index, wrong=True)
        gen = torch.Generator().manual_seed(seed)
        corrupt = targets.clone()
        pos = torch.randint(0, task.canonical_len, (n,), generator=gen)  # one token per row
        corrupt[index, pos] = torch.randint(0, vocab.D_VOCAB, (n,), generator=gen)
        for completions in (targets, wrong, corrupt):
            _check_verifiers(task, seed, index, prompts, completions, targets)
        if not task.verify(prompts, targets, targets).trace_correct.all():
            _fail(task, f"a canonical completion of seed {seed} is not judged fully correct by verify")
        if task.verify(prompts, wrong, targets).trace_correct.all():
            _fail(task, f"the wrong rule gives fully correct traces on all {n} items of seed {seed}")
        _check_questions(task, prompts)
