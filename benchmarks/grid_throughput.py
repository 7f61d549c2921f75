"""Grid throughput: the batched runner vs the same cells one at a time with the one-cell API.

Both run the same grid (the demo preset's shape with a smaller budget by default) in one
process; the ratio is what seed batching and grouping buy. Prints absolute times and the ratio.

    python benchmarks/grid_throughput.py [--seeds 4] [--widths 16,32] [--device auto]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from aha.presets import demo
from toymodels.config import resolve_device
from toymodels.run import run_cell
from toymodels.runner import run_grid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--widths", default="16,32")
    ap.add_argument("--pretrain-tokens", type=int, default=60_000)
    ap.add_argument("--rl-updates", type=int, default=30)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    device = resolve_device(args.device).type
    spec = demo().with_overrides(
        {
            "width": [int(w) for w in args.widths.split(",")],
            "seed": list(range(args.seeds)),
            "pretrain_tokens": args.pretrain_tokens,
            "rl_updates": args.rl_updates,
            "device": device,
        }
    )
    groups = spec.groups()
    run_cell(replace(groups[0].config, seeds=(0,), pretrain_tokens=5_000, rl_updates=2))  # warm-up

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run_grid(spec, Path(tmp) / "run", device=device, progress=False)
    batched = time.perf_counter() - t0

    t0 = time.perf_counter()
    for g in groups:
        for s in g.config.seeds:
            run_cell(replace(g.config, seeds=(s,)))
    single = time.perf_counter() - t0

    print(
        f"grid: {spec.n_cells} cells ({len(groups)} shapes x {args.seeds} seeds), device={device}, "
        f"torch threads={torch.get_num_threads()}"
    )
    print(f"batched runner : {batched:8.2f} s  ({spec.n_cells / batched:.2f} cells/s)")
    print(f"one at a time  : {single:8.2f} s  ({spec.n_cells / single:.2f} cells/s)")
    print(f"ratio (one-at-a-time / batched): {single / batched:.2f}x")


if __name__ == "__main__":
    main()
