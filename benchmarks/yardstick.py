"""Machine yardstick: what this machine does in a fixed piece of work, printed first by `make bench`.

Two numbers make absolute times from two machines comparable (printed with the CPU model and core
count that env.json records; toymodels.devices.cpu_model):
- matmul GFLOP/s: float32 1024 x 1024 @ 1024 x 1024, with 1 torch thread and with `--threads`
  (default: all cores), the best of `--rounds` timed products after a warm-up;
- tiny-cell seconds: `run_cell` of one fixed tiny cell (toymodels.yardstick.TINY: ModChain L=3, width 16,
  one seed, 30k pretraining tokens, 10 RL updates, 16 prompts x 16 samples per evaluation),
  1 torch thread, the median of `--rounds` runs after a warm-up run.
A time measured elsewhere reads in tiny-cell units as `seconds / tiny_cell_s` (README and
benchmarks/README.md quote both; `aha demo` records a shorter measurement in env.json with the same
functions, from toymodels/yardstick.py). `--clock cpu` times this process's CPU seconds (steadier on a
machine shared with other work; the same as wall time on an idle machine with 1 thread).

    python benchmarks/yardstick.py [--rounds 5] [--threads N] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from toymodels.devices import cpu_model
from toymodels.yardstick import matmul_gflops, tiny_cell_s


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads of the second matmul")
    ap.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall", help="wall seconds or this process's CPU seconds"
    )
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.threads < 1:
        ap.error("--rounds and --threads must be >= 1")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    out = {
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "matmul_gflops_1thread": round(matmul_gflops(1, args.rounds, clock), 1),
        f"matmul_gflops_{args.threads}threads": round(matmul_gflops(args.threads, args.rounds, time.perf_counter), 1),
        "tiny_cell_s": round(tiny_cell_s(args.rounds, clock), 3),
        "clock": args.clock,
    }
    print(
        f"yardstick of {out['cpu_model']} ({out['cpu_cores']} cores): "
        f"matmul {out['matmul_gflops_1thread']} GFLOP/s (1 thread), "
        f"{out[f'matmul_gflops_{args.threads}threads']} GFLOP/s ({args.threads} threads, wall); "
        f"tiny cell {out['tiny_cell_s']} s (1 thread, {args.clock} clock)"
    )
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
