"""MultiDigitAdd: add two n-digit numbers; the chain of thought is the carry of each column.

    prompt      a_1 .. a_n + b_1 .. b_n =                 (most significant digit first)
    completion  <think> c_1 .. c_n </think> s_0 .. s_n <eos>

c_i is the carry out of column i, counted from the least significant column (c_1 first); the
answer is the (n+1)-digit sum a + b, zero-padded, most significant digit first, or least
significant digit first with `reverse=True` (the order in which carries are computed, which is
known to make the task much easier to learn). The horizon is n_digits: the top digit of the sum
depends on every column through the carry chain.

Wrong rule (dropped carry): the carry is never propagated: every carry is written 0, each sum
digit is (a_i + b_i) mod 10 and the leading digit 0.
"""

from __future__ import annotations

import torch

from .. import splits, vocab
from ..hashing import randint
from ..registry import EnvDoc, register_task
from ..revise import REVISE_ARGS
from ..task import Instance, Task, check_int, product_space


@register_task
class MultiDigitAdd(Task):
    name = "MultiDigitAdd"
    horizon_arg = "n_digits"
    env_doc = EnvDoc(
        summary="Add two n-digit numbers token by token, with a sparse reward at the end.",
        description="The prompt is `a_1 .. a_n + b_1 .. b_n =` (digits, most significant first, leading zeros "
        "allowed). With the chain of thought on, the agent writes `<think>`, the n carries out of each column "
        "from the least significant one (digits 0/1), `</think>`, then the n+1 digits of the sum a + b "
        "(zero-padded; least significant first when `reverse=True`) and `<eos>`.",
        correct="well formed (every slot a digit, fixed tokens in place) and all n+1 answer digits are exact",
        dense_step="each correct carry",
        hint="leading carries",
        arguments={"n_digits": "horizon, 1..32", "reverse": "answer least significant digit first", **REVISE_ARGS},
    )

    def __init__(
        self,
        n_digits: int = 3,
        reverse: bool = False,
        cot: bool = True,
        hint: int = 0,
        split: str = "all",
        revise: bool = False,
        max_revisions: int = 2,
    ):
        self.n_digits = check_int("n_digits", n_digits, 1, 32)
        if not isinstance(reverse, bool):
            raise ValueError(f"reverse must be True or False, got {reverse!r}")
        self.reverse = reverse
        super().__init__(cot=cot, hint=hint, split=split, revise=revise, max_revisions=max_revisions)

    def difficulty(self):
        return {"n_digits": self.n_digits, "reverse": self.reverse}

    def question_len(self):
        return 2 * self.n_digits + 2

    def step_layout(self):
        return [None] * self.n_digits

    def answer_layout(self):
        return [None] * (self.n_digits + 1)

    def chance(self):
        """Uniform digits in the n+1 answer slots (the leading digit is 0 or 1, but a guesser
        that has learned nothing does not know that)."""
        return 10.0 ** -(self.n_digits + 1)

    def generate_parts(self, seed, index):
        n = self.n_digits
        a = [randint(seed, index, j, 10) for j in range(n)]  # most significant first
        b = [randint(seed, index, n + j, 10) for j in range(n)]
        carries, sums, c = [], [], 0
        for i in range(n):  # column i from the least significant
            t = a[n - 1 - i] + b[n - 1 - i] + c
            sums.append(t % 10)
            c = t // 10
            carries.append(c)
        lsb_first = [*sums, c]
        answer = lsb_first if self.reverse else lsb_first[::-1]
        d = vocab.DIGIT0
        question = [d + x for x in a] + [vocab.PLUS] + [d + x for x in b] + [vocab.EQ]
        meta = {"a": int("".join(map(str, a))), "b": int("".join(map(str, b)))}
        return question, [d + x for x in carries], [d + x for x in answer], meta

    def batch_parts(self, seed, index):
        n = self.n_digits
        j = torch.arange(2 * n, device=seed.device)
        ab = randint(seed[:, None], index[:, None], j[None, :], 10)  # (B, 2n)
        a, b = ab[:, :n], ab[:, n:]  # (B, n) each, most significant first
        col = (a + b).flip(1)  # (B, n) column sums without carry, least significant first
        carries, sums = torch.empty_like(col), torch.empty_like(col)
        c = torch.zeros_like(col[:, 0])
        for i in range(n):  # the carry chain: a loop over columns, not over items
            t = col[:, i] + c
            sums[:, i], c = t % 10, t // 10
            carries[:, i] = c
        lsb_first = torch.cat([sums, c[:, None]], dim=1)  # (B, n + 1)
        answer = lsb_first if self.reverse else lsb_first.flip(1)
        plus = torch.full_like(a[:, :1], vocab.PLUS)
        eq = torch.full_like(a[:, :1], vocab.EQ)
        d = vocab.DIGIT0
        return torch.cat([a + d, plus, b + d, eq], dim=1), carries + d, answer + d

    def wrong_parts(self, question, steps, answer):
        n, d = self.n_digits, vocab.DIGIT0
        a, b = question[:n], question[n + 1 : 2 * n + 1]
        lsb_first = [(a[n - 1 - i] + b[n - 1 - i] - 2 * d) % 10 for i in range(n)] + [0]
        ans = lsb_first if self.reverse else lsb_first[::-1]
        return [d] * n, [d + x for x in ans]

    def wrong_batch_parts(self, question, steps, answer):
        n, d = self.n_digits, vocab.DIGIT0
        col = (question[:, :n] + question[:, n + 1 : 2 * n + 1] - 2 * d).flip(1) % 10  # (B, n) lsb first
        lsb_first = torch.cat([col, torch.zeros_like(col[:, :1])], 1)  # (B, n + 1)
        ans = lsb_first if self.reverse else lsb_first.flip(1)
        return torch.full_like(steps, d), ans + d

    def questions(self):
        n = self.n_digits
        if 100**n > splits.QUESTION_LIMIT:
            return None
        ab = product_space([10] * (2 * n)) + vocab.DIGIT0  # (100^n, 2n)
        plus, eq = torch.full_like(ab[:, :1], vocab.PLUS), torch.full_like(ab[:, :1], vocab.EQ)
        return torch.cat([ab[:, :n], plus, ab[:, n:], eq], 1)

    # --- text for real LLMs ------------------------------------------------------------------
    def text_question(self, inst: Instance) -> str:
        n, a, b = self.n_digits, inst.metadata["a"], inst.metadata["b"]
        q = f"Compute {a:0{n}d} + {b:0{n}d}."
        if self.cot:
            q += " Work column by column from the right, keeping track of the carry."
        if self.reverse:
            q += (
                f" Write the sum as exactly {n + 1} digits (pad with leading zeros), in reverse"
                " order: least significant digit first."
            )
        return q

    def text_answer(self, inst: Instance) -> str:
        total = inst.metadata["a"] + inst.metadata["b"]
        return f"{total:0{self.n_digits + 1}d}"[::-1] if self.reverse else str(total)

    def score_text(self, inst: Instance, text: str):
        """The digits after 'Answer:' read as a number (reversed if `reverse`); padding optional."""
        ans = self.parse_answer(text)
        digits = "".join(ch for ch in (ans or "") if ch.isdigit())
        wf = ans is not None and digits != "" and len(digits) == len(ans.replace(" ", "").replace(",", ""))
        if self.reverse:
            digits = digits[::-1]
        correct = wf and int(digits) == inst.metadata["a"] + inst.metadata["b"]
        return {"correct": correct, "well_formed": wf, "answer": ans}
