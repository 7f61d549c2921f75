"""`aha forecast`: will RL pay on this model? Measure it, forecast the gain for its starting point, say it.

    aha forecast --model PATH --start base [--benchmark FILE.jsonl] [--tasks ModChain ...] [--out DIR]
    aha forecast --from-results samples.csv | lm_eval.json --start instruct

Writes OUT/forecast.json and OUT/forecast.md and prints the markdown. The work is llm_bridge's
(forecast_job: measure, fit, forecast; forecast_report: the markdown); this module parses, checks and
wires.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from toymodels.devices import DEVICES

STARTS = ("base", "instruct", "distilled", "rl-continued")


def add_forecast_parser(sub) -> None:
    q = sub.add_parser(
        "forecast",
        help="forecast the RL gain of a local model (or of results made elsewhere)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    a = q.add_argument
    a("--model", metavar="PATH", help="a local Hugging Face checkpoint folder, or a folder with one .gguf file")
    a("--from-results", metavar="FILE", help="a CSV (prompt_id, sample, correct) or an lm-eval JSON")
    a(
        "--start",
        help="what RL starts from (required, never guessed): base (a pretrained base, zero-RL), "
        "instruct (instruct/SFT/DPO), distilled (a distilled reasoner) or rl-continued (already RL-trained)",
    )
    a("--benchmark", metavar="FILE.jsonl", help='JSONL: {"prompt", "answer", "verifier", "chance"} per line')
    a("--tasks", nargs="+", default=[], help="project tasks (ModChain without --benchmark)")
    a("--group-size", type=int, default=8, help="RL group size G for the informative fraction")
    a("--k-max", type=int, default=64, help="samples per prompt; pass@k up to k-max (>= 64)")
    a("--n-prompts", type=int, default=64, help="instances per project task")
    a("--shots", type=int, default=0, help="few-shot examples before each project-task prompt")
    a("--max-new-tokens", type=int, default=1024, help="generation budget (room for chain of thought)")
    a(
        "--chat-template",
        choices=("auto", "on", "off"),
        default="auto",
        help="wrap prompts in the tokenizer's chat template (auto: when it has one)",
    )
    a(
        "--no-cot",
        dest="cot",
        action="store_false",
        default=argparse.SUPPRESS,
        help="project tasks ask for the answer only (default: they ask for steps first, as chain of thought)",
    )
    a("--temperature", type=float, default=1.0, help="sampling temperature")
    a("--batch-size", type=int, default=256, help="sequences per generate call")
    a("--margin", type=float, default=0.05, help="gain worth the RL run, as a rate (0.05 = 5 points)")
    a("--level", type=float, default=0.9, help="interval level")
    a("--device", choices=DEVICES, default="auto", help="where the model runs")
    a("--seed", type=int, default=0, help="evaluation stream and sampling seed")
    a("--out", default="results/forecast", help="output folder")
    q.set_defaults(func=forecast_command)


def _check(args: argparse.Namespace) -> None:
    if args.start not in STARTS:
        raise ValueError(
            f"--start must be one of {', '.join(STARTS)} (what RL starts from; the forecast does not guess it); "
            f"got {args.start!r}"
        )
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
    from llm_bridge.bridge_report import clean_json  # noqa: PLC0415
    from llm_bridge.forecast_job import forecast_report_dict  # noqa: PLC0415
    from llm_bridge.forecast_report import markdown  # noqa: PLC0415
    from llm_bridge.measure import MeasureConfig, require_transformers  # noqa: PLC0415

    _check(args)
    cfg = None
    if args.model:
        require_transformers()  # a missing [llm] extra stops here, before anything is fitted
        keys = ("benchmark", "k_max", "n_prompts", "shots", "max_new_tokens", "chat_template")
        cfg = MeasureConfig(
            model=args.model,
            tasks=tuple(args.tasks),
            temperature=args.temperature,
            batch_size=args.batch_size,
            device=args.device,
            seed=args.seed,
            cot=getattr(args, "cot", True),  # --no-cot sets it; its default is suppressed in --help
            **{k: getattr(args, k) for k in keys},
        )  # reads and checks the benchmark: bad lines stop before anything is fitted or loaded
    report = forecast_report_dict(
        args.start,
        cfg=cfg,
        from_results=args.from_results,
        margin=args.margin,
        level=args.level,
        group_size=args.group_size,
        seed=args.seed,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "forecast.json").write_text(json.dumps(clean_json(report), indent=1) + "\n")
    md = markdown(clean_json(report))
    (out / "forecast.md").write_text(md)
    print(md)
    print(f"written: {out / 'forecast.md'}, {out / 'forecast.json'}")
    return 0
