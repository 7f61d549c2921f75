"""Named grids, in code. Users add their own in a Python file that defines `PRESETS` (and may
register tasks and RL algorithms of their own: examples/extending/my_lab.py).

    # my_presets.py
    from toymodels.grid import GridSpec, nearest_by_width
    PRESETS = {"tiny": lambda: GridSpec("tiny", axes={"width": [8, 32], "depth": [1], "seed": [0, 1]},
                                        fixed={"task": "ModChain", "horizon": 3})}

    aha grid --preset tiny --presets-file my_presets.py

Every preset measures one prediction of DESIGN.md; none is tuned so that it comes out true.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from toymodels.grid import GridSpec
from toymodels.plugins import load_user_file
from toymodels.recipe import recipe_by_width, with_recipe  # noqa: F401  (aha grid --recipe, the studies)

SQRT2_WIDTHS = [8, 12, 16, 22, 32, 46, 64, 90, 128, 182, 256, 362, 512]  # 8..512 in sqrt(2) steps, even (rotary)
DEMO_WIDTHS = [8, 16, 32, 64, 128]

# The shared ModChain setting: horizon 5, sparse terminal reward, GRPO.
BASE = {"task": "ModChain", "horizon": 5, "model_kind": "transformer"}


def demo() -> GridSpec:
    return GridSpec(
        "demo",
        axes={"width": DEMO_WIDTHS, "depth": [1], "seed": [0, 1, 2]},
        fixed={**BASE, "pretrain_tokens": 700_000, "rl_updates": 150},
        description="ModChain L=5, widths 8-128 at depth 1, 3 seeds: where does RL start to pay (H1, H2, H3)? "
        "Sized for 2 CPU cores in under 5 minutes. The pretraining budget (700k tokens, the same for every "
        "width) was chosen on a base-only criterion: base per-step accuracy must cross from chance to ~1 "
        "inside the width range with at least two widths on each side (at 400k tokens only width 128 had "
        "learned the steps). No RL outcome entered the choice.",
    )


def dense() -> GridSpec:
    return GridSpec(
        "dense",
        axes={"width": SQRT2_WIDTHS, "depth": list(range(1, 9)), "seed": list(range(8))},
        fixed={**BASE},
        description="GPU scale: widths 8-512 in sqrt(2) steps, depths 1-8, 8 seeds (H1, H10).",
    )


def horizon() -> GridSpec:
    return GridSpec(
        "horizon",
        axes={"width": [8, 16, 32, 64, 128, 256], "depth": [2], "horizon": [3, 4, 6, 8], "seed": [0, 1, 2]},
        fixed={"task": "ModChain"},
        description="H4: does the threshold N_c grow with the horizon L (p = q^L)? L starts at 3: L=2 has "
        "100 questions, only 11 held out by content, too few for 64 evaluation prompts.",
    )


def prior() -> GridSpec:
    return GridSpec(
        "prior",
        axes={"width": [8, 16, 32, 64, 128], "depth": [1], "prior": [0.1, 0.3, 0.6, 1.0], "seed": [0, 1, 2]},
        fixed={**BASE},
        description="H8: does the fraction of strategy-bearing pretraining traces move the threshold?",
    )


def width_vs_depth() -> GridSpec:
    return GridSpec(
        "width-vs-depth",
        axes={"width": [8, 16, 32, 64, 128], "depth": [1, 2, 4], "seed": [0, 1, 2]},
        fixed={"task": "PermutationCompose", "horizon": 4},
        description="H10: phase diagram over (width, depth) on a state-tracking task that needs depth.",
    )


def interventions() -> GridSpec:
    return GridSpec(
        "interventions",
        axes={"width": [8, 16, 32, 64, 128], "depth": [1], "seed": [0, 1, 2]},
        fixed={**BASE},
        variants={
            "plain": {},
            "hint": {"hint": 2},
            "curriculum": {"curriculum": True},
            "temperature": {"temperature": 1.5},
            "entropy-bonus": {"entropy_coef": 0.01},
            "dense-reward": {"reward": "dense"},
        },
        description="H9: design signals (dense reward, hints, entropy bonus, temperature) against size. Each "
        "variant changes RL only: pretraining and evaluation (plain prompts, eval_temperature) are the plain "
        "cell's; the hint variant is also evaluated with its hint (*_hinted_* variables).",
    )


def pretrain_budget() -> GridSpec:
    return GridSpec(
        "pretrain-budget",
        axes={
            "width": [8, 16, 32, 64, 128],
            "depth": [1],
            "pretrain_tokens": [60_000, 250_000, 1_000_000],
            "seed": [0, 1, 2],
        },
        fixed={**BASE},
        description="H11: does the threshold move with pretraining tokens seen, and does base capability "
        "predict the gain better than N?",
    )


REVISE = {"revise": True, "revise_rate": 0.2}
"""Self-correction on: `<wait>` allowed (envs.revise) and one pretraining trace in five shows one
(a wrong step, `<wait>`, the right step), so that the base model knows the move before RL; four in
five stay plain. Chosen before any run, on that base-only ground."""
BEHAVIOUR_WIDTHS = [8, 16, 32, 64]


def aha_behaviour(
    widths: list[int] | None = None, seeds: list[int] | None = None, depths: list[int] | None = None, log_every: int = 5
) -> GridSpec:
    """The aha-behaviour grid (defaults: the shipped preset, widths 8-64 at depth 1, curves every 5
    updates); a study may ask for more depths, widths and a finer log (theory.onset times the aha to
    within the logging interval)."""
    widths = widths or BEHAVIOUR_WIDTHS
    task = {"modchain": {"task": "ModChain", "horizon": 5}, "addition": {"task": "MultiDigitAdd"}}
    variants = {
        f"{name}{suffix}": {**t, **extra}
        for name, t in task.items()
        for suffix, extra in (("", {}), ("-revise", REVISE))
    }
    return GridSpec(
        "aha-behaviour",
        axes={"width": widths, "depth": depths or [1], "seed": seeds or [0, 1, 2]},
        fixed={"model_kind": "transformer", "pretrain_tokens": 700_000, "rl_updates": 150, "log_every": log_every},
        variants=variants,
        description="C10, C11: the aha as an event in training time (reward curves every 5 updates, onset by "
        "theory.onset) and self-correction as a behaviour (`revise`: `<wait>` discards the step before it; "
        "revise_rate 0.2 in pretraining) against size, on ModChain L=5 and MultiDigitAdd (3 digits) with and "
        f"without revise, widths {widths[0]}-{widths[-1]} at depth 1 (ModChain's threshold lies between 16 and "
        "32 in the quick study), 3 seeds, the demo's budgets. Sized for 2 CPU cores in under 15 minutes.",
    )


CAPABILITY_TASKS = {
    "modchain": {"task": "ModChain", "horizon": 5},
    "addition": {"task": "MultiDigitAdd"},
    "parity": {"task": "SparseParity", "task_kwargs": {"n_bits": 12}},
    "permutation": {"task": "PermutationCompose", "horizon": 3},
    "parity-k12": {"task": "SparseParity", "horizon": 12, "task_kwargs": {"n_bits": 16}},
    "permutation-n3": {"task": "PermutationCompose", "horizon": 5, "task_kwargs": {"n": 3}},
}
"""The study's tasks at their study difficulties (SparseParity with 12 bits: 8 bits hold only 34
held-out questions, fewer than the 64 evaluation prompts), and two settings whose base trace coverage
spans the range, chosen on base-only runs before any RL (docs/capability/NOTE.md): SparseParity with a
12-step trace (k = 12 of 16 bits: a uniform guess gets the trace right with probability 2^-12, so 64
guesses cover 0.016, where the 3-step trace of the 12-bit setting is covered by guessing) and
PermutationCompose over S_3 (n = 3) with L = 5 (n = 4, L = 3 reaches only 0.25 at width 128 at depth 1;
n = 3, L = 3 holds 25 held-out questions, fewer than the 64 evaluation prompts)."""
TOKENS_PER_PARAM = 20.0
"""The budget that grows with size: 20 tokens per non-embedding parameter (the compute-optimal
ratio of Hoffmann et al. 2022, arXiv 2203.15556), never below the fixed 700k. Chosen before any run."""


def capability() -> GridSpec:
    return GridSpec(
        "capability",
        axes={
            "width": DEMO_WIDTHS,
            "depth": [1],
            "pretrain_tokens_per_param": [0.0, TOKENS_PER_PARAM],
            "seed": [0, 1, 2],
        },
        fixed={"model_kind": "transformer", "pretrain_tokens": 700_000},
        variants=CAPABILITY_TASKS,
        base_only=True,
        description="Base capability per task and width, no RL (issue 22 item 4): trace coverage (trace pass@64), "
        "pass@1 and per-step accuracy of the pretrained model at the fixed 700k-token budget "
        "(pretrain_tokens_per_param 0) and at a budget that grows with size (20 tokens per parameter, at least "
        "700k). Does base capability span the range across widths, and does it stop falling with width once "
        "the budget grows?",
    )


LR_SWEEP = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3]
"""RL learning rates of the sweep: 5 values over 2 decades (1/300 to 1/3 of pretrain_lr 3e-3)."""


def lr_sweep() -> GridSpec:
    return GridSpec(
        "lr-sweep",
        axes={"width": DEMO_WIDTHS, "depth": [1], "rl_lr": LR_SWEEP, "seed": [0, 1, 2]},
        fixed={**BASE, "pretrain_tokens": 700_000, "rl_updates": 150, "val_prompts": 64},
        description="The RL learning rate per width (issue 22 item 1): the reference setting (ModChain L=5, 700k "
        "tokens, 150 GRPO updates, the default recipe otherwise) at 5 learning rates over 2 decades, 3 seeds. "
        "Each width's rate is picked by theory.lr_select on 64 validation prompts that the final evaluation does "
        "not use (aha.recipe writes docs/recipe.md).",
    )


PRESETS: dict[str, Callable[[], GridSpec]] = {
    "demo": demo,
    "dense": dense,
    "horizon": horizon,
    "prior": prior,
    "width-vs-depth": width_vs_depth,
    "interventions": interventions,
    "pretrain-budget": pretrain_budget,
    "aha-behaviour": aha_behaviour,
    "capability": capability,
    "lr-sweep": lr_sweep,
}


def load_presets_file(path: Path) -> dict[str, Callable[[], GridSpec]]:
    """User presets: a Python file defining PRESETS = {name: callable returning GridSpec}."""
    return load_user_file(path, "--presets-file", "PRESETS", "GridSpec")


def get_preset(name: str, extra: dict[str, Callable[[], GridSpec]] | None = None) -> GridSpec:
    table = {**PRESETS, **(extra or {})}
    if name not in table:
        raise ValueError(f"preset must be one of {', '.join(table)}; got {name!r}")
    spec = table[name]()
    if not isinstance(spec, GridSpec):
        raise ValueError(f"preset {name!r} must return a GridSpec, got {type(spec).__name__}")
    return spec
