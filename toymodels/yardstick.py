"""Machine yardstick: what this machine does in a fixed piece of work, so absolute times from two
machines compare (issue 24 item 6).

Two numbers:
- matmul GFLOP/s: float32 1024 x 1024 @ 1024 x 1024 with a given number of torch threads, the best
  of `rounds` timed products after a warm-up;
- tiny-cell seconds: `run_cell` of one fixed tiny cell (TINY below: ModChain L=3, width 16, one
  seed, 30k pretraining tokens, 10 RL updates, 16 prompts x 16 samples per evaluation) with 1 torch
  thread, the median of `rounds` runs after a warm-up run.

A wall time reads in the machine's units as `seconds / tiny_cell_s` tiny cells. `aha demo` (and
`aha grid --yardstick`) records `measure()` in env.json's "yardstick", beside "timing", after the
grid so the cells run undisturbed; benchmarks/yardstick.py prints a longer measurement first in
`make bench`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from . import storage
from .config import CellConfig
from .run import run_cell

TINY = {
    "task": "ModChain",
    "horizon": 3,
    "width": 16,
    "depth": 1,
    "seeds": (0,),
    "pretrain_tokens": 30_000,
    "rl_updates": 10,
    "eval_prompts": 16,
    "k_max": 16,
    "device": "cpu",
}
"""The fixed tiny cell: never change it, or yardsticks from before and after stop being comparable."""

Clock = Callable[[], float]


def matmul_gflops(threads: int, rounds: int, clock: Clock = time.perf_counter) -> float:
    """Best float32 1024^3 matmul throughput with `threads` torch threads (the old count restored)."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
        a @ b  # warm-up
        best = float("inf")
        for _ in range(rounds):
            t0 = clock()
            for _ in range(4):
                a @ b
            best = min(best, (clock() - t0) / 4)
    finally:
        torch.set_num_threads(old)
    return 2 * 1024**3 / best / 1e9


def tiny_cell_s(rounds: int, clock: Clock = time.perf_counter) -> float:
    """Median seconds of `run_cell(TINY)` with 1 torch thread, after one untimed run (the old count restored)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = CellConfig(**TINY)
        run_cell(cfg)
        times = []
        for _ in range(rounds):
            t0 = clock()
            run_cell(cfg)
            times.append(clock() - t0)
    finally:
        torch.set_num_threads(old)
    return statistics.median(times)


def measure(tiny_rounds: int = 2, matmul_rounds: int = 3) -> dict:
    """The yardstick env.json records, in wall seconds: cheap (about 3 tiny cells and 13 products,
    ~2-3 s on 2 busy cores) because it runs at the end of every `aha demo`."""
    return {
        "matmul_gflops_1thread": round(matmul_gflops(1, matmul_rounds), 1),
        "tiny_cell_s": round(tiny_cell_s(tiny_rounds), 3),
        "clock": "wall",
    }


def record_yardstick(run_dir: Path, **rounds: int) -> dict:
    """Measure the yardstick and add it to run_dir/env.json as "yardstick" (beside "timing"); returns it."""
    path = Path(run_dir) / "env.json"
    found = measure(**rounds)
    storage.atomic_write_json(path, {**storage.read_json(path), "yardstick": found})
    return found
