"""Exercise 3 (solution): why GRPO learns nothing from all-fail or all-pass groups, the size threshold
that seems to follow, and what the demo's own data says about it.

GRPO's advantage is the reward minus the group mean (divided by the group's standard deviation). With
binary rewards, a group of G answers that all fail, or all pass, has zero advantage everywhere: it
contributes nothing to the gradient. With success probability p per answer, what fraction of groups
carries any signal? phi(p, G) = 1 - p^G - (1 - p)^G.

The simple story (TODOs 1-3): a larger model answers right more often, so more of its groups carry
signal, so RL starts to pay above some size. Then meet the data (TODO 4). The demo shipped with this
repository (docs/demo: ModChain, five chained additions mod 10, so one answer digit and a chance of 0.1)
does not follow that story. There the base pass@1 falls with size, from about chance at the smallest
width to below chance at the largest, and the fraction of informative groups that GRPO measured at its
first update falls with it; yet the RL gain rises with size. Run this file to see the numbers, then
explain them: which right answers carry no strategy at all, what else the larger models learned in
pretraining (half of its traces follow one consistent wrong rule), and what phi computed from fully
correct traces (every step right, not only the answer) is at the widths where RL gains and where it
does not.

Run: python examples/classroom/ex3/solution.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


# TODO 1 -------------------------------------------------------------------------------------------
def phi(p, G: int):
    """Fraction of informative groups (not all rewards equal) for success probability p (scalar or array)."""
    p = np.asarray(p, dtype=float)
    return 1 - p**G - (1 - p) ** G


# TODO 2 -------------------------------------------------------------------------------------------
def min_accuracy(G: int, target: float) -> float:
    """The smallest p in [0, 0.5] with phi(p, G) >= target (to 1e-6); NaN if even p = 0.5 falls short."""
    if phi(0.5, G) < target:
        return float("nan")
    lo, hi = 0.0, 0.5  # phi rises on [0, 0.5]
    while hi - lo > 1e-7:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if phi(mid, G) < target else (lo, mid)
    return hi


# TODO 3 -------------------------------------------------------------------------------------------
def size_threshold(n_params, base_accuracy, G: int, target: float) -> float:
    """The smallest model size (n_params) whose base accuracy gives phi >= target; NaN if none does.

    n_params and base_accuracy are arrays of the same length, in any order.
    """
    n = np.asarray(n_params, dtype=float)
    ok = phi(base_accuracy, G) >= target
    return float(n[ok].min()) if ok.any() else float("nan")


# TODO 4 -------------------------------------------------------------------------------------------
def signal_by_width(ds, G: int) -> dict[str, np.ndarray]:
    """Per width of a run's results (an xarray Dataset such as docs/demo/grid.nc), on the in-distribution
    evaluation prompts (split="id") at k = 1, computed per cell and then averaged over the cells with
    status "ok" at that width (over seeds, and depths if the run has several):

        "answer_phi": phi(base pass@1, G), the signal the sparse answer reward offers at the start of RL
        "trace_phi":  phi(base trace pass@1, G), the signal if only fully correct traces earned the reward
        "gain":       RL pass@1 - base pass@1

    Each value is a 1-D array in the order of ds.width.
    """
    ok = ds.status == "ok"
    base = ds.base_pass_at_k.sel(k=1, split="id")
    trace = ds.base_trace_pass_at_k.sel(k=1, split="id")
    rl = ds.rl_pass_at_k.sel(k=1, split="id")
    mean = lambda da: da.where(ok).mean([d for d in da.dims if d != "width"]).values  # noqa: E731
    return {
        "answer_phi": mean(1 - base**G - (1 - base) ** G),
        "trace_phi": mean(1 - trace**G - (1 - trace) ** G),
        "gain": mean(rl - base),
    }


def run_to_read() -> Path:
    """AHA_RUN_DIR, else the demo shipped with aha-playground (docs/demo beside the installed package, so
    this file runs from any folder)."""
    import envs  # noqa: PLC0415

    return Path(os.environ.get("AHA_RUN_DIR") or Path(envs.__file__).resolve().parents[1] / "docs" / "demo")


def per_width(ds, da) -> np.ndarray:
    """The mean of da per width over the cells with status "ok" (every other axis averaged)."""
    return da.where(ds.status == "ok").mean([d for d in da.dims if d != "width"]).values


def meet_the_data() -> None:
    """The demo's numbers beside the simple story's: base pass@1, phi from the answer reward, the phi GRPO
    measured at its first update, phi from fully correct traces, and the RL gain, per width."""
    import xarray as xr  # noqa: PLC0415

    run = run_to_read()
    if not (run / "grid.nc").is_file():
        print(f"{run / 'grid.nc'} does not exist: set AHA_RUN_DIR to a run directory")
        return
    ds = xr.open_dataset(run / "grid.nc", engine="h5netcdf").load()
    G = int(json.loads(ds.attrs["cell_config"])["group_size"])
    s = signal_by_width(ds, G)
    base = per_width(ds, ds.base_pass_at_k.sel(k=1, split="id"))
    measured = per_width(ds, ds.informative_frac.sel(step=0))
    print(f"\n{run}: G = {G}, chance {float(ds.chance.sel(split='id')):.3g}; per width, mean over seeds")
    print(
        f"{'width':>6s} {'n_params':>9s} {'base pass@1':>11s} {'phi(answer)':>11s} {'phi measured':>12s} "
        f"{'phi(traces)':>11s} {'RL gain':>8s}"
    )
    for i, w in enumerate(ds.width.values):
        print(
            f"{int(w):>6d} {int(ds.n_params.sel(width=w)):>9d} {base[i]:>11.3f} {s['answer_phi'][i]:>11.3f} "
            f"{measured[i]:>12.3f} {s['trace_phi'][i]:>11.3f} {s['gain'][i]:>+8.3f}"
        )


def main() -> None:
    try:
        print("phi(p, G=8):", {p: round(float(phi(p, 8)), 4) for p in (0.001, 0.01, 0.1, 0.5)})
        for G in (4, 8, 16, 64):
            print(f"G={G:>2d}: half the groups carry signal from base accuracy p = {min_accuracy(G, 0.5):.4f}")
        sizes = np.array([1e3, 3e3, 1e4, 3e4, 1e5])
        acc = np.array([0.001, 0.005, 0.03, 0.2, 0.6])  # base accuracy of each size (made up)
        for G in (8, 64):
            print(f"G={G}: the smallest size with phi >= 0.5 is {size_threshold(sizes, acc, G, 0.5):.0f}")
    except NotImplementedError as e:
        print(e)
    print("a larger group lowers the size at which GRPO starts to learn; it costs G samples per prompt")
    try:
        meet_the_data()
    except NotImplementedError as e:
        print(e)
        return
    print(
        "A right answer is one digit: at chance (0.1) a guess is right, so the small models' informative groups "
        "reward guesses and RL amplifies noise. The larger models answer below chance: their samples follow a "
        "rule, often the wrong one their pretraining also taught, so phi of the answer reward falls with size. "
        "But they also write fully correct traces, and phi of those is near zero where RL gains nothing and well "
        "above it where RL gains: the signal that matters comes from correct traces, not from answers that may "
        "be guessed. A threshold read off answer accuracy points the wrong way."
    )


if __name__ == "__main__":
    main()
