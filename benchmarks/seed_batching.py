"""Seed batching: S = 8 seeds of one small architecture trained in one batched pass vs one after another.

Same total work in both arms (pretraining steps + RL updates per seed, no evaluation). Both arms
run once untimed first with a few steps (first-call costs of torch kernels are not the steady
state, and whichever arm ran first used to pay them), then `--rounds` timed rounds that alternate
which arm goes first; each round gives a ratio, and the median ratio is reported with the median
times. On CPU (`--threads`, default 1) and, when available, on CUDA. `--clock cpu` times the
process's CPU seconds instead of wall seconds (CPU arms only): with one thread on an idle machine
they agree, and on a machine shared with other work the CPU clock is the steadier of the two.

    python benchmarks/seed_batching.py [--widths 8 32] [--seeds 8] [--rounds 3] [--threads 1] [--clock wall]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import torch

from toymodels import CellConfig, make_model, make_rl
from toymodels.run import pretrain_for

SEEDS = tuple(range(8))


def arm(cfg: CellConfig, batches: list[tuple[int, ...]], clock=time.perf_counter) -> float:
    """Seconds (of `clock`) to pretrain and RL-train every batch of seeds in `batches`, one batch at a time."""
    task = cfg.tasks()["pretrain"]
    dev = cfg.resolved_device()
    pretrain = pretrain_for(cfg, task)
    rl = make_rl(cfg)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = clock()
    for seeds in batches:
        model = make_model(cfg.model_config(), seeds).to(dev)
        _, alive = pretrain(model)
        rl(model, alive)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return clock() - t0


def compare(cfg: CellConfig, rounds: int, clock=time.perf_counter) -> dict[str, float]:
    """Median batched and one-after-another wall times and the median of the per-round ratios."""
    together, alone = [tuple(cfg.seeds)], [(s,) for s in cfg.seeds]
    warm = replace(cfg, pretrain_tokens=cfg.pretrain_tokens // 20, rl_updates=2)
    arm(warm, together)
    arm(warm, alone[:2])
    batched, serial = [], []
    for r in range(rounds):
        if r % 2:
            serial.append(arm(cfg, alone, clock))
            batched.append(arm(cfg, together, clock))
        else:
            batched.append(arm(cfg, together, clock))
            serial.append(arm(cfg, alone, clock))
    return {
        "batched": statistics.median(batched),
        "serial": statistics.median(serial),
        "ratio": statistics.median(s / b for s, b in zip(serial, batched, strict=True)),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--widths", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--seeds", type=int, default=len(SEEDS), help="seeds S (issue 24's target: 16 at width 32)")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds (the median is reported)")
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall seconds, or this process's CPU seconds (CPU arms only)",
    )
    args = ap.parse_args(argv)
    if args.rounds < 1 or any(w < 1 for w in args.widths):
        ap.error("--rounds and --widths must be integers >= 1")
    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    out = {}
    for dev in devices:
        for w in args.widths:
            cfg = CellConfig(
                width=w,
                pretrain_tokens=100 * 64 * 14,
                rl_updates=50,
                log_every=10,
                seeds=tuple(range(args.seeds)),
                device=dev,
            )
            clock = time.process_time if args.clock == "cpu" and dev == "cpu" else time.perf_counter
            r = out[(dev, w)] = compare(cfg, args.rounds, clock)
            print(
                f"{dev}: width={w} S={args.seeds}  batched {r['batched']:.2f} s  one after another "
                f"{r['serial']:.2f} s  speed-up {r['ratio']:.2f}x  (medians of {args.rounds} rounds, "
                f"{'CPU' if clock is time.process_time else 'wall'} seconds, {args.threads} thread(s))",
                flush=True,
            )
    return out


if __name__ == "__main__":
    main()
