"""SparseParity: the parity of k hidden positions among n random bits.

    prompt      x_0 .. x_{n-1} =                              (bits, as the digits 0 and 1)
    completion  <think> p_1 .. p_k </think> p_k <eos>     p_j = x_{i_1} xor .. xor x_{i_j}

The subset i_1 < .. < i_k is the same for every item of a task instance: it is drawn from
`subset_seed` by the counter hash, never from the item, so it must be learned from data (the
classic (n, k)-sparse parity problem, whose sample complexity grows like n^k without the chain
of thought). The chain of thought is the running parity over the subset in index order, like
ModChain's running sums (its first token is the subset's first bit), and the answer restates
its last token, so the trace does all the work.

Wrong rule (the subset off by one position): the running parity over the shifted subset
{(i + 1) mod n_bits for i in the subset}, in index order. When k = n_bits every subset is the
whole string, so the wrong rule instead writes the complement of each running parity.
"""

from __future__ import annotations

import torch

from .. import splits, vocab
from ..hashing import randint, randperm
from ..registry import EnvDoc, register_task
from ..revise import REVISE_ARGS
from ..task import Instance, Task, check_int, product_space

_SUBSET_INDEX = 0x5B5E7  # hash index of the subset draw, apart from item indices


@register_task
class SparseParity(Task):
    name = "SparseParity"
    horizon_arg = "k"
    env_doc = EnvDoc(
        summary="The parity of k hidden bits among n, one token at a time, with a sparse reward at the end.",
        description="The prompt lists n random bits (the digit tokens 0 and 1) and '='. A fixed hidden subset "
        "of k positions (drawn from `subset_seed`, the same for every episode) decides the answer: the XOR of "
        "those bits. With the chain of thought on, the agent writes `<think>`, the running parities after "
        "each of the k subset bits (in index order), `</think>`, the parity of all k (the last running "
        "parity, restated) and `<eos>`. Chance level is 1/2.",
        correct="well formed (every slot the digit 0 or 1, fixed tokens in place) and its answer exact",
        dense_step="each correct running parity",
        hint="leading running parities",
        arguments={
            "n_bits": "1..64",
            "k": "horizon, 1..n_bits",
            "subset_seed": "which hidden subset, 0..2**31-1",
            **REVISE_ARGS,
        },
    )
    value_tokens = (vocab.DIGIT0, vocab.DIGIT0 + 1)

    def __init__(
        self,
        n_bits: int = 8,
        k: int = 3,
        subset_seed: int = 0,
        cot: bool = True,
        hint: int = 0,
        split: str = "all",
        revise: bool = False,
        max_revisions: int = 2,
    ):
        self.n_bits = check_int("n_bits", n_bits, 1, 64)
        self.k = check_int("k", k, 1, self.n_bits)
        self.subset_seed = check_int("subset_seed", subset_seed, 0, 2**31 - 1)
        #: the hidden positions, ascending
        self.subset = tuple(sorted(randperm(self.subset_seed, _SUBSET_INDEX, 0, self.n_bits)[: self.k]))
        #: the wrong rule's subset (each position shifted by one); complemented when it is the same
        self.wrong_subset = tuple(sorted((i + 1) % self.n_bits for i in self.subset))
        self._wrong_flip = int(self.wrong_subset == self.subset)
        super().__init__(cot=cot, hint=hint, split=split, revise=revise, max_revisions=max_revisions)

    def difficulty(self):
        return {"n_bits": self.n_bits, "k": self.k, "subset_seed": self.subset_seed}

    def question_len(self):
        return self.n_bits + 1

    def step_layout(self):
        return [None] * self.k

    def answer_layout(self):
        return [None]

    def chance(self):
        return 0.5

    def generate_parts(self, seed, index):
        x = [randint(seed, index, j, 2) for j in range(self.n_bits)]
        running, p = [], 0
        for i in self.subset:
            p ^= x[i]
            running.append(p)
        d = vocab.DIGIT0
        meta = {"bits": x, "subset": list(self.subset)}
        return [d + b for b in x] + [vocab.EQ], [d + b for b in running], [d + running[-1]], meta

    def batch_parts(self, seed, index):
        j = torch.arange(self.n_bits, device=seed.device)
        x = randint(seed[:, None], index[:, None], j[None, :], 2)  # (B, n_bits)
        sub = torch.tensor(self.subset, device=seed.device)
        running = torch.cumsum(x[:, sub], dim=1) % 2  # (B, k)
        eq = torch.full_like(x[:, :1], vocab.EQ)
        d = vocab.DIGIT0
        return torch.cat([x + d, eq], dim=1), running + d, running[:, -1:] + d

    def wrong_parts(self, question, steps, answer):
        running, p = [], self._wrong_flip
        for i in self.wrong_subset:
            p ^= question[i] - vocab.DIGIT0
            running.append(vocab.DIGIT0 + p)
        return running, [running[-1]]

    def wrong_batch_parts(self, question, steps, answer):
        sub = torch.tensor(self.wrong_subset, device=question.device)
        x = question[:, sub] - vocab.DIGIT0  # (B, k)
        running = (torch.cumsum(x, dim=1) + self._wrong_flip) % 2 + vocab.DIGIT0
        return running, running[:, -1:]

    def questions(self):
        if 2**self.n_bits > splits.QUESTION_LIMIT:
            return None
        bits = product_space([2] * self.n_bits) + vocab.DIGIT0  # (2^n, n)
        return torch.cat([bits, torch.full_like(bits[:, :1], vocab.EQ)], 1)

    def text_question(self, inst: Instance) -> str:
        bits = "".join(map(str, inst.metadata["bits"]))
        pos = ", ".join(map(str, self.subset))
        q = (
            f"Here is a string of {self.n_bits} bits (positions numbered from 0): {bits}. "
            f"What is the parity (XOR, 0 or 1) of the bits at positions {pos}?"
        )
        if self.cot:
            q += " Keep a running parity over those positions in order."
        return q
