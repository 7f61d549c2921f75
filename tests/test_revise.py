"""Self-correction with `<wait>` (envs.revise): verifier semantics, the envs with `revise=True`,
the pretraining corpus's revision rate, and one tiny cell that trains end to end with it."""

import inspect
import random

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env
from test_envs_equivalence import assert_same_info  # the batched env's verdict info against the single envs'

import envs
from envs import vocab
from envs.revise import collapse_one, revision_counts

REVISE_TASKS = [n for n in envs.task_names() if "revise" in inspect.signature(envs.task_class(n).__init__).parameters]
W, T0, T1 = vocab.WAIT, vocab.THINK, vocab.END_THINK


def d(x: int) -> int:
    return vocab.DIGIT0 + x


def test_the_tasks_that_offer_revise():
    assert {"ModChain", "MultiDigitAdd"} <= set(REVISE_TASKS)
    assert vocab.TOKENS[29] == "<wait>" and vocab.D_VOCAB == 30  # a renamed filler: the vocabulary did not grow


@pytest.mark.parametrize("name", REVISE_TASKS)
def test_check_env_passes_with_revise(name):
    env = gym.make(envs.env_id(name), revise=True, max_revisions=3).unwrapped
    check_env(env, skip_render_check=True)
    task = env.task
    assert task.completion_len == task.canonical_len + 6
    assert env.observation_space["tokens"].shape == (task.min_ctx,)


# --- verifier semantics (ModChain L=3, terms 5 0 6: running sums 5 5 1, answer 1) -------------------------
def verdicts(task, inst, comps):
    """Batched and reference verdicts of completions (lists), checked to agree; returns the batched."""
    C = task.completion_len
    rows = torch.tensor([c + [vocab.PAD] * (C - len(c)) for c in comps])
    tg = torch.tensor([list(inst.target)] * len(comps))
    v = task.verify(torch.tensor([list(inst.prompt)] * len(comps)), rows, tg)
    for b, c in enumerate(comps):
        ref = task.verify_one(inst, c)
        assert [bool(v.correct[b]), bool(v.trace_correct[b]), bool(v.well_formed[b])] == [
            ref["correct"],
            ref["trace_correct"],
            ref["well_formed"],
        ], vocab.decode(c)
        assert v.step_correct[b].tolist() == ref["step_correct"]
    return v


@pytest.fixture
def chain():
    task = envs.make_task("ModChain", L=3, revise=True, max_revisions=2)
    inst = task.generate(0, 1)
    assert inst.metadata["terms"] == [5, 0, 6] and list(inst.target[:7]) == [T0, d(5), d(5), d(1), T1, d(1), vocab.EOS]
    return task, inst


def test_a_revision_that_fixes_the_step_makes_the_trace_right(chain):
    task, inst = chain
    plain = [T0, d(5), d(5), d(1), T1, d(1), vocab.EOS]
    fixed = [T0, d(5), d(7), W, d(5), d(1), T1, d(1), vocab.EOS]  # 7 was wrong, 5 rewrites it
    twice = [T0, d(2), W, d(5), d(5), d(9), W, d(1), T1, d(1), vocab.EOS]
    v = verdicts(task, inst, [plain, fixed, twice, [T0, d(5), d(7), d(1), T1, d(1), vocab.EOS]])
    assert v.trace_correct[:3].all() and v.correct[:3].all()
    assert not v.trace_correct[3] and v.step_correct[3].tolist() == [True, False, True]


def test_a_revision_that_does_not_fix_leaves_the_trace_wrong(chain):
    task, inst = chain
    still_wrong = [T0, d(5), d(7), W, d(8), d(1), T1, d(1), vocab.EOS]  # rewrites 7 as another wrong 8
    broke_it = [T0, d(5), d(5), W, d(3), d(1), T1, d(1), vocab.EOS]  # discards the right 5
    wrong_answer = [T0, d(5), d(5), d(4), W, d(4), T1, d(4), vocab.EOS]
    v = verdicts(task, inst, [still_wrong, broke_it, wrong_answer])
    assert v.well_formed.all() and not v.trace_correct.any()
    assert v.step_correct[:, 1].tolist() == [False, False, True] and not v.correct[2]


def test_refused_waits_are_ill_formed(chain):
    """<wait> as the first token or right after <think> (no step to discard), twice in a row, in the
    answer region, or more often than max_revisions: the completion is ill formed."""
    task, inst = chain
    bad = [
        [W, T0, d(5), d(5), d(1), T1, d(1), vocab.EOS],
        [T0, W, d(5), d(5), d(1), T1, d(1), vocab.EOS],
        [T0, d(5), d(7), W, W, d(5), d(1), T1, d(1), vocab.EOS],
        [T0, d(5), d(5), d(1), T1, W, d(1), vocab.EOS],
        [T0, d(5), d(5), d(1), T1, d(2), W, d(1), vocab.EOS],
        [T0, d(5), d(5), d(1), W, T1, d(1), vocab.EOS],  # discards a step without rewriting it
        [T0, d(1), W, d(2), W, d(5), W, d(5), d(1), T1, d(1)],  # three revisions, max_revisions=2
    ]
    v = verdicts(task, inst, bad)
    assert not v.well_formed.any() and not v.correct.any()


def test_without_revise_a_wait_is_ill_formed_and_nothing_changes():
    plain, rev = envs.make_task("ModChain", L=3), envs.make_task("ModChain", L=3, revise=True)
    inst = plain.generate(0, 1)
    assert plain.completion_len == plain.canonical_len == 7 and rev.completion_len == 11
    assert inst.target == rev.generate(0, 1).target[:7]
    assert repr(plain) == "ModChain(L=3, p=10, cot=True, hint=0, split='all')"
    comp = [T0, d(5), d(7), W, d(5), d(1), T1, d(1), vocab.EOS]
    assert not plain.verify_one(inst, comp)["well_formed"] and rev.verify_one(inst, comp)["trace_correct"]


def random_completion(rng: random.Random, task, target: list[int]) -> list[int]:
    """The target with random revisions (right or wrong rewrites), random tokens or a cut."""
    C, C0 = task.completion_len, task.canonical_len
    out, i = [], 0
    while i < C0 and len(out) < C:
        t = target[i]
        if i in task.step_positions and rng.random() < 0.3:
            out += [rng.choice(task.value_tokens), W]
        if rng.random() < 0.05:
            t = rng.randrange(vocab.D_VOCAB)
        out.append(t)
        i += 1
    if rng.random() < 0.1:
        out = out[: rng.randrange(len(out) + 1)] + [vocab.EOS]
    return out[:C]


@pytest.mark.parametrize("name", REVISE_TASKS)
def test_verify_matches_verify_one_with_revisions(name):
    task, rng = envs.make_task(name, revise=True, max_revisions=3), random.Random(0)
    for j in range(6):
        inst = task.generate(3, j)
        verdicts(task, inst, [random_completion(rng, task, list(inst.target)) for _ in range(40)])


def test_revision_counts_judge_the_discarded_and_the_rewritten_step(chain):
    task, inst = chain
    comps = [
        [T0, d(5), d(7), W, d(5), d(1), T1, d(1), vocab.EOS],  # fixes step 2
        [T0, d(5), d(7), W, d(8), d(9), W, d(1), T1, d(1), vocab.EOS],  # no fix, then a fix of step 3
        [T0, d(5), d(5), W, d(5), d(1), T1, d(1), vocab.EOS],  # discards a right step: no fix
        [T0, W, d(5), d(5), d(1), T1, d(1), vocab.EOS],
    ]  # refused: counts nothing
    C = task.completion_len
    rows = torch.tensor([c + [vocab.PAD] * (C - len(c)) for c in comps])
    n_rev, n_fix = revision_counts(
        rows, torch.tensor([list(inst.target)] * 4), torch.tensor(task.value_tokens), task.max_revisions
    )
    assert n_rev.tolist() == [1, 2, 1, 0] and n_fix.tolist() == [1, 1, 0, 0]
    assert collapse_one(comps[1], task.value_tokens, 2) == [T0, d(5), d(8), d(1), T1, d(1), vocab.EOS]


def test_bad_revise_arguments_get_one_line_errors():
    with pytest.raises(ValueError, match="revise=True needs cot=True"):
        envs.make_task("ModChain", revise=True, cot=False)
    with pytest.raises(ValueError, match="max_revisions must be an integer in"):
        envs.make_task("ModChain", revise=True, max_revisions=0)
    with pytest.raises(ValueError, match="revise must be True or False"):
        envs.make_task("MultiDigitAdd", revise=1)
    with pytest.raises(ValueError, match="unknown argument 'revise' for Countdown"):
        envs.make_task("Countdown", revise=True)
    with pytest.raises(ValueError, match="reward='dense' cannot be combined with revise=True"):
        gym.make("aha/ModChain-v0", revise=True, reward="dense")


# --- the batched env against single envs, with revisions -------------------------------------------------
def revising_policy(rng, kind, task, target, plan):
    """Env kind 0 writes the target, 1 revises a step (rightly or not), 2 writes random tokens,
    3 writes <wait> at refused places. `plan` holds the tokens still to write (per env)."""
    if not plan:
        if kind == 2:
            return int(rng.integers(vocab.D_VOCAB))
        plan += (
            random_completion(random.Random(int(rng.integers(2**31))), task, list(target))
            if kind == 1
            else list(target[: task.canonical_len])
        )
        if kind == 3:
            plan.insert(int(rng.integers(len(plan))), W)
    return plan.pop(0)


@pytest.mark.parametrize("kw", [{}, {"delay": 2}, {"format_bonus": 0.5, "noise": 0.3}, {"hint": 1}])
@pytest.mark.parametrize("name", ["ModChain", "MultiDigitAdd"])
def test_vector_env_matches_single_envs_with_revise(name, kw):
    kw = {**kw, "revise": True, "max_revisions": 2}
    env_id, N = envs.env_id(name), 8
    venv = gym.make_vec(env_id, num_envs=N, vectorization_mode="vector_entry_point", **kw)
    senv = gym.vector.SyncVectorEnv([lambda: gym.make(env_id, **kw) for _ in range(N)])
    task, rng = venv.unwrapped.task, np.random.default_rng(2)
    vobs, _ = venv.reset(seed=3)
    sobs, _ = senv.reset(seed=3)
    plans, ends, revised, prev_len = [[] for _ in range(N)], 0, 0, np.zeros(N, dtype=int)
    for _ in range(5 * (task.completion_len + 3)):
        np.testing.assert_array_equal(vobs["tokens"].numpy(), sobs["tokens"])
        length = vobs["length"].numpy()
        for i in np.nonzero(length < prev_len)[0]:
            plans[i].clear()  # a new episode
        prev_len = length
        targets = venv.unwrapped.targets.numpy()
        actions = np.array([revising_policy(rng, i % 4, task, targets[i], plans[i]) for i in range(N)])
        vobs, vr, vterm, vtrunc, vinfo = venv.step(torch.as_tensor(actions))
        sobs, sr, sterm, strunc, sinfo = senv.step(actions)
        np.testing.assert_allclose(vr.numpy(), sr, rtol=0, atol=1e-12)
        assert (vterm.numpy() == sterm).all() and (vtrunc.numpy() == strunc).all()
        assert_same_info(vinfo, sinfo)
        ends += int((sterm | strunc).sum())
        if "_correct" in sinfo:  # episodes judged right although they hold a revision
            revised += int((sinfo["_correct"] & sinfo["correct"] & (sobs["tokens"] == W).any(1)).sum())
    assert ends >= 3 * N and revised >= 2
    senv.close()


# --- the pretraining corpus ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "rate"), [("ModChain", 0.3), ("MultiDigitAdd", 0.05), ("ModChain", 1.0)])
def test_corpus_revision_rate_matches_revise_rate(name, rate):
    from toymodels.pretrain import corpus

    task = envs.make_task(name, revise=True).with_split("train")
    n = 4000
    seed, idx = torch.full((n,), 7), torch.arange(n)
    _, comps, _ = corpus(task, seed, idx, prior=0.5, label_noise=0.1, revise_rate=rate)
    _, clean, _ = corpus(task, seed, idx, prior=0.5, label_noise=0.1, revise_rate=0.0)
    waits = (comps == W).sum(1)
    assert waits.max() <= 1
    frac = waits.float().mean().item()
    assert abs(frac - rate) <= 4 * (rate * (1 - rate) / n) ** 0.5 + 1e-9, frac
    final, legal = task.collapse(comps)
    assert legal.all() and torch.equal(final, clean)  # a self-correction ends in the trace's own step
    at = (comps == W).float().argmax(1)[waits > 0]  # each <wait>, and the slip just before it
    rows = torch.nonzero(waits > 0).squeeze(1)
    assert (comps[rows, at - 1] != comps[rows, at + 1]).all()  # the slip differs from the rewrite
    assert set((at - 1).tolist()) == set(task.step_positions)  # every step slot gets slips
    # counter-based: an item's trace does not depend on the batch it is drawn in
    sub = torch.tensor([3999, 5, 17])
    assert torch.equal(corpus(task, seed[sub], sub, 0.5, 0.1, rate)[1], comps[sub])


def test_revise_rate_is_validated_before_any_work():
    from toymodels.config import CellConfig

    with pytest.raises(ValueError, match=r"revise_rate must be a number in \[0.0, 1.0\], got 1.5"):
        CellConfig(revise=True, revise_rate=1.5)
    with pytest.raises(ValueError, match="revise_rate=0.2 needs revise=True"):
        CellConfig(revise_rate=0.2)
    with pytest.raises(ValueError, match="unknown argument 'revise' for Countdown"):
        CellConfig(task="Countdown", revise=True)
    with pytest.raises(ValueError, match="reward='dense' cannot be combined with revise=True"):
        CellConfig(revise=True, reward="dense")
    cfg = CellConfig(task="ModChain", horizon=3, revise=True, revise_rate=0.2, task_kwargs={"max_revisions": 3})
    assert all(t.revise and t.max_revisions == 3 for t in cfg.tasks().values())


# --- one tiny cell end to end ----------------------------------------------------------------------------
def test_tiny_cell_with_revise_trains_end_to_end():
    """Pretraining with revise_rate 0.5 makes the base model write <wait> (a twin pretrained with
    revise_rate 0 almost never does), RL runs with revisions allowed, every new variable lands in
    the results in range, and the reported pass@1 and wait_rate are those of the evaluation's
    samples judged one by one by the plain-Python collapse (`Task.verify_one`)."""
    from toymodels.config import CellConfig
    from toymodels.evaluate import EVAL_SLOT, eval_items, generate
    from toymodels.run import make_train, run_cell
    from toymodels.sampling import SAMPLE, stream

    kw = dict(
        task="ModChain",
        horizon=3,
        task_kwargs={"p": 5},
        revise=True,
        prior=1.0,
        width=16,
        depth=1,
        pretrain_tokens=100_000,
        rl_updates=4,
        log_every=1,
        prompts_per_update=4,
        group_size=4,
        minibatches=1,
        k_max=8,
        eval_prompts=12,
        seeds=(0, 1),
        device="cpu",
    )
    cfg = CellConfig(**kw, revise_rate=0.5)
    ds = run_cell(cfg)
    assert (ds.status == "ok").all()
    twin = run_cell(CellConfig(**kw, revise_rate=0.0), base_only=True)
    assert float(ds.base_wait_rate.sel(split="id").min()) > 0.25  # the corpus has a <wait> in half its traces
    assert float(twin.base_wait_rate.sel(split="id").max()) < 0.05
    assert float(twin.base_completion_len.min()) < float(ds.base_completion_len.min())  # revisions lengthen
    C = cfg.tasks()["id"].completion_len
    for phase in ("base", "rl"):
        for name, lo, hi in (("wait_rate", 0, 1), ("revise_fix_rate", 0, 1), ("completion_len", 1, C)):
            v = ds[f"{phase}_{name}"]
            assert v.dims == ("seed", "split") and bool(((v >= lo) & (v <= hi)).all()), (phase, name)
    for name, hi in (("wait_rate", 1), ("completion_len", C)):
        assert ds[name].dims == ("seed", "step") and bool(((ds[name] >= 0) & (ds[name] <= hi)).all())
        assert ds[name].attrs["units"] and ds[f"base_{name}"].attrs["description"]

    # the evaluation's samples again (same counter-based streams), judged by the reference verifier
    train = make_train(cfg, base_only=True)
    m, model = train(cfg.seeds)
    task = train.tasks["id"]
    prompts, targets = eval_items(task, cfg.eval_prompts, "cpu")
    streams = torch.tensor([stream(s, SAMPLE) for s in cfg.seeds])
    comps = generate(model, prompts[None].expand(2, -1, -1), C, cfg.k_max, 1.0, streams, EVAL_SLOT)
    for s in range(2):
        rows = comps[s].view(cfg.eval_prompts, cfg.k_max, C).tolist()
        right = waits = 0
        for b in range(cfg.eval_prompts):
            inst = envs.Instance(0, b, tuple(prompts[b].tolist()), tuple(targets[b].tolist()))
            for c in rows[b]:
                c = c[: c.index(vocab.EOS) + 1] if vocab.EOS in c else c
                right += task.verify_one(inst, c)["correct"]
                waits += W in c
        n = cfg.eval_prompts * cfg.k_max
        assert m["base"]["pass_at_k"][s, 0, 0] == pytest.approx(right / n, abs=1e-9)
        assert m["base"]["wait_rate"][s, 0] == pytest.approx(waits / n, abs=1e-6)  # a float32 mean
        assert m["base"]["wait_rate"][s, 0] == float(ds.base_wait_rate.sel(seed=cfg.seeds[s], split="id"))
