"""`CellConfig`'s validation (toymodels/config.py), kept beside it: each field alone, then the rules
between fields; a one-line ValueError that names the field and its allowed values, raised from
`CellConfig.__post_init__` before any training. The functions read the config through its fields
and methods only (``cfg``: the CellConfig being checked; no import of it, so no import circle)."""

from __future__ import annotations

import envs

from .algos import algo_names
from .devices import DEVICES
from .models import MODEL_KINDS, POSITIONS
from .pretrain import check_revise_rate
from .sampling import MAX_SEED

__all__ = ["CURRICULUM_BUDGETS", "check", "check_combinations"]

CURRICULUM_BUDGETS = ("equal", "extra")
"""curriculum_budget's values: 'equal' (the ramp inside rl_updates) or 'extra' (added to them)."""


def check(cfg) -> None:
    """Every field alone (its type and range, or its allowed values), then the rules between
    fields: a one-line ValueError naming the field and what it allows, before any work."""

    def choice(name, allowed):
        if getattr(cfg, name) not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {getattr(cfg, name)!r}")

    def integer(name, lo, hi=None, none=False):
        v = getattr(cfg, name)
        if none and v is None:
            return
        ok = not isinstance(v, bool) and isinstance(v, int) and v >= lo and (hi is None or v <= hi)
        if not ok:
            rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
            raise ValueError(f"{name} must be an integer {rng}{' or None' if none else ''}, got {v!r}")

    def number(name, lo, hi=None, lo_open=False):
        v = getattr(cfg, name)
        ok = not isinstance(v, bool) and isinstance(v, (int, float)) and v == v
        ok = ok and (v > lo if lo_open else v >= lo) and (hi is None or v <= hi)
        if not ok:
            close = "]" if hi is not None else ")"
            rng = f"{'(' if lo_open else '['}{lo}, {hi if hi is not None else 'inf'}{close}"
            raise ValueError(f"{name} must be a number in {rng}, got {v!r}")

    def boolean(name):
        if not isinstance(getattr(cfg, name), bool):
            raise ValueError(f"{name} must be True or False, got {getattr(cfg, name)!r}")

    choice("task", envs.task_names())
    choice("model_kind", MODEL_KINDS)
    choice("positions", POSITIONS)
    choice("algo", algo_names())
    choice("device", DEVICES)
    choice("curriculum_budget", CURRICULUM_BUDGETS)
    for b in ("cot", "std_norm", "token_sum_norm", "curriculum", "revise", "torch_compile"):
        boolean(b)
    integer("hint", 0)
    envs.RewardConfig(mode=cfg.reward, delay=cfg.delay, format_bonus=cfg.format_bonus, noise=cfg.noise)
    integer("width", 1)
    integer("depth", 1)
    integer("n_heads", 1, none=True)
    integer("d_mlp", 1, none=True)
    integer("n_ctx", 1, none=True)
    integer("horizon", 1, none=True)
    integer("pretrain_horizon", 1, none=True)
    integer("pretrain_tokens", 0)
    number("pretrain_tokens_per_param", 0.0)
    integer("pretrain_batch", 1)
    number("pretrain_lr", 0.0, lo_open=True)
    number("prior", 0.0, 1.0)
    number("label_noise", 0.0, 1.0)
    number("hint_rate", 0.0, 1.0)
    integer("pretrain_hint", 0, none=True)
    if cfg.think_rate is not None:
        number("think_rate", 0.0, 1.0)
    integer("pretrain_horizon_min", 1, none=True)
    integer("rl_updates", 1)
    integer("prompts_per_update", 1)
    integer("group_size", 1)
    number("rl_lr", 0.0)
    integer("rl_warmup", 0)
    number("kl_coef", 0.0)
    number("entropy_coef", 0.0)
    number("temperature", 0.0, lo_open=True)
    number("eval_temperature", 0.0, lo_open=True)
    number("clip_low", 0.0, 1.0)
    number("clip_high", 0.0)
    integer("ppo_epochs", 1)
    integer("minibatches", 1)
    if cfg.prompts_per_update % cfg.minibatches:
        raise ValueError(
            f"minibatches must divide prompts_per_update={cfg.prompts_per_update} "
            f"(equal minibatches of whole groups), got {cfg.minibatches}"
        )
    number("vf_coef", 0.0)
    number("max_grad_norm", 0.0, lo_open=True)
    integer("log_every", 1)
    integer("k_max", 1, 4096)
    if cfg.k_max & (cfg.k_max - 1):
        raise ValueError(f"k_max must be a power of two in [1, 4096], got {cfg.k_max}")
    integer("eval_prompts", 1)
    integer("val_prompts", 0)
    integer("ood_delta", 0)
    s = cfg.seeds
    if (
        not isinstance(s, tuple)
        or not s
        or len(set(s)) != len(s)
        or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < MAX_SEED for x in s)
    ):
        raise ValueError(f"seeds must be a non-empty tuple of distinct integers in [0, {MAX_SEED}), got {s!r}")
    integer("curriculum_start", 1)
    number("curriculum_frac", 0.0, 1.0, lo_open=True)
    check_combinations(cfg)


def check_combinations(cfg) -> None:
    """Rules between fields (the architecture, the tasks they make, revise, the curriculum)."""
    if cfg.n_heads is not None and cfg.width % cfg.n_heads:
        raise ValueError(f"n_heads must divide width={cfg.width}, got {cfg.n_heads}")
    if cfg.model_kind == "transformer" and cfg.positions == "rotary":
        if cfg.width % 2:
            raise ValueError(f"width must be even for rotary positions (or positions='learned'), got {cfg.width}")
        if cfg.n_heads is not None and (cfg.width // cfg.n_heads) % 2:
            raise ValueError(
                f"n_heads must leave an even head dimension width / n_heads for rotary positions, "
                f"got {cfg.n_heads} (width {cfg.width})"
            )
    # the tasks themselves validate the difficulty; n_ctx must hold the largest one
    _check_pretrain_mix(cfg)
    need = cfg._ctx_need()
    if cfg.n_ctx is not None and cfg.n_ctx < need:
        raise ValueError(f"n_ctx must be >= {need} (the longest task sequence here), got {cfg.n_ctx}")
    tasks = cfg.tasks()  # evaluation needs eval_prompts distinct held-out questions per split
    check_revise_rate(tasks["pretrain"], cfg.revise_rate)  # the one rule of the knob (pretraining's)
    if cfg.reward == "dense" and tasks["rl"].revise:
        raise ValueError(
            "reward='dense' cannot be combined with revise=True (a rewritten step would be paid "
            "again); use 'sparse' or 'random'"
        )
    for split in ("id", "ood"):
        envs.splits.check_heldout(tasks[split], cfg.eval_prompts)
    if cfg.val_prompts:
        try:
            envs.splits.check_heldout(tasks["id"], cfg.eval_prompts + cfg.val_prompts)
        except ValueError as e:
            raise ValueError(f"val_prompts={cfg.val_prompts} on top of eval_prompts: {e}") from None
    if cfg.curriculum:
        _check_curriculum(cfg)
    cfg.model_config()  # validates the architecture (e.g. rotary needs an even d_head)


def _check_pretrain_mix(cfg) -> None:
    ph = cfg.pretrain_hint if cfg.pretrain_hint is not None else cfg.hint
    if cfg.hint_rate > 0 and ph < 1:
        raise ValueError(
            f"hint_rate={cfg.hint_rate} needs pretrain_hint >= 1 (or hint >= 1): the steps the hinted "
            "pretraining prompts reveal"
        )
    H = cfg.pretrain_horizon if cfg.pretrain_horizon is not None else cfg.rl_horizon()
    if cfg.pretrain_horizon_min is not None and cfg.pretrain_horizon_min > H:
        raise ValueError(
            f"pretrain_horizon_min must be at most the pretraining horizon {H}, got {cfg.pretrain_horizon_min}"
        )
    try:
        cfg.pretrain_mix()
    except ValueError as e:
        raise ValueError(
            f"the pretraining corpus (pretrain_horizon_min={cfg.pretrain_horizon_min}, hint_rate="
            f"{cfg.hint_rate}, pretrain_hint={ph}) holds an invalid task: {e}"
        ) from None


def _check_curriculum(cfg) -> None:
    L, h0 = cfg.rl_horizon(), cfg.curriculum_start
    if h0 >= L:
        raise ValueError(f"curriculum_start must be below the RL horizon L={L} for the curriculum to ramp, got {h0}")
    try:
        cfg.make_task(h0)
    except ValueError as e:
        raise ValueError(f"curriculum_start={h0} is not a valid horizon of {cfg.task} ({e})") from None
