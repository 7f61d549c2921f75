"""H9, design signals against size: do hints, a curriculum, a higher temperature, an entropy bonus or a
dense reward let smaller models gain from RL than plain sparse-reward GRPO does?

Widths 8-128 at depth 1 on ModChain (horizon 5), three seeds, six variants (aha/presets.py
`interventions`). Every variant changes RL only: pretraining and evaluation are the plain cell's, so the
gains compare directly. Prints the mean RL gain per (variant, width) and each variant's gain minus plain's.

    python examples/grids/design_signals.py --quick                       # quick mode: under 2 min, 2 cores
    python examples/grids/design_signals.py                               # full, estimated: 90 cells, ~1.5 h on 2 cores
    python examples/grids/design_signals.py --device auto --executor ray  # the same on a GPU or Ray
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when loaded as a presets file
from _common import FULL, SMOKE, Budget, done, gain, gain_figure, parse_args, print_table, run  # noqa: E402

from aha import presets  # noqa: E402
from toymodels.grid import GridSpec  # noqa: E402


@dataclass(frozen=True)
class Config:
    """The design-signal grid (full scale: aha/presets.py `interventions`, all six variants)."""

    widths: tuple[int, ...] = tuple(presets.interventions().axes["width"])
    """Model widths (d_model), all at depth 1."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds per cell (trained together in one batched pass)."""
    budget: Budget = FULL
    """Training and evaluation budget per cell (FULL: the preset's)."""

    @classmethod
    def at(cls, scale: str) -> Config:
        quick = Budget(
            pretrain_tokens=150_000, rl_updates=30, prompts_per_update=8, eval_prompts=32, k_max=16, log_every=5
        )  # six variants: a smaller per-cell budget than the other quick grids
        return {
            "full": cls(),
            "quick": cls(widths=(16, 64), seeds=(0,), budget=quick),
            "smoke": cls(widths=(8,), seeds=(0,), budget=SMOKE),
        }[scale]

    def spec(self) -> GridSpec:
        return presets.interventions().with_overrides(
            {"width": list(self.widths), "seed": list(self.seeds), **self.budget.fields()}
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, "results/design-signals", argv)
    ds = run(Config.at(args.scale).spec(), args)
    g = gain(ds).mean("seed").isel(depth=0)
    print_table(g, "variant", "width", "mean RL gain in pass@1 (rows: variant, columns: width)", args)
    print_table(g - g.sel(variant="plain"), "variant", "width", "the same minus plain GRPO's gain", args)
    figure = gain_figure(
        ds, "variant", args.out / "figures" / "design_signals.png", "RL gain against size, per design signal (H9)"
    )
    done(args, figure)


PRESETS = {
    "design-signals": lambda: Config.at("full").spec(),
    "design-signals-quick": lambda: Config.at("quick").spec(),
}

if __name__ == "__main__":
    main()
