"""Arithmetic over + - * / for Countdown: RPN stack machines (plain Python and batched torch),
a safe infix parser for text written by real LLMs, and exact enumeration for the chance level.

Values are exact rationals: `fractions.Fraction` in Python, unreduced (numerator, denominator)
int64 pairs in torch. A value built from l single-digit leaves has |numerator|, |denominator|
<= 2**(l-1) * 9**l, so int64 never overflows for expressions of up to 17 leaves (Countdown has
at most 5). Evaluation stops being defined at the first
division by zero (`zero_div`); every later value counts as undefined.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from itertools import combinations
from math import gcd

import torch

from .. import vocab

OPS = "+-*/"  # vocab.PLUS, MINUS, TIMES, DIV are consecutive token ids in this order


def apply(op: str, a: Fraction, b: Fraction) -> Fraction:
    """a op b; raises ZeroDivisionError for x / 0."""
    return a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b


def eval_rpn(tokens: list[int]) -> dict:
    """Run token ids through a stack machine (reference).

    Returns `valid` (only digits and operators, no stack underflow, one value left), `value`
    (a Fraction, or None when undefined), `digits` (the digit values pushed) and `steps` (the
    value produced by each operator in order, None once undefined)."""
    stack: list[Fraction | None] = []
    digits, steps, broken, ok = [], [], False, True
    for tok in tokens:
        if vocab.DIGIT0 <= tok <= vocab.DIGIT0 + 9:
            stack.append(Fraction(tok - vocab.DIGIT0))
            digits.append(tok - vocab.DIGIT0)
        elif vocab.PLUS <= tok <= vocab.DIV and len(stack) >= 2:
            b, a = stack.pop(), stack.pop()
            if not broken:
                try:
                    v = apply(OPS[tok - vocab.PLUS], a, b)
                except ZeroDivisionError:
                    broken, v = True, None
            stack.append(None if broken else v)
            steps.append(None if broken else v)
        else:
            ok = False
            break
    valid = ok and len(stack) == 1
    value = stack[0] if valid and not broken else None
    return {"valid": valid, "value": value, "digits": digits, "steps": steps}


def _kinds(device) -> torch.Tensor:
    """(d_vocab,) token kinds: 0..9 a digit's value, 10..13 an operator (+ - * /), 14 other."""
    kind = torch.full((vocab.D_VOCAB,), 14, dtype=torch.long)
    kind[vocab.DIGIT0 : vocab.DIGIT0 + 10] = torch.arange(10)
    kind[vocab.PLUS : vocab.DIV + 1] = torch.arange(10, 14)
    return kind.to(device)


def eval_rpn_batched(tokens: torch.Tensor, n_ops: int):
    """Batched `eval_rpn` over (B, T) token ids, looping over the T positions.

    Returns valid (B,), num (B,), den (B,) (den == 0: undefined), digit counts (B, 10) (of all
    digit tokens: equal to the pushed ones whenever valid) and the first `n_ops` operator
    results, step_num and step_den (B, n_ops) (step_den == 0: the operator did not run or its
    value is undefined)."""
    B, T = tokens.shape
    dev = tokens.device
    kind = _kinds(dev)[tokens]  # (B, T)
    digit, oper = kind < 10, (kind >= 10) & (kind < 14)  # (B, T)
    num = torch.zeros(B, T + 1, dtype=torch.long, device=dev)  # the stacks; column T: scratch
    den = torch.ones(B, T + 1, dtype=torch.long, device=dev)
    s_num = torch.zeros(B, n_ops + 1, dtype=torch.long, device=dev)  # column n_ops: scratch
    s_den = torch.zeros(B, n_ops + 1, dtype=torch.long, device=dev)  # 0: no value
    depth = torch.zeros(B, dtype=torch.long, device=dev)
    n_done = torch.zeros(B, dtype=torch.long, device=dev)
    ok = torch.ones(B, dtype=torch.bool, device=dev)
    broken = torch.zeros(B, dtype=torch.bool, device=dev)  # a division by zero happened
    top2 = torch.tensor([2, 1], device=dev)
    for t in range(T):  # gather/scatter along dim 1: much faster than advanced indexing
        red = oper[:, t] & (depth >= 2)
        ok = ok & (digit[:, t] | red)
        push, red = digit[:, t] & ok, red & ok
        ab = (depth[:, None] - top2).clamp(min=0)  # (B, 2) stack slots of a and b
        (an, bn), (ad, bd) = num.gather(1, ab).unbind(1), den.gather(1, ab).unbind(1)
        x, y, dd = an * bd, bn * ad, ad * bd
        cand = torch.stack([x + y, x - y, an * bn, x, dd, dd, dd, ad * bn], 1)  # (B, 8): nums, dens
        op = (kind[:, t] - 10).clamp(0, 3)
        rn, rd = cand.gather(1, torch.stack([op, op + 4], 1)).unbind(1)
        broken = broken | (red & (rd == 0))
        rd = torch.where(broken, 0, rd)
        slot = torch.where(push, depth, torch.where(red, depth - 2, T))[:, None]
        num.scatter_(1, slot, torch.where(push, kind[:, t], rn)[:, None])
        den.scatter_(1, slot, torch.where(push, 1, rd)[:, None])
        k = torch.where(red, n_done.clamp(max=n_ops), n_ops)[:, None]
        s_num.scatter_(1, k, rn[:, None])
        s_den.scatter_(1, k, rd[:, None])
        depth = depth + push.long() - red.long()
        n_done = n_done + red.long()
    valid = ok & (depth == 1)
    counts = (torch.where(digit, kind, 10)[:, :, None] == torch.arange(10, device=dev)).sum(1)  # (B, 10)
    return valid, num[:, 0], den[:, 0], counts, s_num[:, :n_ops], s_den[:, :n_ops]


def to_infix(tokens: list[int]) -> str:
    """A valid RPN token list as infix text, parenthesising every compound operand."""
    stack: list[tuple[str, bool]] = []
    for tok in tokens:
        if vocab.DIGIT0 <= tok <= vocab.DIGIT0 + 9:
            stack.append((str(tok - vocab.DIGIT0), False))
        else:
            (b, cb), (a, ca) = stack.pop(), stack.pop()
            wrap = lambda s, c: f"({s})" if c else s
            stack.append((f"{wrap(a, ca)}{OPS[tok - vocab.PLUS]}{wrap(b, cb)}", True))
    return stack[0][0]


def worked_steps(tokens: list[int]) -> list[str]:
    """Each operator of a valid RPN token list as 'a op b = value' text, in order."""
    stack: list[Fraction] = []
    out = []
    for tok in tokens:
        if vocab.DIGIT0 <= tok <= vocab.DIGIT0 + 9:
            stack.append(Fraction(tok - vocab.DIGIT0))
        else:
            b, a = stack.pop(), stack.pop()
            op = OPS[tok - vocab.PLUS]
            stack.append(apply(op, a, b))
            out.append(f"{a}{op}{b}={stack[-1]}")
    return out


# --- infix text from real LLMs -----------------------------------------------------------------
_TEXT_OPS = {"+": "+", "-": "-", "−": "-", "*": "*", "×": "*", "x": "*", "/": "/", "÷": "/"}


def parse_infix(text: str, max_len: int = 200) -> tuple[Fraction | None, list[int]] | None:
    """(value, integer literals) of an infix expression over + - * / and parentheses, or None
    when it does not parse. No eval(): a recursive-descent parser with bounded length and
    nesting. value is None after a division by zero. Unary minus is not accepted."""
    if len(text) > max_len:
        return None
    toks: list[str | int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit():
            j = i
            while j < len(text) and text[j].isdigit():
                j += 1
            toks.append(int(text[i:j]))
            i = j
        elif ch in _TEXT_OPS or ch in "()":
            toks.append(_TEXT_OPS.get(ch, ch))
            i += 1
        else:
            return None
    pos, literals, div0 = 0, [], False

    def peek():
        return toks[pos] if pos < len(toks) else None

    def factor(depth: int):
        nonlocal pos
        t = peek()
        if isinstance(t, int):
            pos += 1
            literals.append(t)
            return Fraction(t)
        if t == "(" and depth < 32:
            pos += 1
            v = expr(depth + 1)
            if peek() != ")":
                raise SyntaxError
            pos += 1
            return v
        raise SyntaxError

    def binary(depth: int, ops: str, sub):
        nonlocal pos, div0
        v = sub(depth)
        while peek() in tuple(ops):
            op = toks[pos]
            pos += 1
            w = sub(depth)
            if v is not None and w is not None:
                try:
                    v = apply(op, v, w)
                except ZeroDivisionError:
                    v, div0 = None, True
            else:
                v = None
        return v

    def term(depth: int):
        return binary(depth, "*/", factor)

    def expr(depth: int):
        return binary(depth, "+-", term)

    try:
        value = expr(0)
    except SyntaxError:
        return None
    if pos != len(toks):
        return None
    return (None if div0 else value), literals


# --- the chance level ----------------------------------------------------------------------------
# Exact rationals as reduced (numerator, denominator > 0) int pairs: several times faster than
# Fraction in these inner loops.
def _q(n: int, d: int) -> tuple[int, int]:
    if d < 0:
        n, d = -n, -d
    g = gcd(n, d)
    return n // g, d // g


def _combine(x: tuple[int, int], y: tuple[int, int]):
    """The values x op y for op in + - * / (the last left out when y == 0)."""
    (a, b), (c, d) = x, y
    yield _q(a * d + c * b, b * d)
    yield _q(a * d - c * b, b * d)
    yield _q(a * c, b * d)
    if c:
        yield _q(a * d, b * c)


@lru_cache(maxsize=4096)
def tree_values(leaves: tuple[int, ...]) -> dict[tuple[int, int], int]:
    """Expressions over the leaves (each used once, in any order, any shape, any operators) by
    value (a reduced fraction): the number of (leaf order, RPN shape, operators) triples giving
    each value; those with a division by zero are left out. `leaves` is sorted (a multiset;
    leaves are distinct items even when equal)."""
    if len(leaves) == 1:
        return {(leaves[0], 1): 1}
    out: dict[tuple[int, int], int] = {}
    for left, right in splits(leaves):
        rv = tree_values(right)
        for x, cx in tree_values(left).items():
            for y, cy in rv.items():
                for v in _combine(x, y):
                    out[v] = out.get(v, 0) + cx * cy
    return out


@lru_cache(maxsize=4096)
def reachable(leaves: tuple[int, ...]) -> frozenset[int]:
    """Values Countdown's generator can reach from the sorted leaves: any order and shape, every
    intermediate a non-negative integer (- only when a >= b, / only when b > 0 divides a)."""
    if len(leaves) == 1:
        return frozenset(leaves)
    out: set[int] = set()
    for left, right in splits(leaves):
        ys = reachable(right)
        for x in reachable(left):
            for y in ys:
                out.update((x + y, x * y))
                if x >= y:
                    out.add(x - y)
                if y and x % y == 0:
                    out.add(x // y)
    return frozenset(out)


def splits(leaves: tuple[int, ...]):
    """Ordered splits of the leaf positions into two non-empty parts, as sorted value tuples."""
    n = len(leaves)
    for r in range(1, n):
        for left in combinations(range(n), r):
            rest = tuple(leaves[i] for i in range(n) if i not in left)
            yield tuple(leaves[i] for i in left), rest


def count_hits(leaves: tuple[int, ...], target: int) -> int:
    """Number of (leaf order, shape, operators) triples whose value is exactly `target`: at the
    root, for each left value x, look up the right values y that give x op y = target."""
    t = target
    if len(leaves) == 1:
        return int(leaves[0] == t)
    hits = 0
    for left, right in splits(tuple(sorted(leaves))):
        rv = tree_values(right)
        every = sum(rv.values())
        nonzero = every - rv.get((0, 1), 0)
        for (a, b), cx in tree_values(left).items():
            ys = [_q(t * b - a, b), _q(a - t * b, b)]  # x + y = t, x - y = t
            if a:
                ys.append(_q(t * b, a))  # x * y = t
                if t:
                    ys.append(_q(a, b * t))  # x / y = t
            hits += cx * sum(rv.get(y, 0) for y in ys)
            if not a and not t:
                hits += cx * (every + nonzero)  # 0 * y = 0 and 0 / y = 0 (y != 0)
    return hits
