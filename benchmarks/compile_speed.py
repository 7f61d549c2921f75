"""torch.compile against eager on a small grid: time per cell and the RL-gain distribution both ways.

The grid: ModChain L=5 (the study's reference task), widths `--widths`, `--seeds` seeds batched per
cell, `--pretrain-tokens` and `--rl-updates` (small by default, to fit a bench run). Each arm runs
every cell twice: the first run of a shape pays the compilation (inductor, compiled in this process:
compile_threads=1, so the CPU clock sees it), the second reuses the compiled graphs as every later
cell of that shape would. Reported: first and second run seconds per arm, the ratio eager / compiled
of the second runs (> 1: compile wins), and the gain rl_pass@1 - base_pass@1 (id split) per seed
in both arms with their means, sds and a Welch t statistic (same statistics expected; not the same
bits, since rounding moves sampled tokens).

    python benchmarks/compile_speed.py [--widths 16 32] [--seeds 4] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from toymodels import CellConfig, run_cell


def cell(width: int, seeds: int, tokens: int, updates: int, compiled: bool) -> CellConfig:
    return CellConfig(
        task="ModChain",
        horizon=5,
        width=width,
        seeds=tuple(range(seeds)),
        pretrain_tokens=tokens,
        rl_updates=updates,
        device="cpu",
        torch_compile=compiled,
    )


def gains(ds) -> np.ndarray:
    return (ds.rl_pass_at_k - ds.base_pass_at_k).sel(k=1, split="id").values


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--pretrain-tokens", type=int, default=150_000)
    ap.add_argument("--rl-updates", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch._inductor.config.compile_threads = 1  # compile in this process: the CPU clock counts it
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    out = {}
    for w in args.widths:
        row = {}
        for name, on in (("eager", False), ("compiled", True)):
            cfg = cell(w, args.seeds, args.pretrain_tokens, args.rl_updates, on)
            times, ds = [], None
            for _ in range(2):
                t0 = clock()
                ds = run_cell(cfg)
                times.append(clock() - t0)
            row[name] = {"first_s": times[0], "second_s": times[1], "gain": gains(ds)}
        e, c = row["eager"], row["compiled"]
        ge, gc = e["gain"], c["gain"]
        welch = (ge.mean() - gc.mean()) / np.sqrt(ge.var(ddof=1) / len(ge) + gc.var(ddof=1) / len(gc) + 1e-12)
        print(
            f"width {w}, {args.seeds} seeds ({args.clock} clock, {args.threads} thread(s)): eager {e['first_s']:.1f} s "
            f"then {e['second_s']:.1f} s; compiled {c['first_s']:.1f} s (compiling) then {c['second_s']:.1f} s; "
            f"eager/compiled {e['second_s'] / c['second_s']:.2f}x; gain eager {ge.mean():+.3f} "
            f"sd {ge.std(ddof=1):.3f}, compiled {gc.mean():+.3f} sd {gc.std(ddof=1):.3f}, Welch t {welch:+.2f}"
        )
        out[w] = row
    return out


if __name__ == "__main__":
    main()
