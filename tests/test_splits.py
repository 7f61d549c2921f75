"""Item 7: the item space is split by content, so an evaluation prompt never occurs in the
pretraining or RL data; a task whose space is too small for the held-out set is an error."""

import gymnasium as gym
import pytest
import torch

import envs
from envs import splits, vocab
from toymodels import CellConfig, make_model
from toymodels.evaluate import eval_items
from toymodels.pretrain import make_pretrain
from toymodels.rollout import make_env, rollout
from toymodels.sampling import PRETRAIN, stream

TASKS = envs.task_names()
SMALLEST = {name: {envs.task_class(name).horizon_arg: 2 if name == "Countdown" else 1} for name in TASKS}


def questions(task, prompts: torch.Tensor) -> set[tuple[int, ...]]:
    return {tuple(q) for q in prompts[..., : task.question_len()].reshape(-1, task.question_len()).tolist()}


@pytest.mark.parametrize("name", TASKS)
def test_train_and_eval_splits_hold_only_their_part(name):
    full, train, held = (envs.make_task(name, split=s) for s in ("all", "train", "eval"))
    seed, idx = torch.full((2000,), 7), torch.arange(2000)
    q_all = full.batch(seed, idx)[0][:, : full.question_len()]
    share = splits.is_heldout(q_all).float().mean().item()
    assert abs(share - 1 / splits.EVAL_SHARE) < 0.03  # one question in 8 is held out
    assert not splits.is_heldout(train.batch(seed, idx)[0][:, : full.question_len()]).any()
    assert splits.is_heldout(held.batch(seed, idx)[0][:, : full.question_len()]).all()
    # the python twin agrees with torch, on the hash and on the items
    for i in range(0, 2000, 97):
        inst = train.generate(7, i)
        assert not splits.is_heldout(list(inst.prompt[: full.question_len()]))
        assert splits.is_heldout(q_all[i].tolist()) == bool(splits.is_heldout(q_all[i : i + 1])[0])


@pytest.mark.parametrize("name", TASKS)
def test_split_envs_single_and_batched_agree(name):
    kw = {"split": "train", "hint": 1}
    single = gym.make(envs.env_id(name), **kw).unwrapped
    venv = gym.make_vec(envs.env_id(name), num_envs=3, vectorization_mode="vector_entry_point", **kw)
    venv.reset(seed=40)
    for i in range(3):
        single.reset(seed=40 + i)
        assert venv.prompts[i].tolist() == list(single.instance.prompt)
        assert venv.targets[i].tolist() == list(single.instance.target)
    assert "`split`" in type(single).__doc__


def test_split_is_validated_and_a_space_without_train_items_errors():
    with pytest.raises(ValueError, match="split must be one of all, train, eval; got 'test'"):
        envs.make_task("ModChain", split="test")
    with pytest.raises(ValueError, match="split must be one of all, train, eval"):
        gym.make("aha/ModChain-v0", split=3)
    # ModChain L=1 has p questions; where none of them is held out, the eval part is empty
    empty = 0
    for p in range(2, 11):
        q = torch.stack([torch.arange(p) + vocab.DIGIT0, torch.full((p,), vocab.EQ)], 1)  # (p, 2)
        if splits.is_heldout(q).any():
            continue
        empty += 1
        for make in (lambda t: t.batch(torch.zeros(4, dtype=torch.long), torch.arange(4)), lambda t: t.generate(0, 3)):
            with pytest.raises(ValueError, match="no question of the 'eval' part .* ModChain L=1"):
                make(envs.make_task("ModChain", L=1, p=p, split="eval"))
    assert empty  # the case was exercised


def small_cell(name, **kw):
    return CellConfig(
        task=name,
        task_kwargs=SMALLEST[name],
        width=8,
        pretrain_tokens=4000,
        pretrain_batch=16,
        rl_updates=6,
        prompts_per_update=8,
        group_size=2,
        k_max=2,
        ood_delta=1,
        seeds=(0, 1),
        device="cpu",
        **kw,
    )


@pytest.mark.parametrize("name", TASKS)
def test_no_evaluation_prompt_occurs_in_pretraining_or_rl_data(name):
    """At each task's smallest horizon (the smallest item space), the held-out prompts of both
    evaluation splits are absent from the pretraining corpus and from the RL rollouts."""
    probe = small_cell(name, eval_prompts=1)
    tasks = probe.tasks()
    n = min(8, splits.count_heldout(tasks["id"]))
    cfg = small_cell(name, eval_prompts=n)
    held = {}
    for split in ("id", "ood"):
        prompts, _ = eval_items(tasks[split], n, "cpu")
        held[split] = questions(tasks[split], prompts)
        assert len(held[split]) == n  # distinct prompts
        assert all(splits.is_heldout(list(q)) for q in held[split])
    pt = make_pretrain(
        tasks["pretrain"],
        budget=cfg.pretrain_tokens,
        batch=cfg.pretrain_batch,
        lr=1e-3,
        prior=0.5,
        label_noise=0.0,
        max_grad_norm=1.0,
    )
    streams = torch.tensor([stream(s, PRETRAIN) for s in cfg.seeds])
    seen = set()
    for i in range(pt.n_steps):
        seen |= questions(tasks["pretrain"], pt.data(i, streams)[0])
    model = make_model(cfg.model_config(), list(cfg.seeds))
    env = make_env(cfg, cfg.rl_horizon(), len(cfg.seeds) * cfg.prompts_per_update * cfg.group_size, "cpu")
    for u in range(cfg.rl_updates):
        ro = rollout(model, env, u, cfg.prompts_per_update, cfg.group_size, 1.0)
        seen |= questions(tasks["id"], ro.prompts)
    assert len(seen) > 1
    assert not (held["id"] & seen) and not (held["ood"] & seen)


@pytest.mark.parametrize(
    ("name", "kwargs", "count"),
    [
        ("SparseParity", {"n_bits": 8}, "256 questions"),
        ("ModChain", {"L": 2}, "100 questions"),
    ],
)
def test_item_space_too_small_for_the_held_out_prompts_is_a_config_error(name, kwargs, count):
    with pytest.raises(ValueError) as e:
        CellConfig(task=name, task_kwargs=kwargs, eval_prompts=64, ood_delta=0)
    msg = str(e.value)
    assert "\n" not in msg and "eval_prompts" in msg and name in msg and count in msg
    have = splits.count_heldout(envs.make_task(name, **kwargs))
    assert f"only {have} distinct held-out" in msg
    CellConfig(task=name, task_kwargs=kwargs, eval_prompts=have, ood_delta=0)  # exactly enough is fine


def test_held_out_count_is_exact_on_a_small_space():
    task = envs.make_task("ModChain", L=3)
    every = torch.cartesian_prod(*[torch.arange(10)] * 3) + vocab.DIGIT0  # (1000, 3)
    q = torch.cat([every, torch.full((1000, 1), vocab.EQ)], 1)
    assert splits.count_heldout(task) == int(splits.is_heldout(q).sum())
    prompts, targets = eval_items(task, splits.count_heldout(task), "cpu")  # all of them: still found
    assert len(questions(task, prompts)) == splits.count_heldout(task)
    assert splits.count_heldout(envs.make_task("ModChain", L=6)) is None  # too many to count
