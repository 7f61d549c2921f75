"""The command-line arguments every timing script shares: torch CPU threads and the clock.

    from bench_cli import machine_args, set_machine
    machine_args(ap)                 # --threads (default 1), --clock {wall, cpu}
    clock = set_machine(ap.parse_args(argv))

`--clock cpu` times process CPU seconds: on a machine shared with other work it is the steadier one.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch


def machine_args(ap: argparse.ArgumentParser, threads: int = 1) -> None:
    """Add --threads and --clock to ``ap``."""
    ap.add_argument("--threads", type=int, default=threads, help="torch CPU threads")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")


def set_machine(args: argparse.Namespace) -> Callable[[], float]:
    """Set torch's CPU threads from ``args`` and return the clock it names."""
    torch.set_num_threads(args.threads)
    return time.process_time if args.clock == "cpu" else time.perf_counter
