"""KV cache: one buffer per decode written in place (`preallocate`, today) against the cache grown by
torch.cat at every decoding step (the code before), in the same run.

Two decoders, each timed both ways on the same weights (8 seeds pretrained on the study's reference
setting, ModChain L=5, `--pretrain-tokens`, default the reference's 700k):
- evaluation: `toymodels.evaluate.evaluate` (64 held-out prompts x 64 samples at temperature 1, the
  greedy pass, teacher forcing), per seed;
- rollouts: one RL update's rollouts (`toymodels.rollout.rollout`, CellConfig's default 16 prompts
  x 8 samples per seed, the env judging every token), per seed.
The tokens are the same either way (tests/test_kv_cache.py). Rounds alternate the arms' order;
medians of per-seed seconds and the median of each round's ratio (before / now: > 1 is a gain).

    python benchmarks/kv_cache.py [--widths 16 32] [--rounds 5] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import importlib
import statistics

from bench_cli import machine_args, set_machine

from toymodels import CellConfig, make_model
from toymodels.rollout import make_env, rollout
from toymodels.run import pretrain_for

E = importlib.import_module("toymodels.evaluate")  # the module (toymodels re-exports the function)
SEEDS = tuple(range(8))


def setup(width: int, tokens: int):
    """(model, the two decoders as calls of no argument) at one width."""
    cfg = CellConfig(task="ModChain", horizon=5, width=width, seeds=SEEDS, pretrain_tokens=tokens, device="cpu")
    model = make_model(cfg.model_config(), SEEDS)
    pretrain_for(cfg)(model)
    task, G, n = cfg.tasks()["id"], cfg.group_size, cfg.prompts_per_update
    env = make_env(cfg, cfg.horizon, len(SEEDS) * n * G, "cpu")
    calls = {
        "evaluation": lambda: E.evaluate(model, task, 64, 64, 1.0),
        "rollouts": lambda: rollout(model, env, 0, n, G, cfg.temperature),
    }
    return model, calls


def time_arms(model, call, rounds: int, clock) -> tuple[dict[str, float], float]:
    """Median per-seed seconds of `call` with the cache preallocated ("now") and grown ("before"),
    and the median over rounds of before / now."""
    arms = {"before": False, "now": True}
    for on in arms.values():  # warm-up
        model.preallocate = on
        call()
    times, ratios = {k: [] for k in arms}, []
    for r in range(rounds):
        for k in list(arms)[:: 1 if r % 2 == 0 else -1]:
            model.preallocate = arms[k]
            t0 = clock()
            call()
            times[k].append((clock() - t0) / model.n_seeds)
        ratios.append(times["before"][-1] / times["now"][-1])
    model.preallocate = True
    return {k: statistics.median(v) for k, v in times.items()}, statistics.median(ratios)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pretrain-tokens", type=int, default=700_000)
    machine_args(ap)
    args = ap.parse_args(argv)
    clock = set_machine(args)
    out = {}
    for w in args.widths:
        model, calls = setup(w, args.pretrain_tokens)
        for name, call in calls.items():
            t, ratio = time_arms(model, call, args.rounds, clock)
            print(
                f"width {w}, {name} per seed ({args.clock} clock, {args.threads} thread(s), {len(SEEDS)} seeds): "
                f"cache grown by cat {t['before'] * 1e3:.2f} ms, preallocated {t['now'] * 1e3:.2f} ms, "
                f"before/now {ratio:.2f}x"
            )
            out[(w, name)] = (t, ratio)
    return out


if __name__ == "__main__":
    main()
