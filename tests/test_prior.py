"""Items 6 and 16: `prior` makes a competing wrong strategy (one consistent wrong rule per task),
`label_noise` is separate per-slot corruption, and corruption respects each slot's kind."""

import pytest
import torch

import envs
from envs import vocab
from toymodels import CellConfig
from toymodels.pretrain import corpus, corrupt

TASKS = envs.task_names()
N = 4000


def items(n=N, seed=11):
    return torch.full((n,), seed), torch.arange(n)


@pytest.mark.parametrize("name", TASKS)
def test_wrong_rule_batch_matches_generate_and_is_well_formed(name):
    task = envs.make_task(name, hint=1)
    seed, idx = items(600)
    wrong = idx % 3 == 0  # a mix of right and wrong rows in one batch
    prompts, targets = task.batch(seed, idx, wrong=wrong)
    right_p, right_t = task.batch(seed, idx)
    assert torch.equal(prompts[:, : task.question_len()], right_p[:, : task.question_len()])  # same question
    assert torch.equal(targets[~wrong], right_t[~wrong])
    for i in range(0, 600, 7):
        inst = task.generate(11, i, wrong=bool(wrong[i]))
        assert tuple(prompts[i].tolist()) == inst.prompt and tuple(targets[i].tolist()) == inst.target
    v = task.verify(right_p, targets, right_t)
    assert v.well_formed.all()  # a wrong trace is still well formed
    assert v.trace_correct[wrong].float().mean() < 0.25  # and its trace is (almost always) not right
    ap = task.answer_positions
    assert (targets[wrong][:, ap] != right_t[wrong][:, ap]).any(1).float().mean() > 0.3  # a wrong answer


def test_wrong_rules_are_the_documented_ones():
    d = vocab.DIGIT0
    mc = envs.make_task("ModChain", L=3).generate(0, 0, wrong=True)  # s_i = s_{i-1} + a_i + 1 (mod p)
    a = [t - d for t in mc.prompt[:3]]
    s = [(a[0] + 1) % 10, (a[0] + a[1] + 2) % 10, (a[0] + a[1] + a[2] + 3) % 10]
    assert [t - d for t in mc.target[1:4]] == s and mc.target[5] - d == s[-1]
    add = envs.make_task("MultiDigitAdd", n_digits=3)
    for i in range(50):  # the carry is dropped: digit-wise sums mod 10, carries all 0
        inst = add.generate(0, i, wrong=True)
        x, y = inst.metadata["a"], inst.metadata["b"]
        want = int("".join(str((int(p) + int(q)) % 10) for p, q in zip(f"{x:03d}", f"{y:03d}", strict=True)))
        assert [t - d for t in inst.target[1:4]] == [0, 0, 0]
        assert int("".join(str(t - d) for t in inst.target[5:9])) == want
    pc = envs.make_task("PermutationCompose", L=2, n=4).generate(0, 0, wrong=True)
    p1, p2 = [t - d for t in pc.prompt[:4]], [t - d for t in pc.prompt[5:9]]
    assert [t - d for t in pc.target[-5:-1]] == [p1[p2[x]] for x in range(4)]  # p1 after p2: wrong order
    sp = envs.make_task("SparseParity", n_bits=8, k=3)
    inst = sp.generate(0, 0, wrong=True)
    bits, shifted = inst.metadata["bits"], sorted((i + 1) % 8 for i in sp.subset)
    assert shifted != list(sp.subset) and inst.target[-2] - d == sum(bits[i] for i in shifted) % 2
    cd = envs.make_task("Countdown").generate(0, 0, wrong=True)  # every operator becomes '+'
    ans = list(cd.target[-6:-1])
    assert vocab.PLUS in ans and not set(ans) & {vocab.MINUS, vocab.TIMES, vocab.DIV}


@pytest.mark.parametrize("name", TASKS)
def test_prior_below_half_makes_the_wrong_rule_the_mode(name):
    """Per step and answer position, among items where the two rules differ, the corpus holds the
    wrong rule's token in most traces at prior 0.3 and the right rule's at prior 0.7."""
    task = envs.make_task(name, split="train")
    seed, idx = items()
    _, right = task.batch(seed, idx)
    _, wrong = task.batch(seed, idx, wrong=torch.ones(N, dtype=torch.bool))
    positions = task.step_positions + task.answer_positions
    differ = right[:, positions] != wrong[:, positions]  # (N, slots)
    assert differ.any(0).sum() >= len(positions) // 2  # the rules disagree at most positions
    for prior in (0.3, 0.7):
        _, comps, follows = corpus(task, seed, idx, prior, 0.0)
        assert abs(follows.float().mean().item() - prior) < 0.03
        is_wrong = (comps[:, positions] == wrong[:, positions]) & differ
        share = is_wrong.sum(0) / differ.sum(0).clamp(min=1)  # (slots,) wrong-rule share where they differ
        tested = differ.sum(0) >= 50
        assert tested.any()
        assert ((share[tested] > 0.5) if prior < 0.5 else (share[tested] < 0.5)).all(), share


def test_prior_one_is_the_canonical_corpus_and_zero_the_wrong_one():
    task = envs.make_task("ModChain", split="train")
    seed, idx = items(500)
    _, right = task.batch(seed, idx)
    _, wrong = task.batch(seed, idx, wrong=torch.ones(500, dtype=torch.bool))
    assert torch.equal(corpus(task, seed, idx, 1.0, 0.0)[1], right)
    assert torch.equal(corpus(task, seed, idx, 0.0, 0.0)[1], wrong)


def test_label_noise_corrupts_value_slots_independently_at_its_rate():
    task = envs.make_task("ModChain", L=5)
    seed, idx = items()
    _, targets = task.batch(seed, idx)
    out = corrupt(task, seed, idx, targets, 0.2)
    changed = out != targets  # (N, C)
    fixed = [i for i, t in enumerate(task.layout()) if t is not None]
    assert not changed[:, fixed].any()
    rate = changed.float().mean().item() * task.completion_len / (task.completion_len - len(fixed))
    assert abs(rate - 0.2) < 0.01  # binomial sd ~ 0.0026 over 24000 slots
    assert torch.isin(out, torch.tensor(task.value_tokens + (vocab.THINK, vocab.END_THINK, vocab.EOS))).all()
    assert torch.equal(corrupt(task, seed, idx, targets, 0.0), targets)
    # independent of the rule: the corpus applies it to right and wrong traces alike
    _, comps, follows = corpus(task, seed, idx, 0.5, 0.2)
    _, clean, _ = corpus(task, seed, idx, 0.5, 0.0)
    for rows in (follows, ~follows):
        r = (comps[rows] != clean[rows]).float().mean().item() * task.completion_len / 6
        assert abs(r - 0.2) < 0.02


def test_countdown_label_noise_respects_slot_kinds():
    task = envs.make_task("Countdown", n_numbers=4, max_number=9)
    seed, idx = items(2000)
    prompts, targets = task.batch(seed, idx)
    out = corrupt(task, seed, idx, targets, 0.5)

    def kind(t):  # 0 digit, 1 operator, 2 other
        return torch.where(
            (t >= vocab.DIGIT0) & (t <= vocab.DIGIT0 + 9), 0, torch.where((t >= vocab.PLUS) & (t <= vocab.DIV), 1, 2)
        )

    assert (out != targets).float().mean() > 0.2
    assert torch.equal(kind(out), kind(targets))  # operators stay operators, digits stay digits
    assert task.verify(prompts, out, targets).well_formed.all()
    alph = task.slot_alphabets()
    assert alph[task.step_positions[0]] == (tuple(range(vocab.DIGIT0, vocab.DIGIT0 + 10)),)
    assert len(alph[1]) == 2 and alph[0] is None  # expression slot: digits or operators; <think> fixed


def test_pretrain_corrupt_is_replaced_by_label_noise():
    assert CellConfig().label_noise == 0.0
    with pytest.raises(ValueError, match="label_noise must be a number in \\[0.0, 1.0\\]"):
        CellConfig(label_noise=1.5)
    with pytest.raises(ValueError, match="unknown CellConfig fields \\['pretrain_corrupt'\\]"):
        CellConfig.from_dict({"pretrain_corrupt": 0.5})
