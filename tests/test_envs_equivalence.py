"""Every fast path against its slow reference: the batched env against Gymnasium's
SyncVectorEnv of single envs, Task.batch against Task.generate, verify against verify_one."""

import random

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode
from hypothesis import given, settings
from hypothesis import strategies as st

import envs
from envs import vocab

TASKS = envs.task_names()
REWARDS = {
    "sparse": {},
    "dense": {"reward": "dense"},
    "delay2": {"delay": 2},
    "format_bonus": {"format_bonus": 0.5},
    "noise": {"noise": 0.3},
    "random": {"reward": "random"},
    "nocot_dense_hint": {"cot": False, "reward": "dense", "format_bonus": 0.25},
}
VERDICT_KEYS = ("correct", "trace_correct", "well_formed")


def policy(rng, kind, task, target, written):
    """The next token of env kind 0 (writes the target), 1 (target, then <eos> too early),
    2 (uniform random tokens) or 3 (the layout with random value tokens: well formed, wrong)."""
    lay, pos = task.layout(), min(written, task.completion_len - 1)
    if kind == 0 or (kind == 1 and rng.random() > 0.3):
        return int(target[pos])
    if kind == 1:
        return vocab.EOS
    if kind == 2:
        return int(rng.integers(vocab.D_VOCAB))
    return lay[pos] if lay[pos] is not None else int(rng.choice(task.value_tokens))


def assert_same_info(vinfo, sinfo):
    for k in VERDICT_KEYS:
        mask = sinfo.get(f"_{k}", np.zeros(len(vinfo[k]), dtype=bool))
        np.testing.assert_array_equal(vinfo[f"_{k}"].numpy(), mask)
        if mask.any():
            np.testing.assert_array_equal(vinfo[k].numpy()[mask], sinfo[k][mask])


@pytest.mark.parametrize("reward", REWARDS)
@pytest.mark.parametrize("name", TASKS)
def test_vector_env_matches_sync_vector_env(name, reward):
    run_both(name, {**REWARDS[reward], **({"hint": 1} if "hint" in reward else {})})


ROOM_CASES = [("ModChain", "sparse"), ("ModChain", "dense"), ("MultiDigitAdd", "delay2"), ("Countdown", "sparse")]


@pytest.mark.parametrize(("name", "reward"), ROOM_CASES)
def test_vector_env_matches_sync_vector_env_with_room_after_the_completion(name, reward):
    """n_ctx longer than a whole episode: <pad> columns after the completion stay <pad> (the batched
    env's envs that write nothing point into their own row: the fast path and the general one)."""
    run_both(name, {**REWARDS[reward], "n_ctx": envs.make_task(name).min_ctx + 3})


def run_both(name, kw):
    """The batched env and SyncVectorEnv of single envs, the same actions (four policies), through
    autoresets and a reset without a seed: every observation, reward, flag and verdict equal."""
    env_id, N = envs.env_id(name), 8
    venv = gym.make_vec(env_id, num_envs=N, vectorization_mode="vector_entry_point", **kw)
    senv = gym.vector.SyncVectorEnv([lambda: gym.make(env_id, **kw) for _ in range(N)])
    assert venv.metadata["autoreset_mode"] == senv.autoreset_mode == AutoresetMode.NEXT_STEP
    task, rng = venv.task, np.random.default_rng(1)
    steps = 3 * (task.completion_len + venv.reward_cfg.delay + 1)
    vobs, _ = venv.reset(seed=11)
    sobs, _ = senv.reset(seed=11)
    ends = np.zeros(N, dtype=int)
    for phase in range(2):
        if phase:  # reset without a seed: every stream moves on to its next item
            vobs, _ = venv.reset()
            sobs, _ = senv.reset()
        for _ in range(steps):
            np.testing.assert_array_equal(vobs["tokens"].numpy(), sobs["tokens"])
            np.testing.assert_array_equal(vobs["length"].numpy(), sobs["length"])
            written = vobs["length"].numpy() - 1 - task.prompt_len
            targets = venv.targets.numpy()
            actions = np.array([policy(rng, i % 4, task, targets[i], written[i]) for i in range(N)])
            vobs, vr, vterm, vtrunc, vinfo = venv.step(torch.as_tensor(actions))
            sobs, sr, sterm, strunc, sinfo = senv.step(actions)
            np.testing.assert_allclose(vr.numpy(), sr, rtol=0, atol=1e-12)
            np.testing.assert_array_equal(vterm.numpy(), sterm)
            np.testing.assert_array_equal(vtrunc.numpy(), strunc)
            assert_same_info(vinfo, sinfo)
            ends += sterm | strunc
    assert ends.min() >= 4  # several episodes each, through autoresets and a reset
    senv.close()


@pytest.mark.parametrize("name", TASKS)
def test_autoreset_is_next_step_in_both(name):
    """The step after an episode ends only resets: reward 0, not done, a fresh prompt."""
    env_id = envs.env_id(name)
    venv = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
    senv = gym.vector.SyncVectorEnv([lambda: gym.make(env_id) for _ in range(2)])
    for env in (venv, senv):
        env.reset(seed=5)
        _, r, term, trunc, _ = env.step(np.array([vocab.EOS, vocab.EOS]))
        assert np.asarray(term).all() and not np.asarray(trunc).any()
        obs, r, term, trunc, _ = env.step(np.array([vocab.DIGIT0, vocab.DIGIT0]))
        assert not np.asarray(r).any() and not np.asarray(term).any() and not np.asarray(trunc).any()
        assert (np.asarray(obs["length"]) == 1 + venv.task.prompt_len).all()


VARIANTS = {
    "ModChain": [{}, {"L": 3, "p": 7, "hint": 1}],
    "MultiDigitAdd": [{}, {"n_digits": 5, "reverse": True, "hint": 2}, {"cot": False}],
    "Countdown": [{}, {"n_numbers": 4, "max_number": 5, "hint": 3}, {"n_numbers": 2, "cot": False}],
    "SparseParity": [{}, {"n_bits": 12, "k": 5, "subset_seed": 3, "hint": 1}],
    "PermutationCompose": [{}, {"L": 5, "n": 7, "hint": 4}, {"L": 1, "cot": False}],
}
CASES = [(name, kw) for name in TASKS for kw in VARIANTS.get(name, [{}])]
ITEMS = st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 2**31)), min_size=1, max_size=24)


@pytest.mark.parametrize(("name", "kw"), CASES)
@settings(max_examples=15, deadline=None)
@given(items=ITEMS)
def test_batch_matches_generate(name, kw, items):
    task = envs.make_task(name, **kw)
    prompts, targets = task.batch(torch.tensor([s for s, _ in items]), torch.tensor([i for _, i in items]))
    assert prompts.dtype == targets.dtype == torch.long
    for (s, i), p, t in zip(items, prompts.tolist(), targets.tolist(), strict=True):
        inst = task.generate(s, i)
        assert tuple(p) == inst.prompt and tuple(t) == inst.target


def random_rpn(rng: random.Random, numbers: list[int]) -> list[int]:
    """A uniformly shaped random RPN expression over the numbers (in a random order)."""
    nums, out, depth = rng.sample(numbers, len(numbers)), [], 0
    while nums or depth > 1:
        if depth < 2 or (nums and rng.random() < 0.5):
            out.append(vocab.DIGIT0 + nums.pop())
            depth += 1
        else:
            out.append(rng.choice(vocab.OPERATORS))
            depth -= 1
    return out


def candidates(rng: random.Random, task, inst) -> list[list[int]]:
    """Right, corrupted, cut-short, random and well-formed-random completions of one item."""
    C, tgt, lay = task.completion_len, list(inst.target), task.layout()
    out = [tgt]
    for _ in range(3):
        bad = list(tgt)
        bad[rng.randrange(C)] = rng.randrange(vocab.D_VOCAB)
        out.append(bad)
    cut = rng.randrange(C)
    out.append(tgt[:cut] + [vocab.EOS])
    out.append([rng.randrange(vocab.D_VOCAB) for _ in range(C)])
    out.append([t if t is not None else rng.choice(task.value_tokens) for t in lay])
    if task.name == "Countdown":  # other expressions, some of them right
        for _ in range(4):
            expr = random_rpn(rng, inst.metadata["numbers"])
            comp = list(tgt)
            for p, e in zip(task.answer_positions, expr, strict=True):
                comp[p] = e
            if rng.random() < 0.5:  # the scratchpad copies the new expression
                for p, e in enumerate(expr if task.cot else [], start=1):
                    comp[p] = e
            out.append(comp)
    return [c[:C] + [vocab.PAD] * (C - len(c[:C])) for c in out]


@pytest.mark.parametrize(("name", "kw"), CASES)
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31), index=st.integers(0, 10**6), salt=st.integers(0, 2**16))
def test_verify_matches_verify_one(name, kw, seed, index, salt):
    task, rng = envs.make_task(name, **kw), random.Random(salt)
    rows, insts = [], []
    for j in range(3):
        inst = task.generate(seed, index + j)
        for comp in candidates(rng, task, inst):
            rows.append(comp)
            insts.append(inst)
    prompts = torch.tensor([list(i.prompt) for i in insts])
    targets = torch.tensor([list(i.target) for i in insts])
    v = task.verify(prompts, torch.tensor(rows), targets)
    assert v.step_correct.shape == (len(rows), task.n_steps)
    for b, (inst, comp) in enumerate(zip(insts, rows, strict=True)):
        ref = task.verify_one(inst, comp)
        got = {k: bool(getattr(v, k)[b]) for k in VERDICT_KEYS}
        assert got == {k: ref[k] for k in VERDICT_KEYS}, (vocab.decode(comp), got, ref)
        assert v.step_correct[b].tolist() == ref["step_correct"]
    assert v.correct[0] and v.trace_correct[0]  # the canonical completion
