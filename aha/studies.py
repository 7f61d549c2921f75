"""Named studies, in code: a study is a list of grids plus the claims (analyses) it decides.

    # my_studies.py
    from aha.studies import Study, Budget
    from toymodels.grid import GridSpec, matched_widths
    STUDIES = {"mine": lambda: Study("mine", grids=[lambda: GridSpec("base", {...}, {...})],
                                     analyses=["C1", "C2"], refine=["base"])}

    aha study mine --studies-file my_studies.py [--dry-run]

The first grid is the *reference setting*: every other grid deviates from it in one or a few
fields, and the analyses compare settings that differ from it in one field at a time (C3's
factors). Two grids carry their own plain arm instead, and their variants are compared with it:
the signals grid (C5-C7: one base pretrained on a corpus that shows every design signal, which
the reference's base never saw) and C9's grid (longer RL). Every grid below says why it is there; none is
tuned so that a claim comes out true. Sizes, seeds and budgets follow the demo's (700k
pretraining tokens chosen on a base-only criterion, docs/demo/), so that ``quick`` fits 2 CPU
cores; ``full`` is the same rows at GPU scale. Grids a study names in ``behaviour`` (the
aha-behaviour preset: revise on and off) decide only C10 and C11 and stay out of C1-C9; C10
reads the reward curves of every grid (theory/claims_behaviour.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from toymodels.grid import GridSpec, matched_widths
from toymodels.plugins import load_user_file
from toymodels.study_spec import CLAIMS, Budget, Study  # noqa: F401  (user studies files import them from here)

from .presets import SQRT2_WIDTHS, aha_behaviour

QUICK_WIDTHS = [8, 16, 32, 64, 128]
SEEDS3 = [0, 1, 2]
SEEDS12 = list(range(12))
"""The signals grid's seeds: C7 compares coin-flip outcomes small vs large (issue 23: >= 12 seeds)."""
REF = {
    "task": "ModChain",
    "horizon": 5,
    "model_kind": "transformer",
    "pretrain_tokens": 700_000,
    "rl_updates": 150,
    "log_every": 5,
}
"""The reference setting: the demo's (ModChain L=5, 700k tokens, 150 GRPO updates); curves every
5 updates so the early-RL forecast has points in the first quarter."""

DESIGN_SIGNALS = {
    "hint": {"hint": 2},
    "curriculum": {"curriculum": True, "curriculum_budget": "extra"},
    "dense-reward": {"reward": "dense"},
    "no-think": {"cot": False},
    "critic": {"algo": "ppo"},
}
"""C7's design signals, each against the signals grid's own plain arm, on one base that read them
(READABLE): the hint reveals the trace's first 2 steps, as hinted pretraining prompts did; the
curriculum ramps the horizon 1..L-1 over half as many updates again, then plain RL's updates at L
(`curriculum_budget='extra'`: the same updates at L as plain, plus the ramp); `no-think` asks for
the answer without the trace (the flag the corpus taught), so "think first" is plain − no-think."""
READABLE = {
    "hint_rate": 0.5,
    "pretrain_hint": 2,
    "think_rate": 0.5,
    "pretrain_horizon_min": 1,
    "horizon": 3,
    "pretrain_tokens_per_param": 80.0,
}
"""The signals grid's setting: the reference's task and prior, pretrained on a corpus that shows every
signal of C7 (issue 22 item 3): half the prompts hinted (the trace's first 2 steps), half asking for
the trace and half for the answer alone, horizons 1..L in equal shares (toymodels
CellConfig.pretrain_mix), at L = 3 (at the reference's L = 5 this corpus gives the full trace a
twentieth of the pretraining steps and coverage stays near 0 up to width 64). The budget grows with
size: 80 tokens per non-embedding parameter, never below the reference's fixed budget (so 700k up to
width 16, 4.0M at width 64). Chosen on base-only runs, before any RL on this corpus, by issue 22's
criterion (trace coverage <= 0.05 at the smallest width, >= 0.5 at the largest; 3 seeds,
docs/signals/base-check/): the fixed 700k gives 0.016 -> 0.31 (width 64 short of 0.5), 20 tokens per
parameter 0.016 -> 0.39, 80 tokens per parameter 0.016, 0.13, 0.28, 0.62; a fixed 1.4M or more lifts
width 8 above 0.05 (0.08 at 1.4M, 0.25 at 2.8M)."""
PERMUTATION = {"task": "PermutationCompose", "horizon": 5, "task_kwargs": {"n": 3}}
"""C3's second task family (issue 22 item 4): the capability preset's `permutation-n3`, whose base
trace coverage goes from 0 at width 8 to >= 0.5 at width 128 at the fixed 700k budget as at 20 tokens
per parameter (docs/capability.md, docs/capability-per-param.md; tests/test_capability.py)."""
PARITY = {"task": "SparseParity", "horizon": 12, "task_kwargs": {"n_bits": 16}}
"""C3's third task family (issue 22 item 4): the capability preset's `parity-k12`, whose base trace
coverage goes from 0.008 at width 8 to 0.997 at width 128 at the fixed 700k budget (docs/capability.md;
tests/test_capability.py)."""
SIGNALS_GRID = "signals"
"""The grid C5-C7 read (its own plain arm; every arm on one base: theory.study_claims.Setup.sig)."""
ENTROPY_KNOBS = {"temperature": {"temperature": 1.5}, "entropy-bonus": {"entropy_coef": 0.01}}
"""C6's knobs against plain (act on RL only)."""
RECIPES = {"std-norm-off": {"std_norm": False}, "token-sum": {"token_sum_norm": True}}
"""C9's recipe details beside curriculum and temperature: advantage normalisation off, and loss
aggregation by token sum (Dr. GRPO) instead of per-sequence mean."""
FORMAT = {"format-bonus": {"format_bonus": 0.2}}
"""C5: a well-formed wrong answer earns 0.2 (a fifth of a correct one)."""


# --- the shipped studies -----------------------------------------------------------------------
def _grids(
    widths: list[int], seeds: list[int], depths: list[int], ref: dict, dense: bool, signal_axes: tuple[list, list]
) -> list[Callable[[], GridSpec]]:
    """The rows of a study; ``signal_axes``: (widths, seeds) of the signals grid."""
    ax = lambda **extra: {"width": widths, "depth": [1], **extra, "seed": seeds}  # noqa: E731
    scale = "GPU scale" if dense else "CPU size"

    def threshold():
        return GridSpec(
            "threshold",
            ax(),
            dict(ref),
            description=(
                f"C1, C2, C4, C8: the reference setting (the demo's: ModChain L=5, 700k tokens, depth 1) over widths "
                f"{widths[0]}-{widths[-1]}, {len(seeds)} seeds ({scale}); refined adaptively around its rise. The "
                "reference every other grid deviates from."
            ),
        )

    def horizon():
        return GridSpec(
            "horizon",
            ax(horizon=[3, 7] if not dense else [3, 4, 6, 7, 8]),
            {k: v for k, v in ref.items() if k != "horizon"},
            description=(
                "C3 (task difficulty): the horizon L beside the reference's L=5 (>= 3 values with it). L=3 is the "
                "smallest with enough held-out prompts; L=7 keeps the OOD split (L+2) within ModChain's range."
            ),
        )

    def prior():
        return GridSpec(
            "prior",
            ax(prior=[0.25, 1.0] if not dense else [0.1, 0.25, 0.75, 1.0]),
            {k: v for k, v in ref.items()},
            description=(
                "C3 (data): the fraction of pretraining traces following the correct rule, beside the reference's "
                "0.5: 0.25 (the wrong rule is the mode) and 1.0 (no wrong traces)."
            ),
        )

    def budget():
        return GridSpec(
            "pretrain-budget",
            ax(pretrain_tokens=[350_000, 1_400_000] if not dense else [175_000, 350_000, 1_400_000, 2_800_000]),
            {k: v for k, v in ref.items() if k != "pretrain_tokens"},
            description=(
                "C3 (data), H11: pretraining tokens at half and twice the reference's 700k (>= 3 values with it)."
            ),
        )

    def depth():
        return GridSpec(
            "permutation-depth",
            {"width": widths, "depth": depths, "seed": seeds},
            {k: v for k, v in ref.items() if k not in ("task", "horizon")} | PERMUTATION,
            description=(
                f"C3 (task family, architecture): PermutationCompose over S_3, L=5 (state tracking, needs depth to "
                f"compose) over width x depth {depths}, at the reference's pretraining budget: the setting whose base "
                "trace coverage spans the range at that budget (docs/capability.md, chosen on base-only runs; S_4 "
                "at L=3 reached 0.15 at width 128)."
            ),
        )

    def parity():
        return GridSpec(
            "parity",
            ax(),
            {k: v for k, v in ref.items() if k not in ("task", "horizon")} | PARITY,
            description=(
                "C3 (task family): SparseParity over 16 bits with a 12-step trace (chance 0.5) at the reference's "
                "budget: base trace coverage spans the range at that budget (docs/capability.md, chosen on base-only "
                "runs before any RL). MultiDigitAdd, the grid it replaces, peaks at width 64 (0.50) and falls to 0.29 "
                "at width 128 at the fixed budget; it spans only at 20 tokens per parameter, which would make C3 "
                "compare task and budget at once."
            ),
        )

    def mlp():
        mw = matched_widths(widths, ref)
        return GridSpec(
            "mlp",
            {"width": mw, "depth": [1], "seed": seeds},
            {**ref, "model_kind": "mlp"},
            description=(
                f"C3 (architecture): an MLP over a fixed context window at widths {mw}, each matched in non-embedding "
                "parameter count to the transformer width of the reference grid (closest in log N)."
            ),
        )

    return [threshold, horizon, prior, budget, depth, parity, mlp, signals_grid(*signal_axes, ref)]


def signals_grid(sw: list[int], ss: list[int], ref: dict) -> Callable[[], GridSpec]:
    """C5-C7's grid: every arm on one base that read the signals (READABLE), with its own plain arm."""

    def signals():
        return GridSpec(
            SIGNALS_GRID,
            {"width": sw, "depth": [1], "seed": ss},
            {**ref, **READABLE},
            variants={"plain": {}, **FORMAT, **ENTROPY_KNOBS, **DESIGN_SIGNALS},
            description=(
                "C5 (plain, format-bonus), C6 (temperature, entropy-bonus), C7 (hint, curriculum, dense-reward, "
                "think first = plain vs no-think, critic = PPO with a value head) on one base that read every signal "
                "(the reference's task and prior at L = 3, pretrained on READABLE's corpus: hinted prompts, "
                "the think flag both ways, horizons 1..3, 80 tokens per parameter): each variant changes RL only and "
                "is compared with this "
                "grid's own plain arm at the "
                f"same width and seed; widths {sw[0]}-{sw[-1]}, {len(ss)} seeds (C7 needs >= 12 where it decides)."
            ),
        )

    return signals


C9_GRID = "c9-recipe"
"""The grid C9 reads when a study has it (its own plain arm; longer RL)."""
C9_UPDATES = 4
"""C9's RL runs this many times the reference's updates (3-5x, issue 23)."""
C9_SIGNALS = ("curriculum", "temperature")
"""The C9 recipe details among the design signals and entropy knobs (with RECIPES)."""


def c9_grid(widths: list[int], seeds: list[int], ref: dict) -> Callable[[], GridSpec]:
    """C9's own grid: plain RL and the recipe details, run C9_UPDATES times as long as the reference."""

    def c9_recipe():
        updates = C9_UPDATES * ref["rl_updates"]
        knobs = {k: v for k, v in {**DESIGN_SIGNALS, **ENTROPY_KNOBS}.items() if k in C9_SIGNALS}
        return GridSpec(
            C9_GRID,
            {"width": widths, "depth": [1], "seed": seeds},
            {**ref, "rl_updates": updates, "log_every": 1},
            variants={"plain": {}, **knobs, **RECIPES},
            description=(
                f"C9: plain RL and the recipe details (curriculum, temperature, std-norm-off, token-sum) run "
                f"{C9_UPDATES}x as long as the reference ({updates} updates, reward logged every update) so a plateau "
                "can be reached; each variant against this grid's own plain arm at the same width and seed, the "
                "ceiling on evaluation pass@1 at the shared evaluation temperature."
            ),
        )

    return c9_recipe


QUICK_MOVED = (
    "its grid did not fit the quick study's 120 minutes on 2 CPU cores: C9's grid (RL 4x as long, 75 cells) "
    "and the aha-behaviour grid (C10, C11: depths 1-2, widths 8-128, 120 cells) nearly double the projected "
    "CPU time of C1-C8's grids (aha study full --dry-run lists them), and C1-C8's grids alone take most of "
    "the 120 minutes on a 2-core machine (their cells' time: docs/study/study.md); decided by `aha study full`"
)
"""Why C9-C11 are not run in `quick` (issue 23 item 6: the claims that moved to `full`, and why)."""


def quick() -> Study:
    return Study(
        "quick",
        _grids(QUICK_WIDTHS, SEEDS3, [1, 2], REF, dense=False, signal_axes=(QUICK_WIDTHS[:4], SEEDS12)),
        analyses=[f"C{i}" for i in range(1, 9)],
        moved={c: QUICK_MOVED for c in ("C9", "C10", "C11")},
        recipe="docs/recipe/recipe.json",
        refine=["threshold"],
        budget=Budget(refine_rounds=2, refine_seeds=5, max_cpu_s=115 * 60),
        description=(
            "C1-C8 at CPU size: widths 8-128 in factor-2 steps (refined in √2 steps around the reference's "
            "rise, up to 12 seeds where seeds come out both ways), depth 1 (1-2 for PermutationCompose), 3 seeds, "
            "the demo's budgets, each width's RL learning rate from docs/recipe/recipe.json (the lr sweep's best "
            "mean). C9-C11 moved to `full` (their grids did not fit 120 minutes on 2 CPU cores; see their rows)."
        ),
    )


def full() -> Study:
    ref = {**REF, "pretrain_tokens": 2_000_000, "rl_updates": 300}
    behaviour = lambda: aha_behaviour(SQRT2_WIDTHS[:9], list(range(8)), [1, 2], 1).with_overrides(  # noqa: E731
        {k: ref[k] for k in ("pretrain_tokens", "rl_updates")}
    )
    return Study(
        "full",
        [
            *_grids(SQRT2_WIDTHS, list(range(8)), list(range(1, 9)), ref, True, (SQRT2_WIDTHS, SEEDS12)),
            c9_grid(SQRT2_WIDTHS, list(range(8)), ref),
            behaviour,
        ],
        refine=["threshold"],
        behaviour=["aha-behaviour"],
        budget=Budget(refine_rounds=4, refine_seeds=12),
        n_boot=200,
        description=(
            "The same rows at GPU scale: widths 8-512 in √2 steps, depths 1-8 (PermutationCompose), 8 seeds, "
            "2M pretraining tokens and 300 RL updates."
        ),
    )


STUDIES: dict[str, Callable[[], Study]] = {"quick": quick, "full": full}


def load_studies_file(path: Path) -> dict[str, Callable[[], Study]]:
    """User studies: a Python file defining STUDIES = {name: callable returning Study}; like a presets
    file, it may register its own tasks and algorithms and import modules beside it."""
    return load_user_file(path, "--studies-file", "STUDIES", "Study")


def get_study(name: str, extra: dict[str, Callable[[], Study]] | None = None) -> Study:
    """The named study with every grid built and validated (nothing runs)."""
    table = {**STUDIES, **(extra or {})}
    if name not in table:
        raise ValueError(f"study must be one of {', '.join(table)}; got {name!r}")
    study = table[name]() if callable(table[name]) else table[name]
    if not isinstance(study, Study):
        raise ValueError(f"study {name!r} must be a Study, got {type(study).__name__}")
    study.specs()  # every grid and cell validated before any work
    return study


def study_grid(name: str) -> GridSpec:
    """'STUDY/GRID': one grid of a named study (aha.studies), e.g. 'quick/threshold', to rerun it alone."""
    study, _, grid = name.partition("/")
    if study not in STUDIES:
        raise ValueError(f"preset {name!r}: study must be one of {', '.join(STUDIES)}; got {study!r}")
    specs = {s.name: s for s in get_study(study).specs()}
    if grid not in specs:
        raise ValueError(f"preset {name!r}: grid must be one of {', '.join(specs)}; got {grid!r}")
    return specs[grid]
