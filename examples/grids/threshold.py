"""H1, the threshold: below which size does RL with a sparse terminal reward stop paying?

Widths 8-128 at depth 1 on ModChain (horizon 5), three seeds each: the demo grid of aha/presets.py.
Prints the mean RL gain per width and the H1 transition fit (N_c with its interval and verdict).

    python examples/grids/threshold.py --quick                       # quick mode: under 2 min, 2 cores
    python examples/grids/threshold.py                               # full, estimated: the demo grid, ~3 min on 2 cores
    python examples/grids/threshold.py --device auto --executor ray  # the same on a GPU or Ray
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when loaded as a presets file
import xarray as xr  # noqa: E402
from _common import FULL, QUICK, SMOKE, Budget, done, gain, gain_figure, parse_args, print_table, run  # noqa: E402

from aha import presets  # noqa: E402
from toymodels.grid import GridSpec  # noqa: E402


@dataclass(frozen=True)
class Config:
    """The threshold grid (full scale: aha/presets.py `demo`)."""

    widths: tuple[int, ...] = tuple(presets.DEMO_WIDTHS)
    """Model widths (d_model), all at depth 1."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds per width (trained together in one batched pass)."""
    budget: Budget = FULL
    """Training and evaluation budget per cell (FULL: the preset's)."""

    @classmethod
    def at(cls, scale: str) -> Config:
        return {
            "full": cls(),
            "quick": cls(widths=(8, 16, 32, 64, 128), seeds=(0,), budget=QUICK),
            "smoke": cls(widths=(8, 16), seeds=(0,), budget=SMOKE),
        }[scale]

    def spec(self) -> GridSpec:
        return presets.demo().with_overrides(
            {"width": list(self.widths), "seed": list(self.seeds), **self.budget.fields()}
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, "results/threshold", argv)
    ds = run(Config.at(args.scale).spec(), args)
    g = gain(ds).sel(depth=1)
    base = ds.base_pass_at_k.sel(k=1, split="id", depth=1)
    table = xr.concat(
        [base.mean("seed"), g.mean("seed"), g.std("seed", ddof=1)],
        dim=xr.DataArray(["base pass@1", "RL gain", "gain sd"], dims="row"),
    )
    print_table(table, "row", "width", "per width (columns): seed means", args)
    print("non-embedding parameters per width:", ds.n_params.broadcast_like(ds.width).values.tolist())
    figure = gain_figure(ds, None, args.out / "figures" / "threshold.png", "RL gain against size (H1)")
    done(args, figure)


PRESETS = {"threshold": lambda: Config.at("full").spec(), "threshold-quick": lambda: Config.at("quick").spec()}

if __name__ == "__main__":
    main()
