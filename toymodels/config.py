"""`CellConfig`: one cell group of a grid (one architecture, one setting, several seeds).

Flat fields so that a grid sweeps any of them by name. Validation happens in `__post_init__`
(one-line ValueError naming the field and its allowed values), before any training; its rules live
in toymodels/config_check.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import envs

from .config_check import CURRICULUM_BUDGETS, check
from .devices import resolve_device
from .models import ModelConfig

__all__ = ["CURRICULUM_BUDGETS", "CellConfig", "resolve_device"]


@dataclass(frozen=True)
class CellConfig:
    # --- task ---------------------------------------------------------------------------------
    task: str = "ModChain"
    """Task name (envs.task_names())."""
    task_kwargs: Any = ()
    """Task difficulty arguments; given as a dict, stored as a sorted tuple of (name, value)."""
    horizon: int | None = None
    """RL horizon; overrides task_kwargs[task.horizon_arg]; None: the task's default."""
    cot: bool = True
    """Chain of thought: intermediate steps between <think> and </think>."""
    hint: int = 0
    """Leading steps revealed in RL prompts (an intervention on RL: the evaluation splits are the
    plain cell's, and a hint cell is also evaluated with the hint). The base reads a hint only if
    its pretraining showed some (`hint_rate`)."""
    reward: str = "sparse"
    """Reward mode: 'sparse', 'dense' or 'random'."""
    delay: int = 0
    """Steps between the end of the answer and the reward."""
    format_bonus: float = 0.0
    """Reward of a well-formed wrong answer."""
    noise: float = 0.0
    """Probability of flipping the verdict."""
    revise: bool = False
    """Self-correction: True passes revise=True to the task (ModChain, MultiDigitAdd, SparseParity),
    so `<wait>` discards the step before it and the verdict judges the collapsed trace, in
    pretraining, RL and evaluation alike (`envs.revise`; max_revisions via task_kwargs, default 2)."""
    # --- model --------------------------------------------------------------------------------
    model_kind: str = "transformer"
    """'transformer' or 'mlp'."""
    width: int = 64
    """d_model."""
    depth: int = 1
    """n_layers."""
    n_heads: int | None = None
    """Attention heads; None: max(1, width // 16), lowered until it divides width (and, for rotary
    positions, leaves an even head dimension)."""
    d_mlp: int | None = None
    """Transformer MLP width; None: 4 * width."""
    n_ctx: int | None = None
    """Context length; None: the largest task.min_ctx over the difficulties used."""
    positions: str = "rotary"
    """Transformer positions: 'rotary' (relative; any length) or 'learned' (absolute table of n_ctx rows)."""
    # --- pretraining --------------------------------------------------------------------------
    pretrain_tokens: int = 135_000
    """Pretraining budget in tokens (prompt + completion per sequence): the same for every size, or
    the floor of a budget that grows with size (pretrain_tokens_per_param)."""
    pretrain_tokens_per_param: float = 0.0
    """0: every size gets pretrain_tokens (the fixed budget). r > 0: a budget that grows with size,
    max(pretrain_tokens, r * n_params) tokens (n_params non-embedding), so that a wider model is not
    a less trained one."""
    pretrain_batch: int = 32
    """Sequences per pretraining step."""
    pretrain_lr: float = 3e-3
    """Peak AdamW learning rate of pretraining (10-step warm-up, cosine to 10%)."""
    prior: float = 0.5
    """Fraction of pretraining traces that follow the task's correct rule; the others follow its
    one consistent wrong rule (Task.wrong_parts), so below 0.5 the wrong strategy is the mode."""
    label_noise: float = 0.0
    """Independent label noise: each value slot of any pretraining trace becomes another token of
    the same kind with this probability."""
    revise_rate: float = 0.0
    """Fraction of pretraining traces with one self-correction (a wrong step, `<wait>`, the right
    step), in [0, 1]; above 0 it needs revise=True."""
    pretrain_horizon: int | None = None
    """Horizon of pretraining data; None: the RL horizon."""
    hint_rate: float = 0.0
    """Fraction of pretraining sequences whose prompt shows a hint (`<hint>` and the trace's first
    `pretrain_hint` steps), in [0, 1], so that a hint means something to the base before RL; a
    hint arm and its plain arm then share this base and differ in RL only. 0: no hint in pretraining."""
    pretrain_hint: int | None = None
    """Steps revealed by the hinted pretraining prompts; None: `hint`. Must be >= 1 when hint_rate > 0."""
    think_rate: float | None = None
    """Think-first flag. None: prompts carry no flag and `cot` sets the format everywhere. A number
    in [0, 1]: every prompt ends with a flag asking for the trace (`<think>`) or for the answer
    alone (`</think>`); pretraining mixes both, this fraction asking for the trace, and RL and
    evaluation ask as `cot` says, so a think-first arm (cot=True) and its without arm (cot=False)
    share one base and differ in RL only."""
    pretrain_horizon_min: int | None = None
    """Horizons in pretraining. None: pretrain_horizon only. An integer h0: equal shares of the
    pretraining sequences at every horizon h0 .. pretrain_horizon (within the same token budget),
    so a curriculum's short horizons mean something to the base its plain arm shares."""
    curriculum: bool = False
    """RL horizon ramps from curriculum_start up to the RL horizon L over the first
    curriculum_frac of the updates, then stays at L (pretraining is unaffected)."""
    curriculum_start: int = 1
    """Curriculum: RL horizon of the first update; >= the task's smallest horizon and < L."""
    curriculum_frac: float = 0.5
    """Curriculum: fraction of the updates, in (0, 1], over which the horizon ramps; each of
    curriculum_start .. L - 1 gets an equal share of them."""
    curriculum_budget: str = "equal"
    """Curriculum compute. 'equal': the ramp is inside rl_updates (as many updates and episodes as
    plain RL, fewer of them at L, fewer tokens). 'extra': ceil(curriculum_frac * rl_updates) ramp
    updates come first, then rl_updates updates at L (plain RL's updates at L plus the ramp's)."""
    # --- RL -----------------------------------------------------------------------------------
    algo: str = "grpo"
    """RL algorithm, a name in `toymodels.algos` (grpo, dr_grpo, rloo, ppo, reinforce, or one
    registered with `register_algorithm`)."""
    rl_updates: int = 150
    """Policy updates."""
    prompts_per_update: int = 16
    """Distinct prompts per update (groups)."""
    group_size: int = 8
    """Samples per prompt (G)."""
    rl_lr: float = 1e-4
    """Peak learning rate of RL (per-seed AdamW, `toymodels.optim`), constant after the warm-up.
    The default is 1/30 of pretrain_lr's default: RL's step stays small next to pretraining's
    (on the demo's setting 1e-3 broke a capable base, 1e-4 did not: docs/recipe.md)."""
    rl_warmup: int = 10
    """Updates of linear warm-up of the RL learning rate: update u uses rl_lr * min(1, (u + 1) /
    rl_warmup); 0: none."""
    kl_coef: float = 0.0
    """Coefficient of the exact KL(pi || pi_base) per completion position (summed over the
    vocabulary at the rollout temperature) added to each token's loss; 0: no penalty (the KL is
    logged either way)."""
    entropy_coef: float = 0.0
    """Coefficient of the entropy bonus."""
    temperature: float = 1.0
    """Sampling temperature of RL rollouts and of the RL loss's probabilities (> 0); evaluation
    uses eval_temperature, so a temperature intervention acts on RL only."""
    std_norm: bool = True
    """GRPO (and PPO's group advantage, unused by its loss): divide group-centred rewards by the
    group standard deviation."""
    token_sum_norm: bool = False
    """Sum token losses and divide by a constant (sequences x completion length) instead of
    averaging per sequence, for any algorithm (algo='dr_grpo' always does, without std_norm)."""
    clip_low: float = 0.2
    """Lower ratio clip (1 - clip_low)."""
    clip_high: float = 0.28
    """Upper ratio clip (1 + clip_high); DAPO clip-higher."""
    ppo_epochs: int = 1
    """Epochs over each rollout (all algorithms); each epoch makes `minibatches` optimiser steps."""
    minibatches: int = 4
    """Optimiser steps per epoch: each rollout's groups split into this many equal disjoint
    minibatches (must divide prompts_per_update). Ratios (and clipping) move from the second on."""
    vf_coef: float = 0.5
    """PPO value-loss coefficient."""
    max_grad_norm: float = 1.0
    """Per-seed gradient clipping norm (pretraining and RL)."""
    log_every: int = 10
    """Record RL curves every this many updates (plus update 0 and the last)."""
    # --- evaluation ---------------------------------------------------------------------------
    k_max: int = 64
    """Largest k of pass@k (a power of two); also the samples per evaluation prompt."""
    eval_temperature: float = 1.0
    """Sampling temperature of every evaluation: pass@k samples and step_prob (> 0)."""
    eval_prompts: int = 64
    """Held-out prompts per split."""
    val_prompts: int = 0
    """Validation prompts: held-out prompts after the eval_prompts the final evaluation uses
    (`toymodels.validate`), for choosing a recipe (the per-width RL learning rate); pass@1 on them
    before and after RL is stored as base_val_pass_at_1 / rl_val_pass_at_1. 0: none."""
    ood_delta: int = 2
    """The OOD split uses horizon + ood_delta."""
    # --- run ----------------------------------------------------------------------------------
    seeds: tuple[int, ...] = (0,)
    """Seeds trained together in one batched pass."""
    device: str = "auto"
    """'auto' (CUDA when available), 'cpu' or 'cuda'."""
    torch_compile: bool = False
    """Run the model's full-sequence passes (pretraining, the RL update, teacher forcing; decoding
    stays eager) through torch.compile (inductor, needs a C++ compiler on CPU): same statistics as
    eager, not the same bits (float rounding moves sampled tokens). Off by default: on 2 CPU cores
    it did not pay (benchmarks/compile_speed.py, benchmarks/README.md)."""

    def __post_init__(self):
        tk = self.task_kwargs
        if isinstance(tk, dict):
            tk = tuple(sorted(tk.items()))
        if not isinstance(tk, tuple) or not all(isinstance(p, tuple) and len(p) == 2 for p in tk):
            raise ValueError(f"task_kwargs must be a dict of task arguments, got {self.task_kwargs!r}")
        object.__setattr__(self, "task_kwargs", tk)
        object.__setattr__(self, "seeds", tuple(self.seeds) if isinstance(self.seeds, list) else self.seeds)
        self._check()

    # --- validation ---------------------------------------------------------------------------
    def _check(self):
        """Every field, then the rules between fields (toymodels/config_check.py)."""
        check(self)

    # --- derived --------------------------------------------------------------------------------
    def task_args(self, horizon: int | None = None, hint: int | None = None, cot: bool | None = None) -> dict[str, Any]:
        """Task arguments at `horizon` (None: the task_kwargs'), with `hint` (None: the RL hint) and
        `cot` (None: the cell's); with think_rate set, the prompts carry the think-first flag."""
        kw = dict(self.task_kwargs)
        harg = envs.task_class(self.task).horizon_arg
        if horizon is not None:
            kw[harg] = horizon
        if self.revise:
            kw["revise"] = True
        if self.think_rate is not None:
            kw["think_flag"] = True
        return {**kw, "cot": self.cot if cot is None else cot, "hint": self.hint if hint is None else hint}

    def make_task(self, horizon: int | None = None, hint: int | None = None, cot: bool | None = None) -> envs.Task:
        try:
            return envs.make_task(self.task, **self.task_args(horizon, hint, cot))
        except TypeError as e:
            raise ValueError(f"task_kwargs: {e}") from None

    def pretrain_mix(self) -> list[tuple[envs.Task, float]]:
        """The pretraining corpus as (task, share of the sequences): every horizon of
        pretrain_horizon_min .. pretrain_horizon in equal shares; at each, a share hint_rate of
        hinted prompts (`<hint>` and the first pretrain_hint steps; none at a horizon with no more
        steps than that, where the hint would be the whole trace); with think_rate, a share think_rate
        asking for the trace and the rest for the answer alone. Components of share 0 are left out."""
        H = self.pretrain_horizon if self.pretrain_horizon is not None else self.rl_horizon()
        horizons = range(self.pretrain_horizon_min, H + 1) if self.pretrain_horizon_min is not None else [H]
        ph = self.pretrain_hint if self.pretrain_hint is not None else self.hint
        cots = [(self.cot, 1.0)] if self.think_rate is None else [(True, self.think_rate), (False, 1 - self.think_rate)]
        out = []
        for h in horizons:
            n_steps = len(self.make_task(h, hint=0).step_layout())
            rate = self.hint_rate if n_steps > ph else 0.0
            for n_hint, wh in ((0, 1.0 - rate), (ph, rate)):
                for cot, wc in cots:
                    if wh * wc > 0:
                        out.append((self.make_task(h, hint=n_hint, cot=cot), wh * wc / len(horizons)))
        return out

    def rl_horizon(self) -> int:
        if self.horizon is not None:
            return self.horizon
        t = self.make_task()
        return int(t.difficulty()[t.horizon_arg])

    def tasks(self) -> dict[str, envs.Task]:
        """The tasks this cell uses: 'pretrain' (the corpus's plain component; `pretrain_mix` has them
        all), 'rl' (at the RL horizon), 'id' and 'ood' (evaluation).

        Only 'rl' carries the hint: evaluation is the plain cell's. A hint cell adds 'id_hinted' and
        'ood_hinted', the evaluation splits with the hint in the prompt."""
        H = self.rl_horizon()
        ph = self.pretrain_horizon if self.pretrain_horizon is not None else H
        out = {
            "pretrain": self.make_task(ph, hint=0),
            "rl": self.make_task(H),
            "id": self.make_task(H, hint=0),
            "ood": self.make_task(H + self.ood_delta, hint=0),
        }
        if self.hint:
            out |= {"id_hinted": self.make_task(H), "ood_hinted": self.make_task(H + self.ood_delta)}
        return out

    def _ctx_need(self) -> int:
        """Default n_ctx: the longest plain (unhinted) sequence of RL and evaluation (in both formats
        with think_rate), or of the pretraining corpus, so a hint or the think-first flag in RL leaves
        the model as the plain cell's; a learned position table must also hold the hinted RL and
        evaluation sequences."""
        tasks = self.tasks()
        plain = [t for name, t in tasks.items() if name in ("pretrain", "id", "ood")]
        plain += [t for t, _ in self.pretrain_mix()]
        if self.think_rate is not None:  # both formats, so both arms of a think-first pair share the model
            H = self.rl_horizon()
            plain += [self.make_task(h, hint=0, cot=c) for h in (H, H + self.ood_delta) for c in (True, False)]
        use = [*tasks.values(), *plain] if self.model_kind == "transformer" and self.positions == "learned" else plain
        return max(t.min_ctx for t in use)

    def model_config(self) -> ModelConfig:
        heads = self.n_heads
        if heads is None:
            heads = max(1, self.width // 16)
            even = self.model_kind == "transformer" and self.positions == "rotary"
            while self.width % heads or (even and heads > 1 and (self.width // heads) % 2):
                heads -= 1
        n_ctx = self.n_ctx or self._ctx_need()
        return ModelConfig(
            kind=self.model_kind,
            d_model=self.width,
            n_layers=self.depth,
            n_heads=heads,
            d_mlp=self.d_mlp or 4 * self.width,
            n_ctx=n_ctx,
            positions=self.positions,
        )

    def pretrain_budget(self, n_params: int | None = None) -> int:
        """Pretraining tokens of this cell: pretrain_tokens, or with pretrain_tokens_per_param r > 0,
        max(pretrain_tokens, round(r * n_params)) (n_params counted from the architecture when not given)."""
        if not self.pretrain_tokens_per_param:
            return self.pretrain_tokens
        if n_params is None:
            import torch  # noqa: PLC0415

            from .models import make_model  # noqa: PLC0415

            with torch.device("meta"):  # shapes only: no memory, no random numbers
                n_params = make_model(self.model_config(), (0,)).n_params
        return max(self.pretrain_tokens, round(self.pretrain_tokens_per_param * n_params))

    def resolved_device(self):
        return resolve_device(self.device)

    def cell_key(self) -> CellConfig:
        """The same config without its seeds (seeds=(0,)), for grouping cells across seeds."""
        return replace(self, seeds=(0,))

    # --- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["task_kwargs"] = dict(self.task_kwargs)
        d["seeds"] = list(self.seeds)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CellConfig:
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ValueError(f"unknown CellConfig fields {unknown}; allowed fields: {', '.join(names)}")
        d = dict(d)
        if "seeds" in d:
            d["seeds"] = tuple(d["seeds"])
        return cls(**d)
