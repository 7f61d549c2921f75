"""`aha forecast`: will RL pay on this base model? Measure it, forecast the gain, say it in words.

    aha forecast --model PATH [--benchmark FILE.jsonl] [--tasks ModChain ...] [--group-size 8]
                 [--k-max 64] [--margin 0.05] [--out results/forecast]
    aha forecast --from-results samples.csv | lm_eval.json

Writes OUT/forecast.json and OUT/forecast.md and prints the markdown. The forecast is
llm_bridge.forecast's law calibrated on every published before/after-RL row, with the interval
from its leave-one-source-out residuals; beside it the constant-gain and ln N baselines and the
toy-grid law (docs/study/cells.csv, no real-data calibration).
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np


def add_forecast_parser(sub) -> None:
    q = sub.add_parser("forecast", help="forecast the RL gain of a local base model (or of results made elsewhere)")
    q.add_argument("--model", metavar="PATH", help="a local Hugging Face checkpoint directory (offline)")
    q.add_argument("--from-results", metavar="FILE", help="a CSV (prompt_id, sample, correct) or lm-eval JSON")
    q.add_argument("--benchmark", metavar="FILE.jsonl", help='JSONL: {"prompt", "answer", "verifier"} per line')
    q.add_argument("--tasks", nargs="+", default=[], help="project tasks (default ModChain without --benchmark)")
    q.add_argument("--group-size", type=int, default=8, help="RL group size G for the informative fraction")
    q.add_argument("--k-max", type=int, default=64, help="samples per prompt; pass@k up to k-max (>= 64)")
    q.add_argument("--n-prompts", type=int, default=64, help="instances per project task")
    q.add_argument("--shots", type=int, default=3, help="few-shot examples before each project-task prompt")
    q.add_argument("--max-new-tokens", type=int, default=32)
    q.add_argument("--temperature", type=float, default=1.0)
    q.add_argument("--batch-size", type=int, default=256, help="sequences per generate call")
    q.add_argument("--margin", type=float, default=0.05, help="gain worth the RL run, as a rate (0.05 = 5 points)")
    q.add_argument("--level", type=float, default=0.9, help="interval level")
    q.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--out", default="results/forecast")
    q.set_defaults(func=forecast_command)


def _check(args: argparse.Namespace) -> None:
    if bool(args.model) == bool(args.from_results):
        raise ValueError("give --model PATH (measure it here) or --from-results FILE (measured elsewhere), one of them")
    if args.from_results and (args.benchmark or args.tasks):
        raise ValueError("--benchmark and --tasks need --model; --from-results already holds the measurements")
    if args.group_size < 2:
        raise ValueError(f"--group-size must be an integer >= 2; got {args.group_size}")
    if not -1 < args.margin < 1:
        raise ValueError(f"--margin must be a rate in (-1, 1) (0.05 = 5 points); got {args.margin}")
    if not 0 < args.level < 1:
        raise ValueError(f"--level must lie in (0, 1); got {args.level}")


def forecast_command(args: argparse.Namespace) -> int:
    from llm_bridge.benchmark import PromptResults, summarize  # noqa: PLC0415
    from llm_bridge.measure import MeasureConfig, measure_model, read_results  # noqa: PLC0415

    from .bridge import _clean  # noqa: PLC0415

    _check(args)
    cfg = None
    if args.model:
        cfg = MeasureConfig(
            model=args.model,
            benchmark=args.benchmark,
            tasks=tuple(args.tasks),
            k_max=args.k_max,
            n_prompts=args.n_prompts,
            shots=args.shots,
            max_new_tokens=args.max_new_tokens,
            temperature=args.temperature,
            batch_size=args.batch_size,
            device=args.device,
            seed=args.seed,
        )  # reads and checks the benchmark: bad lines stop before anything is fitted or loaded
    t0 = time.time()
    if cfg:
        models = fit_models(args.level)  # before the long generation: a problem here costs no GPU time
        results, n_total = measure_model(cfg)
    else:
        results, n_total = read_results(args.from_results)  # bad files stop before anything is fitted
        models = fit_models(args.level)
    stats = [
        summarize(r, args.group_size) if isinstance(r, PromptResults) else _lm_eval_stats(r, args.group_size)
        for r in results
    ]
    rows = [forecast_row(s, models, n_total, args.margin, args.group_size) for s in stats]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "model": args.model or args.from_results,
        "params_total": n_total,
        "margin": args.margin,
        "level": args.level,
        "group_size": args.group_size,
        "forecast_model": models["forecast"].to_dict(),
        "toy_law": models["toy"].to_dict() if models["toy"] else None,
        "benchmarks": rows,
        "wall_s": round(time.time() - t0, 1),
    }
    (out / "forecast.json").write_text(json.dumps(_clean(report), indent=1) + "\n")
    md = markdown(report)
    (out / "forecast.md").write_text(md)
    print(md)
    print(f"written: {out / 'forecast.md'}, {out / 'forecast.json'}")
    return 0


@functools.lru_cache(maxsize=4)
def fit_models(level: float) -> dict:
    """The calibrated law (all published rows), its baselines and the toy law (if the study table ships);
    fitted once per process (the shipped tables do not change while it runs)."""
    from llm_bridge.forecast import fit_baselines, fit_forecast  # noqa: PLC0415
    from llm_bridge.scale_free import fit_toy_law  # noqa: PLC0415
    from llm_bridge.transfer import gain_rows  # noqa: PLC0415

    from .bridge import TOY_CELLS  # noqa: PLC0415

    df = gain_rows()
    return {
        "forecast": fit_forecast(df, level=level),
        "baselines": fit_baselines(df),
        "toy": fit_toy_law(TOY_CELLS, level) if TOY_CELLS.is_file() else None,
    }


def _lm_eval_stats(r: dict, G: int) -> dict:
    from theory.credit import phi  # noqa: PLC0415

    return {
        "benchmark": r["benchmark"],
        "n_prompts": None,
        "n_samples": None,
        "chance": 0.0,
        "greedy_accuracy": float("nan"),
        "pass1": r["pass1"],
        "pass_at_k": {1: r["pass1"]},
        "informative_fraction": float(phi(r["pass1"], G)),
        "G": G,
        "note": f"lm-eval gives only the mean {r['metric']}: φ at the mean pass@1 is an upper bound of the "
        "mean informative fraction (φ is concave)",
    }


def forecast_row(s: dict, models: dict, n_total: float, margin: float, G: int) -> dict:
    from llm_bridge.forecast import recommend  # noqa: PLC0415

    fc, base, toy = models["forecast"], models["baselines"], models["toy"]
    pr = fc.predict([s["pass1"]], s["chance"])
    mean, lo, hi = float(pr.mean[0]), float(pr.lo[0]), float(pr.hi[0])
    prob = float(fc.prob_at_least([s["pass1"]], margin, s["chance"])[0])
    return {
        **s,
        "forecast": {"mean": mean, "lo": lo, "hi": hi, "prob_at_least_margin": prob},
        "baselines": {
            "constant": base.constant,
            "lnN": float(base.predict_lnN(n_total / 1e9)[0]) if np.isfinite(n_total) else None,
        },
        "toy_law": float(toy.point([s["pass1"]], s["chance"])[0]) if toy else None,
        "recommendation": recommend(s["informative_fraction"], prob, mean, lo, hi, margin, G, s["pass1"], s["chance"]),
    }


def _f(x, fmt="{:.3f}") -> str:
    return "–" if x is None or not np.isfinite(x) else fmt.format(x)


def markdown(rep: dict) -> str:
    from llm_bridge.forecast import RECOMMEND_RULES  # noqa: PLC0415

    fm = rep["forecast_model"]
    lvl = int(round(100 * rep["level"]))
    md = [f"# RL gain forecast for {Path(str(rep['model'])).name}", ""]
    for r in rep["benchmarks"]:
        md.append(f"- **{r['benchmark']}**: {r['recommendation']}")
    md += [
        "",
        f"| benchmark | prompts × samples | greedy acc | pass@1 | pass@k (k) | informative fraction at G="
        f"{rep['group_size']} | forecast gain [{lvl}%] | P(gain ≥ {rep['margin']:.2f}) | constant | ln N | "
        "toy law |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rep["benchmarks"]:
        k = max(int(x) for x in r["pass_at_k"])
        f, b = r["forecast"], r["baselines"]
        md.append(
            f"| {r['benchmark']} | {r['n_prompts'] or '–'} × {r['n_samples'] or '–'} | "
            f"{_f(r['greedy_accuracy'])} | {_f(r['pass1'])} | {_f(r['pass_at_k'][k])} ({k}) | "
            f"{_f(r['informative_fraction'])} | {_f(f['mean'], '{:+.3f}')} [{_f(f['lo'], '{:+.3f}')}, "
            f"{_f(f['hi'], '{:+.3f}')}] | {_f(f['prob_at_least_margin'], '{:.2f}')} | "
            f"{_f(b['constant'], '{:+.3f}')} | {_f(b['lnN'], '{:+.3f}')} | {_f(r['toy_law'], '{:+.3f}')} |"
        )
    md += [
        "",
        f"Gains are rates (0.1 = 10 points of pass@1). Forecast: {fm['law']}, G = {fm['G']}, calibrated on "
        f"{fm['n_rows']} published before/after-RL rows from {fm['n_sources']} sources; the interval and P come "
        "from its leave-one-source-out residuals (how far it missed on sources it had not seen). pass@1 is the "
        "mean over sampled completions; the informative fraction is the chance that a group of G samples mixes "
        "right and wrong answers. How the sentence is chosen: " + RECOMMEND_RULES + ".",
    ]
    notes = {r["note"] for r in rep["benchmarks"] if r.get("note")}
    md += [f"- {n}." for n in sorted(notes)]
    return "\n".join(md) + "\n"
