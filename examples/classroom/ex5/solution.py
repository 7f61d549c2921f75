"""Exercise 5 (solution): entropy collapse, and the entropy-reward law R = -a * exp(H) + b fitted to a run.

During RL the policy's entropy H falls while the reward R rises. Cui et al. (2025, "The Entropy
Mechanism of Reinforcement Learning for Reasoning Language Models") report that R follows
R = -a * exp(H) + b over training: once the entropy is spent (H -> 0) the reward is capped at b - a.
Fit the law to the learning curves of a toy run and read the cap off the fit.

Run: python examples/classroom/ex5/solution.py        (reads the shipped docs/demo/grid.nc, or AHA_RUN_DIR/grid.nc)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


# TODO 1 -------------------------------------------------------------------------------------------
def fit_law(entropy: np.ndarray, reward: np.ndarray) -> tuple[float, float, float]:
    """(a, b, r2) of the least-squares fit R = -a * exp(H) + b over the finite points of two 1-D curves."""
    x, y = np.exp(np.asarray(entropy, dtype=float)), np.asarray(reward, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    slope, intercept = np.polyfit(x, y, 1)
    r2 = np.corrcoef(x, y)[0, 1] ** 2
    return float(-slope), float(intercept), float(r2)


# TODO 2 -------------------------------------------------------------------------------------------
def reward_when_entropy_is_spent(a: float, b: float) -> float:
    """The reward the law predicts at H = 0."""
    return b - a


def run_to_read() -> Path:
    """AHA_RUN_DIR, else the demo shipped with aha-playground (docs/demo beside the installed package, so
    this file runs from any folder)."""
    import envs  # noqa: PLC0415

    return Path(os.environ.get("AHA_RUN_DIR") or Path(envs.__file__).resolve().parents[1] / "docs" / "demo")


def main() -> None:
    import xarray as xr  # noqa: PLC0415

    run = run_to_read()
    ds = xr.open_dataset(run / "grid.nc", engine="h5netcdf").load()
    print(f"{run}: per width (seed 0), the law's fit over the RL curve and the reward it caps at")
    print(f"{'width':>6s} {'a':>7s} {'b':>7s} {'r2':>5s} {'cap b-a':>8s} {'final R':>8s} {'final H':>8s}")
    for w in ds.width.values:
        cell = ds.sel(width=w, seed=ds.seed.values[0]).isel(depth=0)
        a, b, r2 = fit_law(cell.entropy.values, cell.reward.values)
        print(
            f"{int(w):>6d} {a:>7.3f} {b:>7.3f} {r2:>5.2f} {reward_when_entropy_is_spent(a, b):>8.3f} "
            f"{float(cell.reward[-1]):>8.3f} {float(cell.entropy[-1]):>8.3f}"
        )
    print("where r2 is high and the final entropy is low, RL has little left to find: the cap is near")


if __name__ == "__main__":
    main()
