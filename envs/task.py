"""The task protocol: a procedural problem family with its verifier, layout and text rendering.

A task instance is rebuilt from `(seed, index)` alone (reasoning-gym's `ProceduralDataset`), both
in plain Python (`generate`, the reference) and batched in torch (`batch`, the fast path used by
the vector env and by pretraining). Every completion has a fixed layout given the difficulty:

    [<think> step tokens ... </think>] answer tokens <eos>       (chain of thought on)
    answer tokens <eos>                                          (chain of thought off)

described by a template: `FIXED` positions must hold one given token, `SLOT` positions any token
from the task's value alphabet (`slot_alphabets` splits it by kind where a slot's kind matters).
The default verifier is exact match of the answer positions (`correct`), plus every step
position (`trace_correct`); tasks with several right answers (Countdown) override `verify` and
`verify_one`.

Content split (`split`, see `envs.splits`): "all" (default) uses every item; "train" and "eval"
keep only questions of that part of the item space, so training never sees a held-out question.

Wrong rule (`wrong`): each task also defines one consistent wrong rule, a second way to fill the
steps and answer of the same question (e.g. a dropped carry); pretraining's `prior` mixes it in.

Think-first flag (`think_flag=True`, any task; `with_think_flag`): every prompt ends with one more
token that says which format is asked for, `<think>` (write the trace: cot=True) or `</think>`
(write the answer alone: cot=False), so that one corpus can hold both formats and a model can
read which one a prompt asks for (`toymodels.pretrain` mixes them with `think_rate`).

Revisions (`revise=True`, tasks with single-token steps and the default verifier; `envs.revise`):
a `<wait>` inside <think> discards the step written just before it and the next token rewrites
it; the verifier judges the trace with every `<wait>` collapsed. `completion_len` grows by
2 * max_revisions; `layout`, `step_positions` and `answer_positions` stay those of the plain
(collapsed) trace, and targets are the plain canonical completion padded with <pad>.

A task of your own: examples/extending/README.md explains this protocol method by method beside a
worked example (examples/extending/my_lab.py), and `envs.check_task(task)` checks that the plain and
batched halves agree.
"""

from __future__ import annotations

import copy
import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch

from . import revise as _revise
from . import splits, vocab


@dataclass(frozen=True)
class Instance:
    """One task item. `prompt` excludes <bos>; `target` is the canonical completion with <eos>
    (with `revise`, then <pad> up to completion_len)."""

    seed: int
    index: int
    prompt: tuple[int, ...]
    target: tuple[int, ...]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    """Verifier output for a batch of completions (all tensors share the batch dim B)."""

    correct: torch.Tensor  # (B,) bool: the answer is right (and the completion well formed)
    trace_correct: torch.Tensor  # (B,) bool: every intermediate step and the answer are right
    well_formed: torch.Tensor  # (B,) bool: the layout is respected
    step_correct: torch.Tensor  # (B, n_steps) bool: each intermediate step token is right


def check_int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    """Validate an integer argument; the error names it and its allowed range."""
    allowed = f"an integer in [{lo}, {hi}]" if hi is not None else f"an integer >= {lo}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return value


TASK_OPTIONS = ("think_flag",)
"""Arguments every task takes besides its constructor's (applied after construction, `build_task`)."""


def check_task_kwargs(task_cls: type[Task], kwargs: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    """Unknown keyword arguments of a task: one line naming the first and listing the allowed ones."""
    extra = (*TASK_OPTIONS, *extra)
    args = [a for a in inspect.signature(task_cls.__init__).parameters if a != "self"]
    unknown = sorted(set(kwargs) - set(args) - set(extra))
    if unknown:
        raise ValueError(
            f"unknown argument {unknown[0]!r} for {task_cls.name}; allowed: {', '.join(args + list(extra))}"
        )


def build_task(task_cls: type[Task], kwargs: dict[str, Any]) -> Task:
    """`task_cls(**kwargs)` with the TASK_OPTIONS applied (think_flag); errors name the argument."""
    kwargs = dict(kwargs)
    flag = kwargs.pop("think_flag", False)
    check_task_kwargs(task_cls, kwargs)
    task = task_cls(**kwargs)
    return task.with_think_flag(flag) if flag is not False else task


def product_space(sizes: list[int]) -> torch.Tensor:
    """Every tuple (x_1 .. x_m) with 0 <= x_j < sizes[j], first coordinate slowest: (prod, m)."""
    n = 1
    for k in sizes:
        n *= k
    i, cols = torch.arange(n), []
    for k in reversed(sizes):
        cols.append(i % k)
        i = i // k
    return torch.stack(cols[::-1], 1) if cols else torch.zeros(1, 0, dtype=torch.long)


class Task(ABC):
    """Base class. Subclasses set `name`, `value_tokens` and implement the abstract methods."""

    name: ClassVar[str]
    #: the keyword argument that sets the task's horizon (number of composed steps), e.g. "L"
    horizon_arg: ClassVar[str]
    #: an `envs.EnvDoc`: the task-specific text of its env's docstring (None: from the class docstring)
    env_doc: ClassVar[Any] = None
    #: the tokens that may appear in SLOT positions of a well-formed completion
    value_tokens: ClassVar[tuple[int, ...]] = tuple(range(vocab.DIGIT0, vocab.DIGIT0 + 10))
    #: `<wait>` revisions allowed (`envs.revise`); a task offers them by taking `revise` and
    #: `max_revisions` in its constructor and passing them on here
    revise: bool = False
    max_revisions: int = 2
    #: prompts end with a flag token asking for the trace (<think>) or the answer alone (</think>)
    think_flag: bool = False

    def __init__(
        self, cot: bool = True, hint: int = 0, split: str = "all", revise: bool = False, max_revisions: int = 2
    ):
        if not isinstance(cot, bool):
            raise ValueError(f"cot must be True or False, got {cot!r}")
        self.cot = cot
        self.hint = check_int("hint", hint, 0, len(self.step_layout()))
        self.split = splits.check_split(split)
        self.max_revisions = check_int("max_revisions", max_revisions, 1, 64)
        self.revise = _revise.check_revise(self, revise, Task)

    def __repr__(self) -> str:
        args = {**self.difficulty(), "cot": self.cot, "hint": self.hint, "split": self.split}
        if self.revise:
            args |= {"revise": True, "max_revisions": self.max_revisions}
        if self.think_flag:
            args |= {"think_flag": True}
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"

    def with_think_flag(self, on: bool = True) -> Task:
        """The same task whose prompts end with the think-first flag (`<think>` with cot, else
        `</think>`), or without it (on=False)."""
        if not isinstance(on, bool):
            raise ValueError(f"think_flag must be True or False, got {on!r}")
        other = copy.copy(self)
        other.think_flag = on
        return other

    @property
    def flag_token(self) -> int:
        """The think-first flag of this task's prompts: <think> asks for the trace, </think> not."""
        return vocab.THINK if self.cot else vocab.END_THINK

    def with_split(self, split: str) -> Task:
        """The same task drawing its items from another part of the item space."""
        other = copy.copy(self)
        other.split = splits.check_split(split)
        return other

    # --- what a subclass defines -------------------------------------------------------------
    @abstractmethod
    def difficulty(self) -> dict[str, Any]:
        """The difficulty parameters, e.g. {"L": 5, "p": 10}."""

    @abstractmethod
    def question_len(self) -> int:
        """Number of prompt tokens before any hint (excluding <bos>, including the final '=')."""

    @abstractmethod
    def step_layout(self) -> list[int | None]:
        """Chain-of-thought tokens between <think> and </think>: a token id or None for a value slot."""

    @abstractmethod
    def answer_layout(self) -> list[int | None]:
        """Answer tokens before <eos>: a token id or None for a value slot."""

    @abstractmethod
    def generate_parts(self, seed: int, index: int) -> tuple[list[int], list[int], list[int], dict]:
        """Reference generator: (question tokens, step tokens, answer tokens, metadata)."""

    @abstractmethod
    def batch_parts(self, seed: torch.Tensor, index: torch.Tensor):
        """Batched generator on `seed.device`: (question (B, Q), steps (B, S), answer (B, A))."""

    @abstractmethod
    def wrong_parts(self, question: list[int], steps: list[int], answer: list[int]) -> tuple[list[int], list[int]]:
        """The wrong rule (reference): (steps, answer) of the same question, well formed, wrong."""

    @abstractmethod
    def wrong_batch_parts(self, question: torch.Tensor, steps: torch.Tensor, answer: torch.Tensor):
        """Batched `wrong_parts`: (B, Q), (B, S), (B, A) right parts -> wrong (B, S), (B, A)."""

    def questions(self) -> torch.Tensor | None:
        """Every distinct question (N, Q) when there are at most splits.QUESTION_LIMIT, else None."""
        return None

    @abstractmethod
    def chance(self) -> float:
        """Probability that a uniform guess over well-formed answers is correct."""

    @abstractmethod
    def text_question(self, inst: Instance) -> str:
        """The problem in plain English for a real LLM (no answer)."""

    # --- derived layout ----------------------------------------------------------------------
    def layout(self) -> list[int | None]:
        """The full completion template (token id, or None for a value slot), ending in <eos>."""
        cot = [vocab.THINK, *self.step_layout(), vocab.END_THINK] if self.cot else []
        return [*cot, *self.answer_layout(), vocab.EOS]

    @property
    def prompt_len(self) -> int:
        """Prompt tokens after <bos>: the question, then `<hint>` and `hint` step tokens if any, then
        the think-first flag if any."""
        return self.question_len() + (1 + self.hint if self.hint else 0) + (1 if self.think_flag else 0)

    @property
    def canonical_len(self) -> int:
        """Tokens of the plain completion (the layout), <eos> included."""
        return len(self.layout())

    @property
    def completion_len(self) -> int:
        """Most tokens a completion may have: the layout, plus 2 per allowed revision (`revise`)."""
        return len(self.layout()) + (2 * self.max_revisions if self.revise else 0)

    @property
    def min_ctx(self) -> int:
        """Smallest n_ctx that holds <bos>, the prompt and a full completion."""
        return 1 + self.prompt_len + self.completion_len

    @property
    def step_positions(self) -> list[int]:
        """Completion positions of the intermediate step tokens (value slots inside <think>)."""
        if not self.cot:
            return []
        return [1 + i for i, t in enumerate(self.step_layout()) if t is None]

    @property
    def answer_positions(self) -> list[int]:
        off = len(self.step_layout()) + 2 if self.cot else 0
        return [off + i for i, t in enumerate(self.answer_layout()) if t is None]

    @property
    def n_steps(self) -> int:
        return len(self.step_positions)

    @property
    def format_positions(self) -> list[int]:
        """Completion positions the layout fixes to a format token (`vocab.FORMAT_TOKENS`): with a
        trace <think>, its separators, </think>; then the answer's separators and <eos> (cot off:
        only those). The revisions' room (`revise`) is in neither class."""
        return [i for i, t in enumerate(self.layout()) if t is not None]

    @property
    def content_positions(self) -> list[int]:
        """Completion positions of value slots (content tokens: step values, answer digits or
        operators; Countdown's scratch too), the complement of `format_positions` in the layout."""
        return [i for i, t in enumerate(self.layout()) if t is None]

    def slot_alphabets(self) -> list[tuple[tuple[int, ...], ...] | None]:
        """Per completion position: None for a fixed token, else the kinds of token the value slot
        holds, each a tuple of token ids (default: one kind, `value_tokens`). Corrupting a slot
        keeps the kind of the token it replaces (Countdown: a digit stays a digit)."""
        return [None if t is not None else (tuple(self.value_tokens),) for t in self.layout()]

    # --- generation --------------------------------------------------------------------------
    def generate(self, seed: int, index: int, wrong: bool = False) -> Instance:
        """Item `index` of the stream `seed`, rebuilt from these two numbers alone (reference);
        `wrong`: its steps and answer follow the task's wrong rule."""
        seed, index = int(seed), int(index)
        if self.split == "all":
            question, steps, answer, meta = self.generate_parts(seed, index)
        else:
            R = splits.CANDIDATES[self.split]
            for raw in range(index * R, index * R + R):
                question, steps, answer, meta = self.generate_parts(seed, raw)
                if splits.in_part(question, self.split):
                    meta = {**meta, "raw_index": raw}
                    break
            else:
                raise splits.empty_part(self, self.split, seed, index)
        if wrong:
            steps, answer = self.wrong_parts(question, steps, answer)
            meta = {**meta, "rule": "wrong"}
        hint = [vocab.HINT, *steps[: self.hint]] if self.hint else []
        flag = [self.flag_token] if self.think_flag else []
        cot = [vocab.THINK, *steps, vocab.END_THINK] if self.cot else []
        meta = {**meta, **self.difficulty(), "task": self.name, "cot": self.cot, "hint": self.hint}
        room = [vocab.PAD] * (self.completion_len - self.canonical_len)  # revisions' room (revise)
        return Instance(int(seed), int(index), (*question, *hint, *flag), (*cot, *answer, vocab.EOS, *room), meta)

    def batch(
        self, seed: torch.Tensor, index: torch.Tensor, wrong: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Batched `generate`: prompts (B, prompt_len) and targets (B, completion_len), int64 (the
        plain completion, then <pad> in the revisions' room); `wrong` (B,) bool: rows whose steps
        and answer follow the wrong rule."""
        seed, index = torch.broadcast_tensors(seed.long(), index.long())
        question, steps, answer = self._split_parts(seed, index)
        if wrong is not None:
            w_steps, w_answer = self.wrong_batch_parts(question, steps, answer)
            steps = torch.where(wrong[:, None], w_steps, steps)
            answer = torch.where(wrong[:, None], w_answer, answer)
        B, dev = seed.shape[0], seed.device

        def const(tok: int) -> torch.Tensor:
            return torch.full((B, 1), tok, dtype=torch.long, device=dev)

        hint = [const(vocab.HINT), steps[:, : self.hint]] if self.hint else []
        flag = [const(self.flag_token)] if self.think_flag else []
        cot = [const(vocab.THINK), steps, const(vocab.END_THINK)] if self.cot else []
        prompts = torch.cat([question, *hint, *flag], dim=1)  # (B, P)
        room = [const(vocab.PAD).expand(B, 2 * self.max_revisions)] if self.revise else []
        targets = torch.cat([*cot, answer, const(vocab.EOS), *room], dim=1)  # (B, C)
        return prompts, targets

    def _split_parts(self, seed: torch.Tensor, index: torch.Tensor):
        """`batch_parts` of each item's first candidate inside the split; only the rows still
        rejected are regenerated."""
        if self.split == "all":
            return self.batch_parts(seed, index)
        R = splits.CANDIDATES[self.split]
        raw = index * R
        question, steps, answer = self.batch_parts(seed, raw)
        todo = (~splits.in_part(question, self.split)).nonzero().squeeze(1)  # (T,) rows rejected so far
        for r in range(1, R):
            if not todo.numel():
                break
            q, s, a = self.batch_parts(seed[todo], raw[todo] + r)
            ok = splits.in_part(q, self.split)
            rows = todo[ok]
            question[rows], steps[rows], answer[rows] = q[ok], s[ok], a[ok]
            todo = todo[~ok]
        if todo.numel():
            raise splits.empty_part(self, self.split, int(seed[todo[0]]), int(index[todo[0]]))
        return question, steps, answer

    # --- verification ------------------------------------------------------------------------
    def _layout_tensors(self, device) -> tuple[torch.Tensor, torch.Tensor]:
        lay = self.layout()
        fixed = torch.tensor([-1 if t is None else t for t in lay], device=device)  # (C,)
        return fixed, torch.tensor(self.value_tokens, device=device)

    def well_formed(self, completions: torch.Tensor) -> torch.Tensor:
        """(B, C) -> (B,) bool: fixed tokens in place and value slots hold value tokens (with
        `revise`: every `<wait>` legal, and so is the collapsed trace)."""
        if self.revise:
            canon, legal = self.collapse(completions)
            return legal & self._layout_ok(canon)
        return self._layout_ok(completions)

    def _layout_ok(self, completions: torch.Tensor) -> torch.Tensor:
        """(B, C) -> (B,) bool: the first canonical_len tokens follow the layout, the rest are <pad>."""
        fixed, values = self._layout_tensors(completions.device)
        C0 = fixed.shape[0]
        head = completions[:, :C0]  # (B, C0)
        is_slot = fixed < 0  # (C0,)
        ok_fixed = (head == fixed) | is_slot
        ok_slot = torch.isin(head, values) | ~is_slot
        ok = (ok_fixed & ok_slot).all(dim=1)
        if completions.shape[1] > C0:
            ok &= (completions[:, C0:] == vocab.PAD).all(dim=1)
        return ok

    def collapse(self, completions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """With `revise`: (B, C) -> the final traces (B, C) (every `<wait>` collapsed with the step
        before it) and (B,) bool, every `<wait>` legal (`envs.revise`)."""
        values = torch.tensor(self.value_tokens, device=completions.device)
        return _revise.collapse(completions, values, self.max_revisions)[:2]

    def verify(self, prompts: torch.Tensor, completions: torch.Tensor, targets: torch.Tensor) -> Verdict:
        """Batched verifier. completions (B, C) padded with <pad>; targets (B, C) canonical.

        `step_correct` is causal: step j depends only on completion tokens up to its position,
        so verifying a partly written completion gives the right value for steps already written.
        With `revise`, the completion is first collapsed (`collapse`) and everything, step_correct
        included, is judged on the final trace (not causal in the raw positions: a later `<wait>`
        can discard a step); a completion with a refused `<wait>` has no step right.
        """
        legal = None
        if self.revise:
            completions, legal = self.collapse(completions)
            wf = legal & self._layout_ok(completions)
        else:
            wf = self.well_formed(completions)
        sp, ap = self.step_positions, self.answer_positions
        step_ok = completions[:, sp] == targets[:, sp]  # (B, n_steps)
        if legal is not None:
            step_ok &= legal[:, None]
        correct = wf & (completions[:, ap] == targets[:, ap]).all(dim=1)
        return Verdict(correct, correct & step_ok.all(dim=1), wf, step_ok)

    def verify_one(self, inst: Instance, completion: list[int]) -> dict[str, Any]:
        """Reference verifier for one completion (plain Python): the slow twin of `verify`."""
        lay, C0, raw = self.layout(), self.canonical_len, list(completion)
        canon = _revise.collapse_one(raw, self.value_tokens, self.max_revisions) if self.revise else raw
        fits = len(raw) <= self.completion_len and canon is not None
        canon = canon or []
        comp = canon[:C0] + [vocab.PAD] * max(0, C0 - len(canon))
        wf = (
            fits
            and all(t == vocab.PAD for t in canon[C0:])
            and all((c in self.value_tokens) if t is None else c == t for c, t in zip(comp, lay, strict=True))
        )
        steps = [comp[i] == inst.target[i] for i in self.step_positions]
        correct = wf and all(comp[i] == inst.target[i] for i in self.answer_positions)
        return {"correct": correct, "trace_correct": correct and all(steps), "well_formed": wf, "step_correct": steps}

    # --- text for real LLMs ------------------------------------------------------------------
    def text_answer(self, inst: Instance) -> str:
        """The canonical final answer as text (what follows 'Answer:')."""
        ans = [inst.target[i] for i in self.answer_positions]
        return " ".join(vocab.TOKENS[t] for t in ans)

    def text_prompt(self, inst: Instance, cot: bool | None = None) -> str:
        """Question plus output instructions, for a real LLM."""
        cot = self.cot if cot is None else cot
        how = "Think step by step, then" if cot else "Do not explain;"
        return f"{self.text_question(inst)}\n{how} write the final answer on one line as 'Answer: ...'.\n"

    def text_completion(self, inst: Instance) -> str:
        """A worked solution in text (for few-shot examples)."""
        steps = [vocab.TOKENS[inst.target[i]] for i in self.step_positions]
        work = f"Steps: {' '.join(steps)}\n" if steps and self.cot else ""
        return f"{work}Answer: {self.text_answer(inst)}"

    def parse_answer(self, text: str) -> str | None:
        """The answer string after the last 'Answer:' in `text`, normalised, or None."""
        idx = text.rfind("Answer:")
        if idx < 0:
            return None
        line = text[idx + len("Answer:") :].strip().splitlines()
        if not line:
            return None
        toks = [ch for ch in line[0] if not ch.isspace()]
        return " ".join(toks) if toks else None

    def score_text(self, inst: Instance, text: str) -> dict[str, Any]:
        """Judge a real LLM's text completion: correct / well_formed (trace not judged)."""
        ans = self.parse_answer(text)
        want = self.text_answer(inst)
        wf = ans is not None and len(ans.split()) == len(want.split())
        return {"correct": ans == want, "well_formed": wf, "answer": ans}
