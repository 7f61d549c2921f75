"""PermutationCompose: compose L permutations of {0..n-1}; the chain of thought is the running
composition (a state-tracking task: the group S_n is not solvable for n >= 5).

    prompt      pi_1 | pi_2 | .. | pi_L =                     (each pi_j in one-line notation)
    completion  <think> s_1 | .. | s_L </think> s_L <eos>

One-line notation writes a permutation p as p(0) p(1) .. p(n-1). The composition applies pi_1
first: s_j = pi_j o s_{j-1}, i.e. s_j(x) = pi_j(s_{j-1}(x)), s_1 = pi_1, and the answer is
s_L(x) = pi_L(..pi_2(pi_1(x))..). A well-formed answer is itself a permutation (n distinct
digits below n), so a uniform guess among well-formed answers is right with probability 1/n!.
As in ModChain, every running composition, the last included, is written inside <think> and the
answer restates the last one: the trace does all the work.

Wrong rule (composition in the wrong order): s_j = s_{j-1} o pi_j, i.e. s_j(x) = s_{j-1}(pi_j(x)),
applying pi_j first; s_1 = pi_1 is still right, later steps are wrong unless the two commute.
"""

from __future__ import annotations

import itertools
import math

import torch

from .. import splits, vocab
from ..hashing import randperm
from ..registry import EnvDoc, register_task
from ..task import Instance, Task, check_int, product_space


@register_task
class PermutationCompose(Task):
    name = "PermutationCompose"
    horizon_arg = "L"
    env_doc = EnvDoc(
        summary="Compose L permutations of {0..n-1} token by token, with a sparse reward at the end.",
        description="The prompt lists L random permutations pi_1..pi_L of {0..n-1} in one-line notation (n "
        "digits each), separated by '|' and followed by '='. With the chain of thought on, the agent writes "
        "`<think>`, the running compositions s_1..s_L separated by '|' (s_j applies pi_1 first, then .. pi_j: "
        "s_j(x) = pi_j(s_{j-1}(x))), `</think>`, the full composition s_L restated as n digits and `<eos>`. "
        "Chance level is 1/n!.",
        correct="well formed (fixed tokens in place, every slot a digit below n, the answer a permutation) "
        "and the answer is the composition",
        dense_step="each correct digit of a running composition",
        hint="leading chain-of-thought tokens, separators included,",
        arguments={"L": "horizon, 1..32", "n": "2..10"},
    )

    def __init__(self, L: int = 3, n: int = 4, cot: bool = True, hint: int = 0, split: str = "all"):
        self.L = check_int("L", L, 1, 32)
        self.n = check_int("n", n, 2, 10)
        self.value_tokens = tuple(vocab.DIGIT0 + d for d in range(self.n))
        super().__init__(cot=cot, hint=hint, split=split)

    def difficulty(self):
        return {"L": self.L, "n": self.n}

    def question_len(self):
        return self.L * (self.n + 1)

    def step_layout(self):
        out: list[int | None] = []
        for j in range(self.L):
            out += ([vocab.BAR] if j else []) + [None] * self.n
        return out

    def answer_layout(self):
        return [None] * self.n

    def chance(self):
        return 1.0 / math.factorial(self.n)

    # --- generation --------------------------------------------------------------------------
    def generate_parts(self, seed, index):
        n = self.n
        perms = [randperm(seed, index, j * n, n) for j in range(self.L)]
        running, s = [], list(range(n))
        for p in perms:
            s = [p[s[x]] for x in range(n)]
            running.append(s)
        d = vocab.DIGIT0

        def joined(perm_list):  # one-line notations separated by '|'
            out = []
            for j, p in enumerate(perm_list):
                out += ([vocab.BAR] if j else []) + [d + v for v in p]
            return out

        answer = [d + v for v in running[-1]]
        return [*joined(perms), vocab.EQ], joined(running), answer, {"perms": perms}

    def batch_parts(self, seed, index):
        n, B = self.n, seed.shape[0]
        bar = torch.full((B, 1), vocab.BAR, dtype=torch.long, device=seed.device)
        s = torch.arange(n, device=seed.device).expand(B, n)  # (B, n) the identity
        question, steps = [], []
        for j in range(self.L):  # a loop over the L permutations, not over items
            p = randperm(seed, index, j * n, n)  # (B, n)
            s = p.gather(1, s)  # s_j(x) = p(s_{j-1}(x))
            question += ([bar] if j else []) + [p + vocab.DIGIT0]
            steps += ([bar] if j else []) + [s + vocab.DIGIT0]
        question.append(torch.full((B, 1), vocab.EQ, dtype=torch.long, device=seed.device))
        steps_t = torch.cat(steps, dim=1)  # (B, S)
        return torch.cat(question, dim=1), steps_t, s + vocab.DIGIT0

    def wrong_parts(self, question, steps, answer):
        n, d, out = self.n, vocab.DIGIT0, []
        s = list(range(n))
        for j in range(self.L):
            p = [t - d for t in question[j * (n + 1) : j * (n + 1) + n]]
            s = [s[p[x]] for x in range(n)]  # s_j(x) = s_{j-1}(p(x))
            out += ([vocab.BAR] if j else []) + [d + v for v in s]
        return out, [d + v for v in s]

    def wrong_batch_parts(self, question, steps, answer):
        n, B, d = self.n, question.shape[0], vocab.DIGIT0
        bar = torch.full((B, 1), vocab.BAR, dtype=torch.long, device=question.device)
        s = torch.arange(n, device=question.device).expand(B, n)  # (B, n) the identity
        out = []
        for j in range(self.L):  # a loop over the L permutations, not over items
            p = question[:, j * (n + 1) : j * (n + 1) + n] - d  # (B, n)
            s = s.gather(1, p)  # s_j(x) = s_{j-1}(p(x))
            out += ([bar] if j else []) + [s + d]
        return torch.cat(out, 1), s + d

    def questions(self):
        n, L = self.n, self.L
        if math.factorial(n) ** L > splits.QUESTION_LIMIT:
            return None
        perms = torch.tensor(list(itertools.permutations(range(n)))) + vocab.DIGIT0  # (n!, n)
        pick = product_space([perms.shape[0]] * L)  # (n!^L, L)
        bar = torch.full((pick.shape[0], 1), vocab.BAR, dtype=torch.long)
        parts = []
        for j in range(L):
            parts += ([bar] if j else []) + [perms[pick[:, j]]]
        return torch.cat([*parts, torch.full_like(bar, vocab.EQ)], 1)

    # --- verification: the answer must be a permutation to be well formed --------------------
    def well_formed(self, completions: torch.Tensor) -> torch.Tensor:
        ans = completions[:, self.answer_positions] - vocab.DIGIT0  # (B, n)
        ident = torch.arange(self.n, device=completions.device)
        return super().well_formed(completions) & (ans.sort(dim=1).values == ident).all(dim=1)

    def verify_one(self, inst: Instance, completion: list[int]):
        out = super().verify_one(inst, completion)
        C = self.completion_len
        comp = list(completion)[:C] + [vocab.PAD] * max(0, C - len(completion))
        ans = sorted(comp[i] - vocab.DIGIT0 for i in self.answer_positions)
        out["well_formed"] = out["well_formed"] and ans == list(range(self.n))
        return out  # correct implies a permutation already (it equals the target)

    # --- text for real LLMs ------------------------------------------------------------------
    def text_question(self, inst: Instance) -> str:
        perms = inst.metadata["perms"]
        listed = "; ".join(f"p{j + 1} = {' '.join(map(str, p))}" for j, p in enumerate(perms))
        order = (
            (f"applies p1 first, then p2, and so on up to p{self.L}: s(x) = p{self.L}(...p2(p1(x))...)")
            if self.L > 1
            else "is p1 itself"
        )
        q = (
            f"Permutations of 0..{self.n - 1} are written in one-line notation: p(0) p(1) ... "
            f"p({self.n - 1}). {listed}. Let s be the permutation that {order}. "
            "Write s in one-line notation."
        )
        if self.cot:
            q += " Keep the running composition after each permutation."
        return q

    def score_text(self, inst: Instance, text: str):
        """The digits after 'Answer:' (any separators) against the composed permutation."""
        ans = self.parse_answer(text)
        got = [int(ch) for ch in (ans or "") if ch.isdigit()]
        want = [t - vocab.DIGIT0 for t in (inst.target[i] for i in self.answer_positions)]
        wf = sorted(got) == list(range(self.n))
        return {"correct": got == want, "well_formed": wf, "answer": ans}
