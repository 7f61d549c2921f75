"""H4, the horizon: does the size at which RL starts to pay grow with the number of steps L?

Widths 8-256 at depth 2 on ModChain at horizons 3, 4, 6, 8, three seeds (aha/presets.py `horizon`).
If per-step accuracy q(N) sets the exact-match rate p = q^L, the threshold N_c should move right as L grows.
Prints the mean RL gain per (horizon, width) and the H4 fit of the threshold against L.

    python examples/grids/horizon.py --quick                       # quick mode: under 2 min, 2 cores
    python examples/grids/horizon.py                               # full, estimated: 72 cells, ~1 h on 2 cores
    python examples/grids/horizon.py --device auto --executor ray  # the same on a GPU or Ray

Also a presets file: `aha grid --presets-file examples/grids/horizon.py --preset horizon-quick`.
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
    """The horizon grid (full scale: aha/presets.py `horizon`)."""

    widths: tuple[int, ...] = tuple(presets.horizon().axes["width"])
    """Model widths (d_model)."""
    depth: int = presets.horizon().axes["depth"][0]
    """Layers, the same for every width."""
    horizons: tuple[int, ...] = tuple(presets.horizon().axes["horizon"])
    """RL horizons L (steps per answer); pretraining uses the same L. L >= 3: L = 2 has too few held-out questions."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds per cell (trained together in one batched pass)."""
    budget: Budget = FULL
    """Training and evaluation budget per cell (FULL: the preset's)."""

    @classmethod
    def at(cls, scale: str) -> Config:
        return {
            "full": cls(),
            "quick": cls(widths=(16, 64), depth=1, horizons=(3, 6), seeds=(0,), budget=QUICK),
            "smoke": cls(widths=(8, 16), depth=1, horizons=(3, 4), seeds=(0,), budget=SMOKE),
        }[scale]

    def spec(self) -> GridSpec:
        return presets.horizon().with_overrides(
            {
                "width": list(self.widths),
                "depth": [self.depth],
                "horizon": list(self.horizons),
                "seed": list(self.seeds),
                **self.budget.fields(),
            }
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, "results/horizon", argv)
    ds = run(Config.at(args.scale).spec(), args, hypotheses=("H1", "H4"))
    table = gain(ds).mean("seed").isel(depth=0)
    print_table(table, "horizon", "width", "mean RL gain in pass@1 (rows: horizon L, columns: width)", args)
    figure = gain_figure(ds, "horizon", args.out / "figures" / "horizon.png", "RL gain against size, per horizon (H4)")
    done(args, figure)


PRESETS = {"horizon": lambda: Config.at("full").spec(), "horizon-quick": lambda: Config.at("quick").spec()}

if __name__ == "__main__":
    main()
