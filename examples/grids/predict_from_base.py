"""Predict a grid's RL gains from base-only measurements, then run RL and score the prediction.

What it does, in order:

1. Base only: the grid (the demo's widths, ModChain L = 5) with `GridSpec.base_only` set, into
   OUT/base-only: every cell pretrained and evaluated exactly as the full run does it (same seeds,
   same counter-based sampling streams, same held-out prompts), but no RL. Nothing from RL is read.
2. Predict: the gain model of theory/amplifier.py, uncalibrated (scale 1, fitted on nothing):
   f = φ(p, G) · (1 − p1), with p1 the base pass@1, p its chance-corrected value and φ(p, G) =
   1 − p^G − (1 − p)^G the fraction of GRPO groups with any learning signal. f ranks the cells; it is
   not a gain in pass@1 units. The mean-field predictor (theory/predictor.py, lr = 1, not tuned) adds
   a predicted threshold N_c from the base per-step accuracy.
3. Run the RL grid into OUT (its base numbers must equal step 1's: printed).
4. Score: Spearman rank correlation of f with the observed gain over cells, against ln N's.

    python examples/grids/predict_from_base.py --quick                       # quick mode: under 2 min, 2 cores
    python examples/grids/predict_from_base.py                               # full, estimated: ~4 min, 2 cores
    python examples/grids/predict_from_base.py --device auto --executor ray  # the same on a GPU or Ray
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when loaded as a presets file
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from _common import FULL, QUICK, SMOKE, Budget, caveat, done, gain, parse_args, run  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from aha import presets  # noqa: E402
from theory.amplifier import gain_feature  # noqa: E402
from theory.predictor import predict_threshold  # noqa: E402
from toymodels.grid import GridSpec  # noqa: E402
from toymodels.runner import run_grid  # noqa: E402


@dataclass(frozen=True)
class Config:
    """The grid whose gains are predicted (full scale: aha/presets.py `demo`)."""

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
            "quick": cls(widths=(8, 32, 128), seeds=(0, 1), budget=QUICK),
            "smoke": cls(widths=(8, 16), seeds=(0,), budget=SMOKE),
        }[scale]

    def spec(self) -> GridSpec:
        spec = presets.demo().with_overrides(
            {"width": list(self.widths), "seed": list(self.seeds), **self.budget.fields()}
        )
        spec.name = "predict-from-base"
        return spec


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, "results/predict-from-base", argv)
    cfg = Config.at(args.scale)
    spec = cfg.spec()

    # 1. base-only measurements: (width, seed); the same cells as the RL grid's, without RL
    base = run_grid(
        dataclasses.replace(spec, base_only=True),
        args.out / "base-only",
        executor=args.executor,
        address=args.address,
        device=args.device,
        progress=args.scale == "full",
    ).sel(depth=1)
    assert not any(v.startswith("rl_") for v in base.data_vars), "a base-only run holds no RL numbers"
    p1 = base.base_pass_at_k.sel(k=1, split="id").where(base.status == "ok")
    q = base.base_step_prob.sel(split="id").where(base.status == "ok")
    n_params = base.n_params.broadcast_like(base.width).values.astype(float)
    chance, c = float(base.chance.sel(split="id")), spec.groups()[0].config
    dims, coords = ("width", "seed"), {"width": list(cfg.widths), "seed": list(cfg.seeds)}

    # 2. predictions, before any RL
    f = xr.DataArray(gain_feature(p1.transpose(*dims).values, chance=chance, G=c.group_size), dims=dims, coords=coords)
    mf = predict_threshold(
        q.mean("seed").values,
        n_params,
        L=c.rl_horizon(),
        n_updates=c.rl_updates,
        G=c.group_size,
        prompts_per_update=c.prompts_per_update,
        chance=chance,
    )
    print(f"\nbase only (no RL yet), seed means {caveat(args)}")
    print(f"{'width':>6s} {'n_params':>9s} {'base pass@1':>11s} {'step prob q':>11s} {'f = phi*(1-p1)':>14s}")
    for i, w in enumerate(cfg.widths):
        print(
            f"{w:>6d} {n_params[i]:>9.0f} {float(p1.sel(width=w).mean()):>11.3f} "
            f"{float(q.sel(width=w).mean()):>11.3f} {float(f.sel(width=w).mean()):>14.4f}"
        )
    ranking = [cfg.widths[i] for i in np.argsort(-f.mean("seed").values)]
    print(f"predicted ranking of the gain (largest first): widths {ranking}")
    print(
        f"mean-field predicted threshold N_c = {mf.N_c:.3g} non-embedding parameters"
        + "".join(f"; {n}" for n in mf.notes)
    )

    # 3. RL
    ds = run(spec, args)
    same = np.allclose(
        ds.base_pass_at_k.sel(k=1, split="id", depth=1).transpose(*dims).values,
        p1.transpose(*dims).values,
        equal_nan=True,
    )
    print(f"\nthe RL grid's base pass@1 equals the base-only run's: {same}")

    # 4. score the prediction
    obs = gain(ds).sel(depth=1)
    lnN = np.log(ds.n_params.broadcast_like(obs))
    ok = np.isfinite(obs.values) & np.isfinite(f.values)
    print(f"\nprediction against the observed RL gain, over {int(ok.sum())} cells {caveat(args)}")
    for name, x in (("f (base only)", f.values), ("ln N (size)", lnN.values)):
        rho = spearmanr(x[ok], obs.values[ok]).statistic if ok.sum() > 2 and np.ptp(x[ok]) > 0 else float("nan")
        print(f"  Spearman rho({name}, gain) = {rho:+.2f}")
    print("  observed mean gain per width:", [round(float(v), 3) for v in obs.mean("seed").values])

    fig, ax = plt.subplots(figsize=(5.5, 4))
    sc = ax.scatter(f.values.ravel(), obs.values.ravel(), c=np.log10(ds.n_params.broadcast_like(obs).values.ravel()))
    fig.colorbar(sc, label="log10 non-embedding parameters")
    ax.set_xlabel("predicted from base only: f = φ(p, G)·(1 − p1) (unitless, uncalibrated)")
    ax.set_ylabel("observed RL gain in pass@1")
    ax.set_title("Predicted before RL against observed after (one dot per cell)")
    figure = args.out / "figures" / "predict_from_base.png"
    figure.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(figure, dpi=120)
    plt.close(fig)
    done(args, figure)


PRESETS = {
    "predict-from-base": lambda: Config.at("full").spec(),
    "predict-from-base-quick": lambda: Config.at("quick").spec(),
}

if __name__ == "__main__":
    main()
