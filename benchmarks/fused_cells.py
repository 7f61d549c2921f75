"""Cells of one shape as one batch (issue 24 item 4): a sweep's cells run fused against each alone.

The cells of one width of the lr sweep (aha.presets.lr_sweep: the reference setting, ModChain L=5,
at `--values` RL learning rates, default 1e-5 1e-4 1e-3; `--knob temperature` sweeps the rollout
temperature instead, default 0.7 1.0 1.5; `--knob variants` runs the interventions grid's six
variants, plain, hint, curriculum, temperature, entropy bonus, dense reward: one pretraining, RL
batched for plain, temperature and entropy bonus, the others one after another), `--seeds` seeds
each, with `--pretrain-tokens` and `--rl-updates` (the study's are 700k and 150; the defaults here
are smaller so that a bench run stays short, which changes pretraining's share, the part fusion
shares: the ratio at the study's budgets differs). Two arms in one process, in alternating
order after an untimed warm-up at a tiny size, `--rounds` times (the fastest round of each arm is
kept): "alone" runs `run_cell` once per cell (the runner before item 4), "fused" runs
`toymodels.fused.run_cells` on all of them (one pretraining, one base evaluation per evaluation
setting, RL and the final evaluation batched where only RL knobs differ). The numbers are the same
(tests/test_fused.py). Reported: seconds per cell of each arm and the ratio alone / fused = cells
per CPU-hour fused / alone.

    python benchmarks/fused_cells.py [--widths 32] [--seeds 12] [--knob rl_lr] [--values ...] [--max-rows 64]
                                     [--clock wall|cpu]
"""

from __future__ import annotations

import argparse

from bench_cli import machine_args, set_machine

from aha.presets import interventions
from aha.studies import REF
from toymodels import CellConfig, run_cell
from toymodels.fused import MAX_ROWS, run_cells

DEFAULTS = {"rl_lr": [1e-5, 1e-4, 1e-3], "temperature": [0.7, 1.0, 1.5], "variants": []}
"""The swept values by knob: the lr sweep's span, and temperatures around the reference's 1.0."""


def overrides(knob: str, values: list[float] | None) -> list[dict]:
    """Each cell's config fields beyond the reference's."""
    if knob == "variants":
        return list(interventions().variants.values())
    return [{knob: v} for v in values or DEFAULTS[knob]]


def cells(width: int, seeds: int, over: list[dict], tokens: int, updates: int) -> list[CellConfig]:
    base = {**REF, "width": width, "seeds": tuple(range(seeds)), "pretrain_tokens": tokens, "rl_updates": updates}
    return [CellConfig(**{**base, "device": "cpu", **o}) for o in over]


def time_arms(cfgs: list[CellConfig], rounds: int, clock, max_rows: int) -> dict[str, float]:
    """Fastest seconds per cell of each arm over `rounds` alternating rounds; the fused arm runs
    RL batches of at most max_rows rows (whole cells), as the runner does (`fused.MAX_ROWS`)."""
    arms = {"alone": lambda: [run_cell(c) for c in cfgs], "fused": lambda: run_cells(cfgs, max_rows)}
    times = {k: [] for k in arms}
    for r in range(rounds):
        for k in list(arms)[:: 1 if r % 2 == 0 else -1]:
            t0 = clock()
            arms[k]()
            times[k].append((clock() - t0) / len(cfgs))
    return {k: min(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[32])
    ap.add_argument("--seeds", type=int, default=12, help="seeds per cell (the study's P(take-off) needs 12)")
    ap.add_argument("--max-rows", type=int, default=MAX_ROWS, help="rows (cells x seeds) per fused batch")
    ap.add_argument("--knob", choices=tuple(DEFAULTS), default="rl_lr")
    ap.add_argument("--values", type=float, nargs="+", help="values of the swept knob (default: by knob)")
    ap.add_argument("--pretrain-tokens", type=int, default=100_000)
    ap.add_argument("--rl-updates", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2, help="rounds per arm, alternating; the fastest is kept")
    machine_args(ap)
    args = ap.parse_args(argv)
    clock = set_machine(args)
    over = overrides(args.knob, args.values)
    run_cells(cells(8, 2, over[:2], 2_000, 2))  # warm-up: first-call costs of torch kernels
    out = {}
    for w in args.widths:
        cfgs = cells(w, args.seeds, over, args.pretrain_tokens, args.rl_updates)
        t = time_arms(cfgs, args.rounds, clock, args.max_rows)
        print(
            f"width {w}, {len(cfgs)} cells ({args.knob} {over}) x {args.seeds} seeds, "
            f"{args.pretrain_tokens} pretraining tokens, {args.rl_updates} RL updates, <= {args.max_rows} rows a batch "
            f"({args.clock} clock, {args.threads} thread(s)): "
            f"per cell alone {t['alone']:.1f} s, fused {t['fused']:.1f} s, alone/fused {t['alone'] / t['fused']:.2f}x"
        )
        out[w] = t
    return out


if __name__ == "__main__":
    main()
