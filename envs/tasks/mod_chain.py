"""ModChain: add L digits modulo p; the chain of thought is the running partial sums.

    prompt      a_1 a_2 ... a_L =
    completion  <think> s_1 ... s_L </think> s_L <eos>      s_i = (a_1 + ... + a_i) mod p

Every running sum, the last one included, is worked out inside <think> by the same step
(previous sum + next term), and the answer restates the last one: the trace does all the work,
so the answer is right by composition exactly when the L steps are (or by luck). The horizon L
is the number of composed steps, which makes ModChain the reference task for p = q^L (H4).

Wrong rule (off by one): every step adds one too many, s_i = (s_{i-1} + a_i + 1) mod p, so the
i-th running sum is off by i (mod p): wrong at every step for i < p, and so is the answer.
"""

from __future__ import annotations

import torch

from .. import splits, vocab
from ..hashing import randint
from ..registry import EnvDoc, register_task
from ..revise import REVISE_ARGS
from ..task import Instance, Task, check_int, product_space


@register_task
class ModChain(Task):
    name = "ModChain"
    horizon_arg = "L"
    env_doc = EnvDoc(
        summary="Sum L digits modulo p, one token at a time, with a sparse reward at the end.",
        description="The prompt lists L digits a_1..a_L in [0, p) followed by '='. The agent writes the "
        "completion token by token: with the chain of thought on, `<think>`, the L running sums "
        "(a_1 + ... + a_i) mod p, `</think>`, the answer (a_1 + ... + a_L) mod p and `<eos>`.",
        correct="well formed and its answer exact",
        dense_step="each correct running sum",
        hint="leading running sums",
        arguments={"L": "horizon, 1..64", "p": "modulus, 2..10", **REVISE_ARGS},
    )

    def __init__(
        self,
        L: int = 5,
        p: int = 10,
        cot: bool = True,
        hint: int = 0,
        split: str = "all",
        revise: bool = False,
        max_revisions: int = 2,
    ):
        self.L = check_int("L", L, 1, 64)
        self.p = check_int("p", p, 2, 10)
        self.value_tokens = tuple(vocab.DIGIT0 + d for d in range(self.p))
        super().__init__(cot=cot, hint=hint, split=split, revise=revise, max_revisions=max_revisions)

    def difficulty(self):
        return {"L": self.L, "p": self.p}

    def question_len(self):
        return self.L + 1

    def step_layout(self):
        return [None] * self.L

    def answer_layout(self):
        return [None]

    def chance(self):
        return 1.0 / self.p

    def generate_parts(self, seed, index):
        a = [randint(seed, index, j, self.p) for j in range(self.L)]
        s, total = [], 0
        for x in a:
            total = (total + x) % self.p
            s.append(total)
        d = vocab.DIGIT0
        return [d + x for x in a] + [vocab.EQ], [d + x for x in s], [d + s[-1]], {"terms": a}

    def batch_parts(self, seed, index):
        j = torch.arange(self.L, device=seed.device)
        a = randint(seed[:, None], index[:, None], j[None, :], self.p)  # (B, L)
        s = torch.cumsum(a, dim=1) % self.p  # (B, L)
        eq = torch.full_like(a[:, :1], vocab.EQ)
        return torch.cat([a + vocab.DIGIT0, eq], 1), s + vocab.DIGIT0, s[:, -1:] + vocab.DIGIT0

    def wrong_parts(self, question, steps, answer):
        s, total = [], 0
        for t in question[: self.L]:
            total = (total + t - vocab.DIGIT0 + 1) % self.p
            s.append(vocab.DIGIT0 + total)
        return s, [s[-1]]

    def wrong_batch_parts(self, question, steps, answer):
        a = question[:, : self.L] - vocab.DIGIT0  # (B, L)
        s = (torch.cumsum(a + 1, dim=1) % self.p) + vocab.DIGIT0  # (B, L)
        return s, s[:, -1:]

    def questions(self):
        if self.p**self.L > splits.QUESTION_LIMIT:
            return None
        terms = product_space([self.p] * self.L) + vocab.DIGIT0  # (p^L, L)
        return torch.cat([terms, torch.full_like(terms[:, :1], vocab.EQ)], 1)

    def text_question(self, inst: Instance) -> str:
        terms = inst.metadata["terms"]
        return (
            f"Compute ({' + '.join(map(str, terms))}) mod {self.p}. Keep a running sum modulo {self.p} after each term."
        )
