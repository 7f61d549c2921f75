"""Cells per CPU-hour on the study's reference setting: the runner now against its evaluation before issue 24.

The reference setting (aha.studies.REF: ModChain L=5, GRPO) at widths `--widths` (default 8-64),
`--seeds` seeds batched per cell (default 12), with `--pretrain-tokens` and `--rl-updates` (the
study's budgets are 700k and 150; the defaults here are smaller so that a bench run stays short,
which raises evaluation's share of a cell). Two arms in one process, per width, in alternating
order after an untimed warm-up, `--rounds` times (the fastest round of each arm is kept): "now" is
`run_cell` as shipped; "before" is the same `run_cell` with the evaluation of the
code before issue 24 (every row decoded, all seeds in one batch; pretraining and RL are unchanged
by issue 24). Reported: seconds per cell (per seed) of each arm, the share of evaluation, and the
ratio before / now = cells per CPU-hour now / before.

    python benchmarks/reference_grid.py [--widths 8 16 32 64] [--seeds 12] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import functools
import sys

from bench_cli import machine_args, set_machine

import toymodels.run as run_module
from toymodels import CellConfig, run_cell

E = sys.modules["toymodels.evaluate"]
BEFORE = functools.partial(E.evaluate, sampler=E.generate_every_row, slice_bytes=2**62)


def timed_cell(cfg: CellConfig, before: bool, clock) -> tuple[float, float]:
    """(seconds of the whole cell, seconds in evaluation) with the chosen evaluation."""
    spent = [0.0]
    inner = BEFORE if before else E.evaluate

    def counting(*a, **k):
        t0 = clock()
        r = inner(*a, **k)
        spent[0] += clock() - t0
        return r

    run_module.evaluate = counting
    try:
        t0 = clock()
        run_cell(cfg)
        return clock() - t0, spent[0]
    finally:
        run_module.evaluate = E.evaluate


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64])
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--pretrain-tokens", type=int, default=100_000)
    ap.add_argument("--rl-updates", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2, help="rounds per arm, alternating; the fastest is kept")
    machine_args(ap)
    args = ap.parse_args(argv)
    clock = set_machine(args)
    tot = {"before": 0.0, "now": 0.0}
    warm = CellConfig(horizon=5, width=8, seeds=(0, 1), pretrain_tokens=5_000, rl_updates=2, device="cpu")
    for before in (True, False):  # first-call costs of torch kernels, paid by neither arm's timing
        timed_cell(warm, before, clock)
    for i, w in enumerate(args.widths):
        cfg = CellConfig(
            task="ModChain",
            horizon=5,
            width=w,
            seeds=tuple(range(args.seeds)),
            pretrain_tokens=args.pretrain_tokens,
            rl_updates=args.rl_updates,
            log_every=5,
            device="cpu",
        )
        res = {"before": [], "now": []}
        for r in range(args.rounds):
            for arm in ("before", "now") if (i + r) % 2 == 0 else ("now", "before"):
                res[arm].append(timed_cell(cfg, arm == "before", clock))
        (b, be), (n, ne) = (min(res[a]) for a in ("before", "now"))  # the least disturbed round of each
        tot["before"] += b
        tot["now"] += n
        print(
            f"width {w}, {args.seeds} seeds ({args.clock} clock): before {b / args.seeds:.2f} s per cell "
            f"(evaluation {be / b:.0%}), now {n / args.seeds:.2f} s (evaluation {ne / n:.0%}); "
            f"cells per CPU-hour now / before {b / n:.2f}x"
        )
    print(f"whole grid: cells per CPU-hour now / before {tot['before'] / tot['now']:.2f}x")
    return tot


if __name__ == "__main__":
    main()
