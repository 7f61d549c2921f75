"""Parameter-grid script: sweep width x horizon on ModChain and print the gain table (H4).

    python examples/grid_horizon_sweep.py --out results/horizon-small      # about 5 minutes on 2 cores
    AHA_EXAMPLES_QUICK=1 python examples/grid_horizon_sweep.py --out /tmp/x   # a smoke run

It builds a `GridSpec` in code (the same object `aha grid --presets-file` loads), runs it with the
kill-safe runner (rerun the same command to resume), writes the usual report and figures, and
prints mean RL gain per (horizon, width). Also usable as a presets file:

    aha grid --preset horizon-small --presets-file examples/grid_horizon_sweep.py
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from toymodels.grid import GridSpec

QUICK = bool(os.environ.get("AHA_EXAMPLES_QUICK"))


def horizon_small() -> GridSpec:
    budget = ({"pretrain_tokens": 6_000, "rl_updates": 3, "k_max": 4, "eval_prompts": 8, "log_every": 1}
              if QUICK else {"pretrain_tokens": 400_000, "rl_updates": 100})
    return GridSpec(
        "horizon-small",
        axes={"width": [16, 64] if QUICK else [16, 32, 64, 128], "depth": [1], "horizon": [2, 4] if QUICK else [3, 5, 7],
              "seed": [0] if QUICK else [0, 1]},
        fixed={"task": "ModChain", **budget},
        description="H4 at classroom scale: does the width at which RL starts to pay grow with the horizon?",
    )


PRESETS = {"horizon-small": horizon_small}


def main() -> None:
    from aha.report import write_report  # noqa: PLC0415
    from toymodels.runner import run_grid  # noqa: PLC0415

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/horizon-small")
    args = ap.parse_args()
    ds = run_grid(horizon_small(), Path(args.out))
    gain = (ds.rl_pass_at_k - ds.base_pass_at_k).sel(k=1, split="id").where(ds.status == "ok")
    table = gain.mean("seed").sel(depth=1)
    print("mean RL gain in pass@1 (rows: horizon, columns: width)")
    print("        " + " ".join(f"{int(w):>7d}" for w in table.width.values))
    for h in table.horizon.values:
        print(f"L={int(h):<5d} " + " ".join(f"{float(v):+7.3f}" for v in table.sel(horizon=h).values))
    print("report:", write_report(Path(args.out)))


if __name__ == "__main__":
    main()
