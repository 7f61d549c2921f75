"""H10, width against depth: on a state-tracking task, does depth buy what width cannot?

Widths 8-128 at depths 1, 2 and 4 on PermutationCompose (horizon 4), three seeds
(aha/presets.py `width-vs-depth`). Composing permutations is state tracking: a shallow model may need
far more parameters than a deeper one to cross the threshold. Prints the mean RL gain per (depth,
width) with each cell's non-embedding parameter count, and the H10 critical-surface fit.

    python examples/grids/width_vs_depth.py --quick                       # quick mode: under 2 min, 2 cores
    python examples/grids/width_vs_depth.py                               # full, estimated: 45 cells, ~1 h on 2 cores
    python examples/grids/width_vs_depth.py --device auto --executor ray  # the same on a GPU or Ray
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when loaded as a presets file
from _common import FULL, QUICK, SMOKE, Budget, done, gain, gain_figure, parse_args, print_table, run  # noqa: E402

from aha import presets  # noqa: E402
from toymodels.grid import GridSpec  # noqa: E402


@dataclass(frozen=True)
class Config:
    """The width x depth grid (full scale: aha/presets.py `width-vs-depth`)."""

    widths: tuple[int, ...] = tuple(presets.width_vs_depth().axes["width"])
    """Model widths (d_model)."""
    depths: tuple[int, ...] = tuple(presets.width_vs_depth().axes["depth"])
    """Transformer layers."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds per cell (trained together in one batched pass)."""
    budget: Budget = FULL
    """Training and evaluation budget per cell (FULL: the preset's)."""

    @classmethod
    def at(cls, scale: str) -> Config:
        return {
            "full": cls(),
            "quick": cls(widths=(16, 64), depths=(1, 2), seeds=(0,), budget=QUICK),
            "smoke": cls(widths=(8, 16), depths=(1, 2), seeds=(0,), budget=SMOKE),
        }[scale]

    def spec(self) -> GridSpec:
        return presets.width_vs_depth().with_overrides(
            {"width": list(self.widths), "depth": list(self.depths), "seed": list(self.seeds), **self.budget.fields()}
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, "results/width-vs-depth", argv)
    ds = run(Config.at(args.scale).spec(), args, hypotheses=("H1", "H10"))
    print_table(gain(ds).mean("seed"), "depth", "width", "mean RL gain in pass@1 (rows: depth, columns: width)", args)
    print_table(
        ds.n_params.broadcast_like(gain(ds).mean("seed")),
        "depth",
        "width",
        "non-embedding parameters of each cell",
        None,
        fmt="{:>8.0f}",
    )
    figure = gain_figure(
        ds, "depth", args.out / "figures" / "width_vs_depth.png", "RL gain against size, per depth (H10)"
    )
    done(args, figure)


PRESETS = {
    "width-vs-depth": lambda: Config.at("full").spec(),
    "width-vs-depth-quick": lambda: Config.at("quick").spec(),
}

if __name__ == "__main__":
    main()
