"""What each task computes: answers against plain arithmetic, Countdown's evaluating verifier
and chance level, the hidden parity subset, the composition order, text scoring."""

import itertools
import math
import random
from collections import Counter

import pytest
import torch

import envs
from envs import vocab
from envs.hashing import randperm
from envs.task import Instance
from envs.tasks import rpn
from envs.tasks.countdown import Countdown, max_value


def digits_of(tokens):
    return [t - vocab.DIGIT0 for t in tokens]


def answer(task, inst):
    return digits_of(inst.target[i] for i in task.answer_positions)


def steps(task, inst):
    return digits_of(inst.target[i] for i in task.step_positions)


@pytest.mark.parametrize("reverse", [False, True])
def test_multi_digit_add_is_addition_with_carries(reverse):
    task = envs.make_task("MultiDigitAdd", n_digits=4, reverse=reverse)
    for i in range(50):
        inst = task.generate(2, i)
        a, b = inst.metadata["a"], inst.metadata["b"]
        want = [int(c) for c in f"{a + b:05d}"]
        assert answer(task, inst) == (want[::-1] if reverse else want)
        carries = [int((a % 10**j + b % 10**j) >= 10**j) for j in range(1, 5)]  # column j from the right
        assert steps(task, inst) == carries
        assert vocab.decode(inst.prompt) == " ".join(f"{a:04d}") + " + " + " ".join(f"{b:04d}") + " ="


def test_mod_chain_and_sparse_parity_answers():
    mc = envs.make_task("ModChain", L=6, p=7)
    for i in range(20):
        inst = mc.generate(1, i)
        assert answer(mc, inst) == [sum(inst.metadata["terms"]) % 7]
    sp = envs.make_task("SparseParity", n_bits=10, k=4, subset_seed=5)
    assert sp.subset == envs.make_task("SparseParity", n_bits=10, k=4, subset_seed=5).subset
    assert len(set(sp.subset)) == 4 and list(sp.subset) == sorted(sp.subset)
    subsets = {envs.make_task("SparseParity", n_bits=10, k=4, subset_seed=s).subset for s in range(20)}
    assert len(subsets) > 10  # the seed picks the subset
    for i in range(50):
        inst = sp.generate(3, i)
        bits = inst.metadata["bits"]
        assert answer(sp, inst) == [sum(bits[j] for j in sp.subset) % 2]
        assert steps(sp, inst) == [sum(bits[j] for j in sp.subset[: m + 1]) % 2 for m in range(4)]


def test_permutation_compose_applies_the_first_permutation_first():
    task = envs.make_task("PermutationCompose", L=4, n=5)
    for i in range(30):
        inst = task.generate(0, i)
        perms = inst.metadata["perms"]
        assert all(sorted(p) == list(range(5)) for p in perms)
        s, running = list(range(5)), []
        for p in perms:
            s = [p[s[x]] for x in range(5)]
            running += s
        assert answer(task, inst) == s
        assert steps(task, inst) == running  # every running composition, the last one included
    assert task.chance() == 1 / math.factorial(5)
    # a well-formed answer must be a permutation: a repeated digit is ill formed
    inst = task.generate(0, 0)
    comp = list(inst.target)
    comp[task.answer_positions[0]] = comp[task.answer_positions[1]]
    assert task.verify_one(inst, comp)["well_formed"] is False


def test_randperm_is_uniform_and_the_same_in_python_and_torch():
    seeds, idx = torch.arange(6000) % 7, torch.arange(6000)
    rows = randperm(seeds, idx, 3, 4)  # (B, 4)
    for b in range(0, 6000, 397):
        assert rows[b].tolist() == randperm(int(seeds[b]), int(idx[b]), 3, 4)
    counts = Counter(tuple(r) for r in rows.tolist())
    assert len(counts) == 24 and max(counts.values()) < 1.35 * 250 and min(counts.values()) > 0.65 * 250


def test_hint_reveals_the_first_step_tokens():
    task = envs.make_task("PermutationCompose", L=3, n=4, hint=6)
    inst = task.generate(1, 1)
    q = task.question_len()
    assert inst.prompt[q] == vocab.HINT and list(inst.prompt[q + 1 :]) == list(inst.target[1:7])


# --- Countdown ---------------------------------------------------------------------------------
def countdown_item(task, numbers, target):
    prompt = [vocab.DIGIT0 + x for x in numbers] + [vocab.BAR] + vocab.digits(target, task.width) + [vocab.EQ]
    return Instance(0, 0, tuple(prompt), (), {"numbers": numbers, "target": target})


def judge(task, inst, expr: str, scratch: str | None = None):
    """verify_one and verify on the completion that writes `expr` (RPN, space separated)."""
    comp = vocab.encode(expr) + [vocab.EOS]
    if task.cot:
        comp = [vocab.THINK, *vocab.encode(scratch or expr), vocab.END_THINK, *comp]
    comp = comp + [vocab.PAD] * (task.completion_len - len(comp))
    ref = task.verify_one(inst, comp)
    v = task.verify(torch.tensor([inst.prompt]), torch.tensor([comp]), torch.tensor([comp]))
    assert (bool(v.correct[0]), bool(v.trace_correct[0]), bool(v.well_formed[0])) == (
        ref["correct"],
        ref["trace_correct"],
        ref["well_formed"],
    )
    return ref


def test_countdown_verifier_evaluates_the_expression():
    task = Countdown(cot=False)
    inst = countdown_item(task, [3, 4, 2], 14)
    assert judge(task, inst, "3 4 + 2 *")["correct"]
    assert judge(task, inst, "2 4 3 + *")["correct"]  # another shape and order
    assert judge(task, inst, "4 3 + 2 *")["correct"]
    assert judge(task, inst, "3 4 * 2 +")["correct"]  # 12 + 2, not the canonical one
    wrong = judge(task, inst, "3 4 - 2 *")
    assert wrong["well_formed"] and not wrong["correct"]
    assert not judge(task, inst, "3 3 + 2 *")["correct"]  # 3 used twice, 4 never
    assert not judge(task, inst, "3 4 + *")["well_formed"]  # stack underflow
    assert judge(task, inst, "3 4 2 + +")["well_formed"]  # a valid shape, a wrong value
    inst0 = countdown_item(task, [3, 3, 5], 0)
    assert judge(task, inst0, "3 3 - 5 /")["correct"]  # 0 / 5
    div0 = judge(task, inst0, "5 3 3 - /")  # 5 / 0
    assert div0["well_formed"] and not div0["correct"]
    frac = countdown_item(task, [3, 6, 4], 2)
    assert judge(task, frac, "3 6 / 4 *")["correct"]  # a fractional intermediate 1/2
    neg = countdown_item(task, [2, 7, 9], 45)
    assert judge(task, neg, "2 7 - 9 *")["correct"] is False  # -45
    assert judge(task, neg, "7 2 - 9 *")["correct"]


def test_countdown_trace_is_the_scratchpad_values():
    task = Countdown()
    inst = countdown_item(task, [3, 4, 2], 14)
    good = judge(task, inst, "3 4 + 2 *", "3 4 + 2 * | 0 0 7 , 0 1 4")
    assert good["correct"] and good["trace_correct"] and all(good["step_correct"])
    bad = judge(task, inst, "3 4 + 2 *", "3 4 + 2 * | 0 0 7 , 0 1 5")
    assert bad["correct"] and not bad["trace_correct"] and bad["step_correct"] == [True] * 5 + [False]
    other = judge(task, inst, "3 4 + 2 *", "4 3 + 2 * | 0 0 7 , 0 1 4")  # scratch != answer
    assert other["correct"] and all(other["step_correct"]) and not other["trace_correct"]
    neg = judge(task, inst, "3 4 + 2 *", "3 4 - 2 * | 0 0 1 , 0 0 2")  # -1 has no 3-digit form
    assert neg["step_correct"] == [False] * 6


def test_countdown_items_are_solvable_with_non_negative_integer_steps():
    for n, m in [(2, 9), (3, 9), (4, 5), (5, 3)]:
        task = Countdown(n_numbers=n, max_number=m)
        assert task.width == len(str(max_value(n, m)))
        for i in range(40):
            inst = task.generate(8, i)
            assert task.verify_one(inst, list(inst.target))["trace_correct"]
            assert all(1 <= x <= m for x in inst.metadata["numbers"])
            values = rpn.eval_rpn([inst.target[p] for p in task.answer_positions])["steps"]
            assert all(v.denominator == 1 and 0 <= v < 10**task.width for v in values)


def all_expressions(numbers):
    """Every (leaf order, RPN shape, operators) triple as token lists (brute force)."""
    n = len(numbers)
    for order in itertools.permutations(range(n)):
        for shape in itertools.product([0, 1], repeat=2 * n - 1):  # 1 push, 0 operator
            depth, ok = 0, True
            for s in shape:
                depth += 1 if s else -1
                ok &= depth >= 1
            if not ok or depth != 1 or sum(shape) != n:
                continue
            for ops in itertools.product(vocab.OPERATORS, repeat=n - 1):
                leaves, opit = iter(order), iter(ops)
                yield [vocab.DIGIT0 + numbers[next(leaves)] if s else next(opit) for s in shape]


@pytest.mark.parametrize("numbers", [[3, 3], [2, 0], [1, 2, 3], [4, 4, 2], [0, 5, 5], [2, 3, 4, 6]])
def test_count_hits_matches_brute_force(numbers):
    values = Counter()
    total = 0
    for expr in all_expressions(numbers):
        total += 1
        values[rpn.eval_rpn(expr)["value"]] += 1
    n = len(numbers)
    assert total == math.factorial(n) * math.comb(2 * n - 2, n - 1) // n * 4 ** (n - 1)
    for target in {0, 1, 2, 6, 9, 12, 24, 36}:
        assert rpn.count_hits(tuple(numbers), target) == values[target], target


def test_countdown_chance_is_small_and_falls_with_n():
    chances = [Countdown(n_numbers=n).chance() for n in (2, 3, 4)]
    assert 0.1 < chances[0] < 0.5 and chances[0] > chances[1] > chances[2] > 0.001


def test_countdown_score_text_parses_infix_safely():
    task = Countdown()
    inst = countdown_item(task, [3, 4, 2], 14)
    for text, ok in [
        ("Answer: (3+4)*2", True),
        ("Answer: (3 + 4) × 2 = 14", True),
        ("work...\nAnswer: 2*(4+3)\nmore", True),
        ("Answer: 3*4+2", True),
        ("Answer: 3+4*2", False),
        ("Answer: (3+4)*2*1", False),
        ("Answer: 14", False),
        ("Answer: 34-20", False),
        ("Answer: -(3-4)*2*7", False),
        ("no answer", False),
    ]:
        assert task.score_text(inst, text)["correct"] is ok, text
    for text in [
        "Answer: __import__('os').system('x')",
        "Answer: (3+4",
        "Answer: 3 4 + 2 *",
        "Answer: " + "(" * 40 + "3" + ")" * 40,
        "Answer: 2**3",
    ]:
        out = task.score_text(inst, text)
        assert not out["correct"] and not out["well_formed"], text
    div0 = task.score_text(countdown_item(task, [3, 3, 5], 0), "Answer: 5/(3-3)")
    assert div0["well_formed"] and not div0["correct"]
    assert rpn.parse_infix("1/(2-2)") == (None, [1, 2, 2])


@pytest.mark.parametrize("name", envs.task_names())
def test_text_rendering_round_trips(name):
    task = envs.make_task(name)
    rng = random.Random(0)
    for i in range(10):
        inst = task.generate(rng.randrange(2**31), i)
        assert task.text_question(inst) in task.text_prompt(inst)
        assert task.score_text(inst, task.text_completion(inst))["correct"], task.text_completion(inst)
        assert not task.score_text(inst, "I do not know.")["correct"]
