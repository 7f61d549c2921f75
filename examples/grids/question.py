"""One question of DESIGN.md per named grid of aha/presets.py, each run by this one script:

    threshold       H1: below which size does RL with a sparse terminal reward stop paying?
                    (preset demo: widths 8-128 at depth 1, ModChain L=5, 3 seeds; ~3 min on 2 cores)
    horizon         H4: does the threshold N_c grow with the horizon L (p = q^L)?
                    (preset horizon: widths 8-256 at depth 2, L = 3, 4, 6, 8; 72 cells, ~1.5 h)
    prior           H8: does the share of pretraining traces that follow the right rule move it?
                    (preset prior: widths 8-128, prior 0.1-1.0; 60 cells, ~1 h)
    width-vs-depth  H10: on a state-tracking task (PermutationCompose L=4), does depth buy what width cannot?
                    (preset width-vs-depth: widths 8-128 at depths 1, 2, 4; 45 cells, ~1 h)
    design-signals  H9: do hints, a curriculum, temperature, an entropy bonus or a dense reward let smaller
                    models gain? (preset interventions: six variants changing RL only; 90 cells, ~1.5 h)

Prints the mean RL gain per (setting, width), the theory lines of the question's hypotheses, and
where the results, report and figure are:

    python examples/grids/question.py threshold --quick                       # quick mode: under 2 min, 2 cores
    python examples/grids/question.py horizon                                 # full scale: the preset itself
    python examples/grids/question.py prior --device auto --executor ray      # the same on a GPU or Ray

Also a presets file: `aha grid --presets-file examples/grids/question.py --preset horizon-quick`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when loaded as a presets file
import xarray as xr  # noqa: E402
from _common import QUICK, SMOKE, Budget, done, gain, gain_figure, parse_args, print_table, run  # noqa: E402

from aha.presets import get_preset  # noqa: E402
from toymodels.grid import GridSpec  # noqa: E402


@dataclass(frozen=True)
class Question:
    """A named grid and what this script prints about it."""

    preset: str
    """The aha/presets.py grid (its full scale)."""
    by: str | None
    """The axis of the table's rows and of the figure's lines (None: sizes only)."""
    title: str
    """The figure's title."""
    quick: dict = field(default_factory=dict)
    """Axis overrides at quick scale (one seed, fewer sizes and settings)."""
    smoke: dict = field(default_factory=dict)
    """Axis overrides of the hidden --smoke (the test suite)."""
    hypotheses: tuple[str, ...] = ("H1",)
    """The theory lines printed (DESIGN.md ids)."""
    quick_budget: Budget = QUICK
    """The budget of the quick scale."""

    def spec(self, scale: str) -> GridSpec:
        if scale == "full":
            return get_preset(self.preset)
        over, budget = (self.quick, self.quick_budget) if scale == "quick" else (self.smoke, SMOKE)
        return get_preset(self.preset).with_overrides({**over, "seed": [0], **budget.fields()})


SIX = Budget(pretrain_tokens=150_000, rl_updates=30, prompts_per_update=8, eval_prompts=32, k_max=16, log_every=5)
"""design-signals' quick budget: six variants, so a smaller per-cell budget than the other quick grids."""
QUESTIONS = {
    "threshold": Question(
        "demo", None, "RL gain against size (H1)", {"width": [8, 16, 32, 64, 128]}, {"width": [8, 16]}
    ),
    "horizon": Question(
        "horizon",
        "horizon",
        "RL gain against size, per horizon (H4)",
        {"width": [16, 64], "depth": [1], "horizon": [3, 6]},
        {"width": [8, 16], "depth": [1], "horizon": [3, 4]},
        ("H1", "H4"),
    ),
    "prior": Question(
        "prior",
        "prior",
        "RL gain against size, per prior (H8)",
        {"width": [16, 64], "prior": [0.3, 1.0]},
        {"width": [8, 16], "prior": [0.3, 1.0]},
    ),
    "width-vs-depth": Question(
        "width-vs-depth",
        "depth",
        "RL gain against size, per depth (H10)",
        {"width": [16, 64], "depth": [1, 2]},
        {"width": [8, 16], "depth": [1, 2]},
        ("H1", "H10"),
    ),
    "design-signals": Question(
        "interventions",
        "variant",
        "RL gain against size, per design signal (H9)",
        {"width": [16, 64]},
        {"width": [8]},
        quick_budget=SIX,
    ),
}


def tables(name: str, ds: xr.Dataset, args) -> None:
    """The question's tables: mean RL gain per (setting, width), and what the question adds to it."""
    g = gain(ds).mean("seed")
    if name == "threshold":
        g1, base = gain(ds).sel(depth=1), ds.base_pass_at_k.sel(k=1, split="id", depth=1)
        rows = xr.DataArray(["base pass@1", "RL gain", "gain sd"], dims="row")
        table = xr.concat([base.mean("seed"), g1.mean("seed"), g1.std("seed", ddof=1)], dim=rows)
        print_table(table, "row", "width", "per width (columns): seed means", args)
        print("non-embedding parameters per width:", ds.n_params.broadcast_like(ds.width).values.tolist())
        return
    by = QUESTIONS[name].by
    g = g if by == "depth" else g.isel(depth=0)
    print_table(g, by, "width", f"mean RL gain in pass@1 (rows: {by}, columns: width)", args)
    if by == "depth":
        n = ds.n_params.broadcast_like(g)
        print_table(n, "depth", "width", "non-embedding parameters of each cell", None, fmt="{:>8.0f}")
    if by == "variant":
        print_table(g - g.sel(variant="plain"), "variant", "width", "the same minus plain GRPO's gain", args)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, "results/{question}", argv, questions=list(QUESTIONS))
    q = QUESTIONS[args.question]
    ds = run(q.spec(args.scale), args, hypotheses=q.hypotheses)
    tables(args.question, ds, args)
    figure = gain_figure(ds, q.by, args.out / "figures" / f"{args.question.replace('-', '_')}.png", q.title)
    done(args, figure)


PRESETS = {
    f"{name}{suffix}": (lambda q=q, scale=scale: q.spec(scale))
    for name, q in QUESTIONS.items()
    for suffix, scale in (("", "full"), ("-quick", "quick"))
}
"""`aha grid --presets-file examples/grids/question.py --preset NAME[-quick]`: each question's grid at two scales."""

if __name__ == "__main__":
    main()
