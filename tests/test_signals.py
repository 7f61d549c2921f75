"""Design signals the base model can read (issue 22 item 3).

The corpus: hint_rate (hinted prompts in pretraining), think_rate (a flag token that asks for the
trace or not, both formats in one corpus) and pretrain_horizon_min (horizons 1..L in pretraining),
mixed step by step within the token budget. Then, on one base that read all three, each signal
changes the RL rollouts against plain RL, and its no-signal twin (a base that never saw it) is
flagged by rl_health.
"""

import copy
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
import torch

from envs import vocab
from theory.health import rl_health
from toymodels import CellConfig, make_model, run_cell
from toymodels.evaluate import evaluate
from toymodels.pretrain import make_pretrain, mix_schedule
from toymodels.rl import horizon_at, make_rl, total_updates
from toymodels.run import pretrain_for

QUICK = dict(task="ModChain", horizon=3, width=16, pretrain_tokens=40_000, pretrain_batch=16, device="cpu")


# --- the corpus ------------------------------------------------------------------------------------
def step_prompts(cfg, n_steps):
    pre = pretrain_for(cfg)
    streams = torch.tensor([7])
    return pre, [(pre.task_at(i), pre.data(i, streams)[0][0]) for i in range(min(n_steps, pre.n_steps))]


def test_hint_rate_is_the_share_of_hinted_pretraining_sequences_and_the_hint_is_the_traces_own():
    cfg = CellConfig(**QUICK, hint_rate=0.25, pretrain_hint=2, prior=0.5)
    pre, steps = step_prompts(cfg, 40)
    hinted = [t.hint > 0 for t, _ in steps]
    assert sum(hinted) == 10  # a quarter of any 40 steps, to within one step
    streams = torch.tensor([7])
    for i, (t, prompts) in enumerate(steps):
        Q = t.question_len()
        if t.hint:
            assert (prompts[:, Q] == vocab.HINT).all()
            comps = pre.data(i, streams)[1][0]  # the hint repeats the trace's first two steps, right rule or wrong
            torch.testing.assert_close(prompts[:, Q + 1 : Q + 3], comps[:, 1:3])
        else:
            assert prompts.shape[1] == Q


def test_think_rate_mixes_both_formats_with_the_flag_that_names_them():
    cfg = CellConfig(**QUICK, think_rate=0.75)
    pre, steps = step_prompts(cfg, 40)
    assert Counter(t.cot for t, _ in steps) == {True: 30, False: 10}
    streams = torch.tensor([7])
    for i, (t, prompts) in enumerate(steps):
        comps = pre.data(i, streams)[1][0]
        assert (prompts[:, -1] == (vocab.THINK if t.cot else vocab.END_THINK)).all()
        assert (comps[:, 0] == vocab.THINK).all() == t.cot  # the trace is written exactly when asked for
    for arm in (True, False):  # RL and evaluation ask as cot says, with the same flag
        rl = replace(cfg, cot=arm).tasks()["rl"]
        assert rl.think_flag and rl.batch(torch.zeros(1), torch.zeros(1))[0][0, -1] == rl.flag_token


def test_horizons_in_pretraining_get_equal_shares_within_the_token_budget():
    cfg = CellConfig(**{**QUICK, "horizon": 4}, pretrain_horizon_min=1)
    mix = cfg.pretrain_mix()
    assert [t.L for t, _ in mix] == [1, 2, 3, 4] and all(w == 0.25 for _, w in mix)
    sched = mix_schedule(mix, cfg.pretrain_tokens, cfg.pretrain_batch)
    counts = Counter(sched)
    assert max(counts.values()) - min(counts.values()) <= 1
    cost = [16 * (t.prompt_len + t.canonical_len) for t, _ in mix]
    used = sum(cost[j] for j in sched)
    assert used <= cfg.pretrain_tokens < used + max(cost)
    assert pretrain_for(cfg).tokens == used


def test_a_plain_corpus_is_the_old_single_task_pretraining():
    cfg = CellConfig(**QUICK)
    (only,) = cfg.pretrain_mix()
    assert only[1] == 1.0 and repr(only[0]) == repr(cfg.tasks()["pretrain"])
    a = make_pretrain(cfg.tasks()["pretrain"], budget=40_000, batch=16, lr=3e-3, prior=0.5, label_noise=0.0,
                      max_grad_norm=1.0)  # fmt: skip
    b = pretrain_for(cfg)
    assert a.n_steps == b.n_steps
    m1, m2 = make_model(cfg.model_config(), (0,)), make_model(cfg.model_config(), (0,))
    np.testing.assert_array_equal(a(m1)[0].numpy(), b(m2)[0].numpy())


def test_bad_corpus_settings_are_one_line_errors():
    for kw, field in [
        (dict(hint_rate=0.5), "pretrain_hint"),
        (dict(hint_rate=1.5, pretrain_hint=1), "hint_rate"),
        (dict(think_rate=-0.1), "think_rate"),
        (dict(pretrain_horizon_min=9), "pretrain_horizon_min"),
        (dict(curriculum_budget="more"), "curriculum_budget"),
    ]:
        with pytest.raises(ValueError, match=field) as e:
            CellConfig(**QUICK, **kw)
        assert "\n" not in str(e.value)


def test_both_arms_of_a_signal_share_one_base():
    """The pretraining of a hint arm and of a without-trace arm is the plain arm's, float for float."""
    kw = dict(QUICK, hint_rate=0.5, pretrain_hint=2, think_rate=0.5, rl_updates=1, prompts_per_update=4,
              group_size=4, k_max=4, eval_prompts=8)  # fmt: skip
    plain = run_cell(CellConfig(**kw))
    for arm in (dict(hint=2), dict(cot=False)):
        other = run_cell(CellConfig(**kw, **arm))
        np.testing.assert_array_equal(plain.pretrain_loss.values, other.pretrain_loss.values)
        assert int(other.n_params) == int(plain.n_params)


def test_curriculum_budget_extra_adds_the_ramp_before_plain_rls_updates():
    base = CellConfig(**QUICK, rl_updates=20, curriculum=True, curriculum_frac=0.5)
    extra = replace(base, curriculum_budget="extra")
    assert total_updates(base) == 20 and total_updates(extra) == 30
    assert [horizon_at(extra, u) for u in range(30)].count(3) == 20  # plain RL's 20 updates at L
    assert [horizon_at(base, u) for u in range(20)].count(3) == 10


# --- the signals act on a base that can read them ------------------------------------------------------
READS = dict(
    task="ModChain",
    horizon=3,
    width=64,
    prior=1.0,
    pretrain_tokens=500_000,
    pretrain_batch=32,
    hint_rate=0.5,
    pretrain_hint=2,
    think_rate=0.5,
    pretrain_horizon_min=1,
    rl_updates=20,
    log_every=1,
    k_max=8,
    eval_prompts=64,
    seeds=(0,),
    device="cpu",
)
"""One base for every signal: ModChain L=3 pretrained (correct rule only) on hinted and unhinted
prompts, with and without the trace, at horizons 1..3. Plain RL trains on it at this width."""
ARMS = {
    "plain": {},
    "hint": {"hint": 2, "rl_updates": 10},
    "no-think": {"cot": False, "rl_updates": 10},
    "curriculum": {"curriculum": True, "rl_updates": 10},
}
"""The signal arms run only the updates their tests read (the first 10, the curriculum's first 3):
an update does not depend on how many follow it (the learning rate's warm-up counts from update 0;
a curriculum of 10 updates has horizon 1 on its first 3 like one of 20), so these curves equal
the first updates of a 20-update run, number for number."""


@pytest.fixture(scope="module")
def reads():
    cfg = CellConfig(**READS)
    model = make_model(cfg.model_config(), cfg.seeds)
    _, alive = pretrain_for(cfg)(model)
    out = {}
    for name, arm in ARMS.items():
        c = replace(cfg, **arm)
        assert c.model_config() == cfg.model_config()  # one base for every arm
        full = replace(c, rl_updates=cfg.rl_updates)  # the curves read are this one's first updates
        assert [horizon_at(c, u) for u in range(3)] == [horizon_at(full, u) for u in range(3)]
        m = copy.deepcopy(model)
        tasks = c.tasks()
        base = {s: evaluate(m, tasks[s], 64, 8, 1.0)["pass_at_k"][0, 0] for s in ("id", "id_hinted") if s in tasks}
        curves, _ = make_rl(c)(m, alive.clone())
        after = evaluate(m, c.tasks()["id"], 64, 8, 1.0)["pass_at_k"][0, 0]
        out[name] = {"base": base, "rl": after, "curves": {k: v[0] for k, v in curves.items() if np.ndim(v) == 2}}
    return out


def early(run, key="reward", n=5):
    return float(np.mean(run["curves"][key][:n]))


def differs(a: float, b: float, n_updates: int, z: float = 3.0) -> bool:
    """Two mean rewards, each over n_updates updates of 16 x 8 episodes, differ by more than z binomial
    standard errors of their difference."""
    n = n_updates * 16 * 8
    return abs(a - b) > z * np.sqrt(a * (1 - a) / n + b * (1 - b) / n)


def test_plain_rl_trains_on_the_shared_base(reads):
    r = reads["plain"]["curves"]["reward"]
    first, last = float(r[:5].mean()), float(r[-5:].mean())
    assert last > first and differs(last, first, 5), r
    assert reads["plain"]["rl"] > reads["plain"]["base"]["id"]


def test_the_hint_is_read_by_the_base_and_changes_the_rollouts(reads):
    h = reads["hint"]
    assert h["base"]["id_hinted"] > h["base"]["id"] + 0.3  # the base uses what the hint reveals
    assert early(h, n=10) > early(reads["plain"], n=10) and differs(early(h, n=10), early(reads["plain"], n=10), 10)


def test_asking_for_the_trace_or_not_changes_the_rollouts(reads):
    nt, plain = reads["no-think"], reads["plain"]
    assert early(nt, "completion_len") < early(plain, "completion_len") - 3  # the answer alone, <eos> after it
    assert early(nt, "ill_formed") < 0.1  # and well formed: the base reads the flag
    assert differs(early(nt, n=10), early(plain, n=10), 10)


def test_a_curriculum_over_pretrained_horizons_changes_the_rollouts(reads):
    cur = reads["curriculum"]
    assert list(cur["curves"]["rl_horizon"][:3]) == [1, 1, 1]
    assert early(cur, n=3) > 0.9 and differs(early(cur, n=3), early(reads["plain"], n=3), 3)


# --- a base that never saw the signal: no signal, and rl_health says so ------------------------------
NAIVE = dict(task="ModChain", horizon=3, width=32, prior=1.0, pretrain_tokens=150_000, pretrain_batch=32,
             rl_updates=10, k_max=4, eval_prompts=16, seeds=(0,), device="cpu")  # fmt: skip


@pytest.mark.parametrize("arm", [dict(hint=2), dict(curriculum=True)])
def test_a_signal_the_base_never_saw_is_flagged_no_signal(arm):
    ds = run_cell(CellConfig(**NAIVE, **arm)).sel(seed=0)
    assert float(ds.informative_early) == 0 and float(ds.reward.isel(step=0)) == 0
    assert str(ds.rl_health.values) == "no-signal"
    label = rl_health("ok", 0.3, 0.3, 16, float(ds.informative_early), float(ds.ill_formed_late))
    assert label == "no-signal"
