"""H8, the pretraining prior: does the share of pretraining traces that follow the right rule move the threshold?

Widths 8-128 at depth 1 on ModChain (horizon 5); the pretraining traces follow the task's rule with
probability `prior` and its one consistent wrong rule otherwise (below 0.5 the wrong rule is the mode);
three seeds (aha/presets.py `prior`). RL can only amplify what pretraining put there: with a low prior
the threshold should move to larger models, or vanish. Prints the mean RL gain per (prior, width).

    python examples/grids/prior.py --quick                       # quick mode: under 2 min, 2 cores
    python examples/grids/prior.py                               # full, estimated: 60 cells, ~1 h on 2 cores
    python examples/grids/prior.py --device auto --executor ray  # the same on a GPU or Ray
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
    """The prior grid (full scale: aha/presets.py `prior`)."""

    widths: tuple[int, ...] = tuple(presets.prior().axes["width"])
    """Model widths (d_model), all at depth 1."""
    priors: tuple[float, ...] = tuple(presets.prior().axes["prior"])
    """Fraction of pretraining traces that follow the correct rule (CellConfig.prior)."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds per cell (trained together in one batched pass)."""
    budget: Budget = FULL
    """Training and evaluation budget per cell (FULL: the preset's)."""

    @classmethod
    def at(cls, scale: str) -> Config:
        return {
            "full": cls(),
            "quick": cls(widths=(16, 64), priors=(0.3, 1.0), seeds=(0,), budget=QUICK),
            "smoke": cls(widths=(8, 16), priors=(0.3, 1.0), seeds=(0,), budget=SMOKE),
        }[scale]

    def spec(self) -> GridSpec:
        return presets.prior().with_overrides(
            {"width": list(self.widths), "prior": list(self.priors), "seed": list(self.seeds), **self.budget.fields()}
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, "results/prior", argv)
    ds = run(Config.at(args.scale).spec(), args)
    table = gain(ds).mean("seed").isel(depth=0)
    print_table(table, "prior", "width", "mean RL gain in pass@1 (rows: prior, columns: width)", args)
    figure = gain_figure(ds, "prior", args.out / "figures" / "prior.png", "RL gain against size, per prior (H8)")
    done(args, figure)


PRESETS = {"prior": lambda: Config.at("full").spec(), "prior-quick": lambda: Config.at("quick").spec()}

if __name__ == "__main__":
    main()
