"""Evaluation per seed: batched over 8 seeds and alone, today's sampler against decoding every row.

One evaluation is what a grid cell runs per split and phase: 64 held-out prompts x 64 samples at
temperature 1, the greedy pass and the teacher-forced metrics (`toymodels.evaluate.evaluate`). The
models are pretrained on the study's reference setting (ModChain L=5, `--pretrain-tokens`, default
the reference's 700k), 8 seeds in one batch; the one-seed model is seed 0's weights. Arms:
"now" (`generate`: each distinct prefix decoded once, seeds in cache-sized slices) and "before"
(`generate_every_row`, all seeds in one batch: the code before issue 24), batched (8 seeds) and
alone (1 seed). Rounds alternate the arms' order; medians of per-seed seconds are reported, and
the ratios against the "before batched" arm of the same run.

    python benchmarks/eval_speed.py [--widths 16 32] [--rounds 3] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from bench_cli import machine_args, set_machine

from toymodels import CellConfig, make_model
from toymodels.run import pretrain_for

E = sys.modules["toymodels.evaluate"]  # the module (toymodels re-exports the function)
SEEDS = tuple(range(8))


def models(width: int, tokens: int):
    """(8-seed model, 1-seed model with seed 0's weights, the id task), pretrained on the reference."""
    cfg = CellConfig(task="ModChain", horizon=5, width=width, seeds=SEEDS, pretrain_tokens=tokens, device="cpu")
    many = make_model(cfg.model_config(), SEEDS)
    pretrain_for(cfg)(many)
    one = make_model(cfg.model_config(), SEEDS[:1])
    one.load_seed_states([many.seed_state(0)])
    return many, one, cfg.tasks()["id"]


def time_arms(many, one, task, rounds: int, clock) -> dict[str, float]:
    """Median per-seed seconds of each arm (sampler x batched/alone)."""
    before = {"sampler": E.generate_every_row, "slice_bytes": 2**62}  # the code before issue 24
    arms = {
        f"{name} {kind}": (model, opts)
        for name, opts in (("before", before), ("now", {}))
        for kind, model in (("batched", many), ("alone", one))
    }
    for model, opts in arms.values():  # warm-up
        E.evaluate(model, task, 64, 64, 1.0, **opts)
    times = {k: [] for k in arms}
    for r in range(rounds):
        for k in list(arms)[:: 1 if r % 2 == 0 else -1]:
            model, opts = arms[k]
            t0 = clock()
            E.evaluate(model, task, 64, 64, 1.0, **opts)
            times[k].append((clock() - t0) / model.n_seeds)
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pretrain-tokens", type=int, default=700_000)
    machine_args(ap)
    args = ap.parse_args(argv)
    clock = set_machine(args)
    out = {}
    for w in args.widths:
        many, one, task = models(w, args.pretrain_tokens)
        t = time_arms(many, one, task, args.rounds, clock)
        base = t["before batched"]
        cells = ", ".join(f"{k} {v * 1e3:.1f} ms ({v / base:.2f})" for k, v in t.items())
        print(f"width {w}, per seed ({args.clock} clock, {args.threads} thread(s)): {cells}")
        out[w] = t
    return out


if __name__ == "__main__":
    main()
