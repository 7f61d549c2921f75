"""MLP against transformer: is the threshold about parameters, or about attention?

The same widths on ModChain (horizon 5), three seeds, for a transformer and for an MLP over a fixed
window of tokens (CellConfig.model_kind). The two have different parameter counts at the same width,
so compare them against non-embedding parameters (the figure), not width. Prints the mean RL gain and
the parameter count per (model kind, width).

    python examples/grids/mlp_vs_transformer.py --quick                       # quick mode: under 2 min, 2 cores
    python examples/grids/mlp_vs_transformer.py                               # full, estimated: 30 cells, ~30 min
    python examples/grids/mlp_vs_transformer.py --device auto --executor ray  # the same on a GPU or Ray
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
    """Transformer and MLP over the same widths (the demo's setting, ModChain L = 5)."""

    widths: tuple[int, ...] = tuple(presets.DEMO_WIDTHS)
    """Model widths (d_model), all at depth 1."""
    kinds: tuple[str, ...] = ("transformer", "mlp")
    """CellConfig.model_kind values compared."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Seeds per cell (trained together in one batched pass)."""
    budget: Budget = FULL
    """Training and evaluation budget per cell (FULL: the demo preset's)."""

    @classmethod
    def at(cls, scale: str) -> Config:
        return {
            "full": cls(),
            "quick": cls(widths=(16, 64), seeds=(0,), budget=QUICK),
            "smoke": cls(widths=(8, 16), seeds=(0,), budget=SMOKE),
        }[scale]

    def spec(self) -> GridSpec:
        spec = presets.demo().with_overrides(
            {
                "width": list(self.widths),
                "model_kind": list(self.kinds),
                "seed": list(self.seeds),
                **self.budget.fields(),
            }
        )
        spec.name, spec.description = (
            "mlp-vs-transformer",
            ("Transformer against MLP at the same widths on ModChain L=5: is the threshold about parameters?"),
        )
        return spec


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, "results/mlp-vs-transformer", argv)
    ds = run(Config.at(args.scale).spec(), args)
    g = gain(ds).mean("seed").isel(depth=0)
    print_table(g, "model_kind", "width", "mean RL gain in pass@1 (rows: model kind, columns: width)", args)
    print_table(ds.n_params.broadcast_like(g), "model_kind", "width", "non-embedding parameters", None, fmt="{:>8.0f}")
    figure = gain_figure(
        ds,
        "model_kind",
        args.out / "figures" / "mlp_vs_transformer.png",
        "RL gain against parameters: MLP and transformer",
    )
    done(args, figure)


PRESETS = {
    "mlp-vs-transformer": lambda: Config.at("full").spec(),
    "mlp-vs-transformer-quick": lambda: Config.at("quick").spec(),
}

if __name__ == "__main__":
    main()
