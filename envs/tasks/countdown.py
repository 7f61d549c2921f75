"""Countdown (TinyZero's task, single-digit numbers): reach a target with every number once.

    prompt      a_1 .. a_n | t_1 .. t_W =                    (the target in W digits)
    completion  <think> e_1 .. e_{2n-1} | r_1 , .. , r_{n-1} </think> e_1 .. e_{2n-1} <eos>

The answer e_1 .. e_{2n-1} is an RPN (postfix) expression over the n numbers and + - * /;
many answers can be right, so the verifier evaluates it (exact rationals) instead of comparing
with the canonical one: correct = well formed, every number used exactly once (as a multiset),
no division by zero, value exactly the target. Intermediate values may be negative or
fractional in an answer.

Chain of thought (a scratchpad with a fixed layout): the expression once more, '|', then the
value produced by each of its n-1 operators in order, each in W digits. Step tokens are these
(n-1)·W result digits; step j is right when the value of the scratch expression's operator so
far is a non-negative integer below 10**W and the digit matches, so it depends only on earlier
tokens (causal). trace_correct = correct, every step right, and the scratch expression equal to
the answer.

Generation (targets always solvable): numbers uniform in 1..max_number; a random RPN expression
is built token by token: the numbers are pushed in a random order, an operator is forced when
all numbers are pushed, a push when fewer than two values are on the stack, otherwise a fair
coin decides; each operator is uniform among those keeping intermediates non-negative integers
(+ and * always, - when a >= b, / when b > 0 divides a). Its value is the target, written in W
digits, W = the digits of the largest value any expression over n copies of max_number reaches.

Chance level: the probability that a uniformly random expression (uniform leaf order, RPN shape
and operators: n!·Catalan(n-1)·4**(n-1) equally likely) hits the target, averaged over 64 items
of a fixed stream (16 for n_numbers = 5), counted exactly (rpn.count_hits) once per process.

Wrong rule (always add, ignoring the target): the canonical expression with every operator
replaced by '+', its scratchpad the running sums. Well formed (each number once, values in W
digits) and internally consistent, but right only when the numbers happen to sum to the target.
Slot kinds (`slot_alphabets`): expression slots hold a digit or an operator, result slots digits.
"""

from __future__ import annotations

import itertools
import math

import torch

from .. import splits, vocab
from ..hashing import randint, randperm
from ..registry import EnvDoc, register_task
from ..task import Instance, Task, Verdict, check_int
from . import rpn

_CHANCE: dict[tuple[int, int], float] = {}  # (n_numbers, max_number) -> chance level
_CHANCE_STREAM = 0xC0DE  # the item stream sampled for the chance level


def max_value(n: int, m: int) -> int:
    """The largest value of any expression over n copies of m (only + and * can grow one)."""
    best = [0, m]
    for k in range(2, n + 1):
        best.append(max(max(best[i] + best[k - i], best[i] * best[k - i]) for i in range(1, k)))
    return best[n]


@register_task
class Countdown(Task):
    name = "Countdown"
    horizon_arg = "n_numbers"
    env_doc = EnvDoc(
        summary="Reach a target from n single-digit numbers with + - * /, written as an RPN expression.",
        description="The prompt lists n numbers in 1..max_number (digit tokens), '|', the target in W digits "
        "and '='. The agent writes an RPN (postfix) expression of 2n-1 tokens that uses every number exactly "
        "once; several answers can be right, and the verifier evaluates the expression with exact rationals. "
        "With the chain of thought on, the completion starts with a scratchpad: `<think>`, the expression, "
        "'|', the value of each of its n-1 operators in W digits separated by ',', `</think>`; then the "
        "answer expression and `<eos>`.",
        correct="well formed (fixed tokens in place, expression slots digits or operators, result slots "
        "digits, the answer a valid RPN expression) and correct (each number used once, no division by zero, "
        "value exactly the target)",
        dense_step="each correct result digit of the scratchpad (right for the scratch expression written so far)",
        hint="leading scratchpad tokens (the first ones are the canonical expression)",
        arguments={"n_numbers": "horizon, 2..5", "max_number": "2..9"},
        notes="Every target is reachable (it is the value of a random expression over the numbers).",
    )
    value_tokens = (*range(vocab.DIGIT0, vocab.DIGIT0 + 10), *vocab.OPERATORS)

    def __init__(self, n_numbers: int = 3, max_number: int = 9, cot: bool = True, hint: int = 0, split: str = "all"):
        self.n_numbers = check_int("n_numbers", n_numbers, 2, 5)
        self.max_number = check_int("max_number", max_number, 2, 9)
        self.width = len(str(max_value(self.n_numbers, self.max_number)))
        super().__init__(cot=cot, hint=hint, split=split)
        key = (self.n_numbers, self.max_number)
        if key not in _CHANCE:
            _CHANCE[key] = self._estimate_chance(64 if self.n_numbers < 5 else 16)

    def difficulty(self):
        return {"n_numbers": self.n_numbers, "max_number": self.max_number}

    # --- layout ------------------------------------------------------------------------------
    def question_len(self):
        return self.n_numbers + self.width + 2

    def step_layout(self):
        results: list[int | None] = []
        for k in range(self.n_numbers - 1):
            results += ([vocab.COMMA] if k else []) + [None] * self.width
        return [None] * (2 * self.n_numbers - 1) + [vocab.BAR] + results

    def answer_layout(self):
        return [None] * (2 * self.n_numbers - 1)

    @property
    def step_positions(self) -> list[int]:
        """The result digits of the scratchpad (not its expression tokens)."""
        if not self.cot:
            return []
        start = 1 + 2 * self.n_numbers  # after <think>, the expression and '|'
        W = self.width
        return [start + k * (W + 1) + j for k in range(self.n_numbers - 1) for j in range(W)]

    def _scratch_positions(self) -> list[int]:
        return list(range(1, 2 * self.n_numbers)) if self.cot else []

    def slot_alphabets(self):
        digits, ops = tuple(range(vocab.DIGIT0, vocab.DIGIT0 + 10)), tuple(vocab.OPERATORS)
        out: list = [None] * self.completion_len
        for i in self._scratch_positions() + self.answer_positions:
            out[i] = (digits, ops)
        for i in self.step_positions:
            out[i] = (digits,)
        return out

    def chance(self):
        return _CHANCE[(self.n_numbers, self.max_number)]

    # --- generation --------------------------------------------------------------------------
    def generate_parts(self, seed, index):
        n, W, d = self.n_numbers, self.width, vocab.DIGIT0
        nums = [randint(seed, index, j, self.max_number) + 1 for j in range(n)]
        order = randperm(seed, index, n, n)
        stack, expr, inter, used = [], [], [], 0
        for t in range(2 * n - 1):
            if len(stack) < 2 or (used < n and randint(seed, index, 2 * n + t, 2) == 0):
                stack.append(nums[order[used]])
                expr.append(d + stack[-1])
                used += 1
                continue
            b, a = stack.pop(), stack.pop()
            ok = [True, a >= b, True, b > 0 and a % b == 0]
            op = [i for i in range(4) if ok[i]][randint(seed, index, 4 * n + t, sum(ok))]
            stack.append((a + b, a - b, a * b, a // max(b, 1))[op])
            inter.append(stack[-1])
            expr.append(vocab.OPERATORS[op])
        target = stack[0]
        question = [d + x for x in nums] + [vocab.BAR] + vocab.digits(target, W) + [vocab.EQ]
        results = []
        for k, v in enumerate(inter):
            results += ([vocab.COMMA] if k else []) + vocab.digits(v, W)
        meta = {"numbers": nums, "target": target, "expression": rpn.to_infix(expr)}
        return question, [*expr, vocab.BAR, *results], expr, meta

    def batch_parts(self, seed, index):
        n, W, B, dev = self.n_numbers, self.width, seed.shape[0], seed.device
        j = torch.arange(n, device=dev)
        nums = randint(seed[:, None], index[:, None], j[None, :], self.max_number) + 1  # (B, n)
        pushed = nums.gather(1, randperm(seed, index, n, n))  # (B, n) in push order
        stack = torch.zeros(B, n + 1, dtype=torch.long, device=dev)  # last column: scratch
        depth, used, n_ops = (torch.zeros(B, dtype=torch.long, device=dev) for _ in range(3))
        expr = torch.zeros(B, 2 * n - 1, dtype=torch.long, device=dev)
        inter = torch.zeros(B, n, dtype=torch.long, device=dev)  # last column: scratch
        rows, ops = torch.arange(B, device=dev), torch.tensor(vocab.OPERATORS, device=dev)
        for t in range(2 * n - 1):  # a loop over positions, not over items
            coin = randint(seed, index, 2 * n + t, 2) == 0
            push = (depth < 2) | ((used < n) & coin)
            v = pushed[rows, used.clamp(max=n - 1)]
            a, b = stack[rows, (depth - 2).clamp(min=0)], stack[rows, (depth - 1).clamp(min=0)]
            one = torch.ones_like(push)
            ok = torch.stack([one, a >= b, one, (b > 0) & (a % b.clamp(min=1) == 0)], 1)  # (B, 4)
            r = randint(seed, index, 4 * n + t, ok.sum(1))
            op = ((ok.cumsum(1) == (r + 1)[:, None]) & ok).long().argmax(1)  # the r-th allowed op
            res = torch.stack([a + b, a - b, a * b, a // b.clamp(min=1)], 1)[rows, op]
            stack[rows, torch.where(push, depth, depth - 2)] = torch.where(push, v, res)
            inter[rows, torch.where(push, n - 1, n_ops)] = res
            expr[:, t] = torch.where(push, v + vocab.DIGIT0, ops[op])
            depth = torch.where(push, depth + 1, depth - 1)
            used, n_ops = used + push.long(), n_ops + (~push).long()
        pow10 = 10 ** torch.arange(W - 1, -1, -1, device=dev)  # (W,)
        tdig = stack[:, :1] // pow10 % 10 + vocab.DIGIT0  # (B, W)
        rdig = inter[:, : n - 1, None] // pow10 % 10 + vocab.DIGIT0  # (B, n - 1, W)
        comma = torch.full((B, n - 1, 1), vocab.COMMA, dtype=torch.long, device=dev)
        results = torch.cat([comma, rdig], 2).reshape(B, -1)[:, 1:]  # (B, (n - 1) * (W + 1) - 1)
        bar = torch.full((B, 1), vocab.BAR, dtype=torch.long, device=dev)
        eq = torch.full((B, 1), vocab.EQ, dtype=torch.long, device=dev)
        question = torch.cat([nums + vocab.DIGIT0, bar, tdig, eq], 1)
        return question, torch.cat([expr, bar, results], 1), expr

    def _results(self, values: list[int]) -> list[int]:
        """The scratchpad's result tokens: each value in W digits, separated by ','."""
        out: list[int] = []
        for k, v in enumerate(values):
            out += ([vocab.COMMA] if k else []) + vocab.digits(v, self.width)
        return out

    def wrong_parts(self, question, steps, answer):
        expr = [vocab.PLUS if t >= vocab.PLUS else t for t in answer]
        sums = [int(v) for v in rpn.eval_rpn(expr)["steps"]]
        return [*expr, vocab.BAR, *self._results(sums)], expr

    def wrong_batch_parts(self, question, steps, answer):
        n, W, B, dev = self.n_numbers, self.width, answer.shape[0], answer.device
        expr = torch.where(answer >= vocab.PLUS, vocab.PLUS, answer)  # (B, 2n - 1)
        sums = rpn.eval_rpn_batched(expr, n - 1)[4]  # (B, n - 1) running sums (denominators 1)
        pow10 = 10 ** torch.arange(W - 1, -1, -1, device=dev)  # (W,)
        rdig = sums[:, :, None] // pow10 % 10 + vocab.DIGIT0  # (B, n - 1, W)
        comma = torch.full((B, n - 1, 1), vocab.COMMA, dtype=torch.long, device=dev)
        results = torch.cat([comma, rdig], 2).reshape(B, -1)[:, 1:]  # (B, (n - 1) * (W + 1) - 1)
        bar = torch.full((B, 1), vocab.BAR, dtype=torch.long, device=dev)
        return torch.cat([expr, bar, results], 1), expr

    def questions(self):
        """(numbers in draw order, a target the generator can reach): counted when at most 1000
        number tuples (reachable targets enumerated per multiset); None otherwise."""
        n, m, d = self.n_numbers, self.max_number, vocab.DIGIT0
        if m**n > 1000:
            return None
        rows = []
        for nums in itertools.product(range(1, m + 1), repeat=n):
            head = [d + x for x in nums] + [vocab.BAR]
            for t in sorted(rpn.reachable(tuple(sorted(nums)))):
                rows.append([*head, *vocab.digits(t, self.width), vocab.EQ])
        return torch.tensor(rows) if len(rows) <= splits.QUESTION_LIMIT else None

    # --- verification: evaluate the expression ------------------------------------------------
    def verify(self, prompts, completions, targets):
        n, W, B, dev = self.n_numbers, self.width, completions.shape[0], completions.device
        c = completions
        kind, fixed = self._slot_kinds(dev)
        is_d = (c >= vocab.DIGIT0) & (c <= vocab.DIGIT0 + 9)
        is_e = is_d | ((c >= vocab.PLUS) & (c <= vocab.DIV))
        ok = torch.where(kind == 0, c == fixed, torch.where(kind == 1, is_e, is_d)).all(dim=1)
        answer = c[:, self.answer_positions]  # (B, 2n - 1)
        scratch = c[:, self._scratch_positions()] if self.cot else answer[:0]  # (B or 0, 2n - 1)
        # the answer and the scratch expression through one stack machine
        valid, num, den, counts, s_num, s_den = rpn.eval_rpn_batched(torch.cat([answer, scratch]), n - 1)
        wf = ok & valid[:B]
        given = torch.nn.functional.one_hot(prompts[:, :n] - vocab.DIGIT0, 10).sum(1)  # (B, 10)
        pow10 = 10 ** torch.arange(W - 1, -1, -1, device=dev)  # (W,)
        target = ((prompts[:, n + 1 : n + 1 + W] - vocab.DIGIT0) * pow10).sum(1)  # (B,)
        hit = (den[:B] != 0) & (num[:B] == target * den[:B])
        correct = wf & (counts[:B] == given).all(dim=1) & hit
        if not self.cot:
            return Verdict(correct, correct, wf, torch.zeros(B, 0, dtype=torch.bool, device=dev))
        s_num, s_den = s_num[B:], s_den[B:]  # (B, n - 1): the scratch expression's operators
        safe = torch.where(s_den == 0, 1, s_den)
        q = torch.div(s_num, safe, rounding_mode="floor")
        rep = (s_den != 0) & (s_num % safe == 0) & (q >= 0) & (q < 10**W)  # (B, n - 1)
        want = q[:, :, None].clamp(min=0) // pow10 % 10 + vocab.DIGIT0  # (B, n - 1, W)
        step_ok = (rep[:, :, None] & (c[:, self.step_positions].view(B, n - 1, W) == want)).reshape(B, -1)
        same = (scratch == answer).all(dim=1)
        return Verdict(correct, correct & step_ok.all(dim=1) & same, wf, step_ok)

    def _slot_kinds(self, dev) -> tuple[torch.Tensor, torch.Tensor]:
        """(C,) kind of each completion position (0 fixed token, 1 digit or operator, 2 digit)
        and (C,) its fixed token (-1 for slots), cached per device."""
        cache = self.__dict__.setdefault("_kinds_cache", {})
        if str(dev) not in cache:
            kind = torch.tensor([0 if t is not None else 1 for t in self.layout()], device=dev)
            kind[self.step_positions] = 2
            cache[str(dev)] = (kind, self._layout_tensors(dev)[0])
        return cache[str(dev)]

    def verify_one(self, inst: Instance, completion: list[int]):
        n, W, C, d = self.n_numbers, self.width, self.completion_len, vocab.DIGIT0
        comp = list(completion)[:C] + [vocab.PAD] * max(0, C - len(completion))
        steps = set(self.step_positions)
        expr_tokens = set(self.value_tokens)

        def slot_ok(i, c, t):
            return c == t if t is not None else (d <= c <= d + 9 if i in steps else c in expr_tokens)

        lay = self.layout()
        ok = len(completion) <= C and all(slot_ok(i, comp[i], lay[i]) for i in range(C))
        ans = rpn.eval_rpn([comp[i] for i in self.answer_positions])
        wf = ok and ans["valid"]
        correct = (
            wf and sorted(ans["digits"]) == sorted(inst.metadata["numbers"]) and ans["value"] == inst.metadata["target"]
        )
        scratch = [comp[i] for i in self._scratch_positions()]
        values = rpn.eval_rpn(scratch)["steps"] if self.cot else []
        step_ok = []
        for k in range(n - 1 if self.cot else 0):
            v = values[k] if k < len(values) else None
            rep = v is not None and v.denominator == 1 and 0 <= v < 10**W
            want = vocab.digits(int(v), W) if rep else [None] * W
            pos = self.step_positions[k * W : (k + 1) * W]
            step_ok += [rep and comp[p] == w for p, w in zip(pos, want, strict=True)]
        same = not self.cot or scratch == [comp[i] for i in self.answer_positions]
        return {
            "correct": correct,
            "trace_correct": correct and all(step_ok) and same,
            "well_formed": wf,
            "step_correct": step_ok,
        }

    def _estimate_chance(self, n_items: int) -> float:
        n = self.n_numbers
        catalan = math.comb(2 * n - 2, n - 1) // n  # RPN shapes of n leaves
        total = math.factorial(n) * catalan * 4 ** (n - 1)
        hits = 0
        for i in range(n_items):
            meta = self.generate_parts(_CHANCE_STREAM, i)[3]
            hits += rpn.count_hits(tuple(meta["numbers"]), meta["target"])
        return hits / (total * n_items)

    # --- text for real LLMs ------------------------------------------------------------------
    def text_question(self, inst: Instance) -> str:
        nums, t = inst.metadata["numbers"], inst.metadata["target"]
        return (
            f"Using each of the numbers {', '.join(map(str, nums))} exactly once, and the "
            f"operations +, -, *, / with parentheses as needed, write an expression equal to {t}."
        )

    def text_answer(self, inst: Instance) -> str:
        return inst.metadata["expression"]

    def text_completion(self, inst: Instance) -> str:
        work = ""
        if self.cot:
            expr = [inst.target[i] for i in self.answer_positions]
            work = f"Steps: {', '.join(rpn.worked_steps(expr))}\n"
        return f"{work}Answer: {self.text_answer(inst)}"

    def score_text(self, inst: Instance, text: str):
        """Parse the infix expression after 'Answer:' (an optional '= value' is ignored) safely and
        check the numbers used and the value."""
        idx = text.rfind("Answer:")
        lines = text[idx + len("Answer:") :].strip().splitlines() if idx >= 0 else []
        ans = lines[0].split("=")[0].strip() if lines else None
        parsed = rpn.parse_infix(ans) if ans else None
        wf = parsed is not None
        correct = wf and parsed[0] == inst.metadata["target"] and sorted(parsed[1]) == sorted(inst.metadata["numbers"])
        return {"correct": correct, "well_formed": wf, "answer": ans}
