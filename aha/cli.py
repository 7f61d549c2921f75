"""The `aha` command: run grids, plot, report, fit, bridge.

    aha demo                                  # the demo grid into results/demo, with report and yardstick
    aha grid --preset horizon --set seed=0,1 --out results/h4
    aha fields                                # the fields --set accepts, with their defaults
    aha info results/demo | aha plot results/demo | aha report results/demo | aha fit results/demo
    aha info results/demo/grid.nc             # RUN_DIR or its grid.nc
    aha rebuild results/demo                  # grid.nc again from cells/ (after a crash or a corrupt file)
    aha bridge --published --out results/bridge
    aha forecast --model PATH --benchmark mine.jsonl   # will RL pay on this base model?

Bad arguments give one line on stderr and exit status 2, before any training starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from toymodels.devices import DEVICES
from toymodels.overrides import check_sets, parse_sets

from . import __version__


def run_dir_arg(path: str) -> Path:
    """RUN_DIR, or its grid.nc given as a file."""
    p = Path(path)
    if not p.exists():
        raise ValueError(f"RUN_DIR {p} does not exist")
    if p.name == "grid.nc" and p.is_file():
        p = p.parent
    if not (p / "grid.nc").is_file():
        raise ValueError(f"RUN_DIR {p} has no grid.nc; run `aha grid` or `aha demo` into it first")
    return p


# --- commands ----------------------------------------------------------------------------------
def cmd_grid(args: argparse.Namespace) -> int:
    from toymodels.grid import GridSpec  # noqa: PLC0415
    from toymodels.plugins import loaded as user_modules  # noqa: PLC0415
    from toymodels.runner import (
        record_timing,  # noqa: PLC0415
        run_grid,  # noqa: PLC0415  (heavy imports only when used)
    )

    from .presets import get_preset, load_presets_file, with_recipe  # noqa: PLC0415

    extra = load_presets_file(Path(args.presets_file)) if args.presets_file else None
    sets = parse_sets(args.set or [])
    check_sets(sets)  # every field a config field, a device that exists: before any work
    if isinstance(sets.get("device"), str):
        if args.device not in ("auto", sets["device"]):
            raise ValueError(f"--device {args.device} and --set device={sets['device']} disagree; give one")
        args.device = sets["device"]  # the runner resolves args.device and stores it as the cells' device
    from .studies import study_grid  # noqa: PLC0415

    named = study_grid(args.preset) if "/" in args.preset and args.preset not in (extra or {}) else None
    spec = named or get_preset(args.preset, extra)
    spec = with_recipe(spec, getattr(args, "recipe", None)).with_overrides(sets)
    if getattr(args, "base_only", False):  # pretrain + evaluate only: the input of `aha predict`
        spec = GridSpec.from_dict({**spec.to_dict(), "base_only": True})
    out = Path(args.out or f"results/{spec.name}")
    t0 = time.time()
    ds = run_grid(
        spec,
        out,
        executor=args.executor,
        address=args.address,
        device=args.device,
        force=args.force,
        progress=not args.quiet,
        user_modules=user_modules(),
        fuse=not getattr(args, "no_fuse", False),
    )
    print(f"grid {spec.name}: {spec.n_cells} cells in {out} ({time.time() - t0:.0f} s)")
    n_failed = int((ds.status == "failed").sum())
    if n_failed:
        print(
            f"aha grid: {n_failed} cells failed (tracebacks in {out / 'failed'}); rerun the same command to retry them",
            file=sys.stderr,
        )
    grid_s = time.time() - t0
    report = not args.no_report and n_failed < spec.n_cells and not spec.base_only
    if report:
        from .fit import analyse  # noqa: PLC0415

        analyse(out, fit=not args.no_fit)
    record_timing(out, grid_s, time.time() - t0)  # env.json: the one wall time every report quotes
    if getattr(args, "yardstick", None):  # after the grid and its timing, so neither the cells nor the time pay
        from toymodels.yardstick import record_yardstick  # noqa: PLC0415

        t1 = time.time()
        y = record_yardstick(out)
        print(
            f"machine yardstick in env.json: matmul {y['matmul_gflops_1thread']} GFLOP/s on 1 thread, "
            f"tiny cell {y['tiny_cell_s']} s (measured in {time.time() - t1:.1f} s)"
        )
    if report:
        from .report import write_report  # noqa: PLC0415

        print(f"report: {write_report(out)}")  # once, after the timing it quotes is recorded
    return 1 if n_failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    args.preset, args.presets_file, args.set, args.force = "demo", None, args.set, args.force
    args.out = args.out or "results/demo"
    args.no_report = args.no_fit = False
    args.executor, args.address = args.executor, args.address
    args.yardstick = args.yardstick is not False  # on unless --no-yardstick: the README quotes this wall time
    rc = cmd_grid(args)
    if rc == 0:  # what this machine's run shows against the shipped one, and whether that is expected
        from .demo_check import compare_with_shipped  # noqa: PLC0415

        print("\n".join(compare_with_shipped(Path(args.out))))
    return rc


def cmd_info(args: argparse.Namespace) -> int:
    from .report import describe_run  # noqa: PLC0415

    p = Path(args.run_dir)
    print(describe_run(p if p.is_file() and p.suffix == ".nc" else run_dir_arg(args.run_dir)))
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from toymodels.grid import GridSpec  # noqa: PLC0415
    from toymodels.runner import combine_run  # noqa: PLC0415

    run = Path(args.run_dir)
    run = run.parent if run.name == "grid.nc" else run
    if not (run / "config.json").is_file() or not (run / "cells").is_dir():
        raise ValueError(f"{run} has no config.json and cells/ to rebuild grid.nc from; rerun `aha grid` into it")
    t0 = time.time()
    ds = combine_run(GridSpec.from_dict(json.loads((run / "config.json").read_text())), run)
    print(f"grid.nc rebuilt from {run / 'cells'}/: {int(ds.status.size)} cells ({time.time() - t0:.1f} s)")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from .plots import plot_run  # noqa: PLC0415

    for p in plot_run(run_dir_arg(args.run_dir)):
        print(p)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .plots import plot_run  # noqa: PLC0415
    from .report import write_report  # noqa: PLC0415

    run = run_dir_arg(args.run_dir)
    if not (run / "fits.json").is_file():
        from .fit import fit_run  # noqa: PLC0415

        fit_run(run, fit=False, render=False)  # the collapses and sharpening the report prints
    plot_run(run)
    print(f"report: {write_report(run)}")
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    from .fit import fit_run  # noqa: PLC0415

    fit_run(run_dir_arg(args.run_dir), n_boot=args.n_boot)
    print(f"fits: {Path(args.run_dir) / 'fits.json'}")
    return 0


def cmd_fields(args: argparse.Namespace) -> int:
    from .fields import fields_text  # noqa: PLC0415

    print(fields_text())
    return 0


def cmd_bridge(args: argparse.Namespace) -> int:
    from llm_bridge.bridge_report import run_bridge  # noqa: PLC0415

    if not args.published and not args.model:
        raise ValueError("aha bridge needs --published and/or --model PATH")
    path = run_bridge(
        Path(args.out),
        published=args.published,
        models=[Path(m) for m in args.model or []],
        tasks=args.tasks,
        n_samples=args.n_samples,
        n_prompts=args.n_prompts,
        device=args.device,
        toy_fits=Path(args.toy_fits) if args.toy_fits else None,
    )
    print(f"bridge report: {path}")
    return 0


def cmd_readme(args: argparse.Namespace) -> int:
    from toymodels.results import compare_runs  # noqa: PLC0415
    from toymodels.storage import atomic_write_json  # noqa: PLC0415

    from .readme import publish, publish_study, update_readme  # noqa: PLC0415

    root = Path(args.root)
    docs = root / "docs"
    if args.compare:
        reps = [compare_runs(*(run_dir_arg(p) for p in pair)) for pair in args.compare]
        atomic_write_json(docs / "demo" / "repro.json", {"comparisons": reps})
        print("\n".join(r["summary"] for r in reps))
    if args.from_run:
        publish(run_dir_arg(args.from_run), docs)
    if args.study_from:
        publish_study(Path(args.study_from), docs)
    ok = update_readme(root / "README.md", docs, check=args.check)
    if args.check:
        print(
            "README.md is up to date with docs/demo/"
            if ok
            else "README.md differs from docs/demo/: run `aha readme` to regenerate it"
        )
        return 0 if ok else 1
    print("README.md " + ("unchanged" if ok else "rewritten") + " from docs/demo/")
    return 0


def cmd_study(args: argparse.Namespace) -> int:
    from .study import study_command  # noqa: PLC0415

    return study_command(args)


def cmd_predict(args: argparse.Namespace) -> int:
    from .study import predict_command  # noqa: PLC0415

    return predict_command(run_dir_arg(args.run_dir), Path(args.model), args.predictor)


def study_parsers(sub) -> None:
    q = sub.add_parser("study", help="run a named study (grids + claims C1-C11) and write study.md")
    q.add_argument("name", metavar="NAME", help="quick, full, or one from --studies-file")
    q.add_argument("--out", help="study directory (default results/study-<NAME>)")
    q.add_argument("--executor", choices=("local", "ray"), default="local")
    q.add_argument("--address", help="Ray cluster address (default: start a local instance)")
    q.add_argument("--device", choices=DEVICES, default="auto")
    q.add_argument("--dry-run", action="store_true", help="print cell counts and projected time; run nothing")
    q.add_argument("--studies-file", help="a Python file defining STUDIES = {name: function -> Study}")
    q.add_argument(
        "--reuse",
        action="append",
        metavar="DIR",
        help="take finished grids of the same spec from DIR "
        "instead of running them: a shipped study (docs/study), a study dir or an `aha grid` run dir",
    )
    q.add_argument(
        "--recipe",
        metavar="RECIPE.json",
        help="each width's RL learning rate from an lr sweep's recipe.json (docs/recipe/recipe.json): "
        "the rate chosen at the nearest swept width in log width; an explicit --set wins",
    )
    q.add_argument(
        "--rerun",
        action="append",
        default=[],
        metavar="GRID",
        help="never take this grid (or its refinement rounds) from --reuse: run it here (e.g. the reference at "
        "another --threads)",
    )
    q.add_argument(
        "--threads",
        type=int,
        help="torch threads for this run (a different summation order, like another CPU; default: torch's)",
    )
    q.add_argument(
        "--agree-with",
        metavar="DIR",
        help="another run of the same study (e.g. at another --threads): a verdict whose word differs "
        "there is written as not determined (agreement.json lists both)",
    )
    q.add_argument("--no-train", action="store_true", help="decide from finished grids only; never train")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(func=cmd_study)
    q = sub.add_parser("predict", help="predict each cell's RL gain and N_c from a base-only run")
    q.add_argument("run_dir", metavar="RUN_DIR")
    q.add_argument("--model", required=True, metavar="FITTED.json", help="predictors.json written by aha study")
    q.add_argument("--predictor", help="which fitted predictor (default: the study's best base-only one)")
    q.set_defaults(func=cmd_predict)


# --- parser ------------------------------------------------------------------------------------
def grid_options(q: argparse.ArgumentParser) -> None:
    """The options `aha demo` and `aha grid` share."""
    q.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="override a config field (`aha fields` lists them with their defaults); "
        "a comma list (width=8,16,32) sets an axis",
    )
    q.add_argument("--out", help="run directory (default results/<preset>)")
    q.add_argument("--executor", choices=("local", "ray"), default="local")
    q.add_argument("--address", help="Ray cluster address (default: start a local instance)")
    q.add_argument("--device", choices=DEVICES, default="auto")
    q.add_argument("--force", action="store_true", help="reuse a run directory that holds another config")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.add_argument(
        "--yardstick",
        action=argparse.BooleanOptionalAction,
        help="after the grid, measure this machine (1-thread matmul GFLOP/s, seconds of a fixed tiny cell; "
        "~3 s) into env.json, so the reports give the wall time in its units (default: on for demo, off for grid)",
    )
    q.add_argument(
        "--no-fuse",
        action="store_true",
        help="run every group on its own (default: groups that share a pretraining pretrain once, "
        "and those that differ only in rl_lr, temperature or entropy_coef run RL as one batch; same numbers)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aha", description="Measure when RL with sparse, delayed rewards starts to pay.")
    p.add_argument("--version", action="version", version=f"aha-playground {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    q = sub.add_parser("demo", help="run the demo grid into results/demo and write its report")
    grid_options(q)
    q.set_defaults(func=cmd_demo)

    q = sub.add_parser("grid", help="run a named grid preset")
    q.add_argument(
        "--preset",
        required=True,
        help="demo, dense, horizon, prior, width-vs-depth, interventions, pretrain-budget, aha-behaviour, "
        "capability, lr-sweep, a study's grid as STUDY/GRID (quick/threshold), or one from --presets-file",
    )
    q.add_argument("--presets-file", help="a Python file defining PRESETS = {name: function -> GridSpec}")
    q.add_argument("--no-report", action="store_true", help="skip figures and report.md")
    q.add_argument("--no-fit", action="store_true", help="skip the theory fits")
    q.add_argument("--base-only", action="store_true", help="pretrain and evaluate only, no RL (for aha predict)")
    q.add_argument(
        "--recipe",
        metavar="RECIPE.json",
        help="each width's RL learning rate from an lr sweep's recipe.json (docs/recipe/recipe.json): "
        "the rate chosen at the nearest swept width in log width; an explicit --set wins",
    )
    grid_options(q)
    q.set_defaults(func=cmd_grid)

    for name, func, hlp in (
        ("info", cmd_info, "dims, sizes and status counts of a run (RUN_DIR or its grid.nc)"),
        ("rebuild", cmd_rebuild, "rewrite RUN_DIR/grid.nc from its cells/ (nothing retrained)"),
        ("plot", cmd_plot, "write the figures of a run"),
        ("report", cmd_report, "write report.md (and figures) of a run"),
    ):
        q = sub.add_parser(name, help=hlp)
        q.add_argument("run_dir", metavar="RUN_DIR")
        q.set_defaults(func=func)

    q = sub.add_parser("fields", help="list the config fields that --set FIELD=VALUE accepts, with defaults")
    q.set_defaults(func=cmd_fields)

    q = sub.add_parser("fit", help="fit transition and credit-assignment models to a run (fits.json)")
    q.add_argument("run_dir", metavar="RUN_DIR")
    q.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples (default 200)")
    q.set_defaults(func=cmd_fit)

    q = sub.add_parser("bridge", help="check theory's predictions against real LLMs")
    q.add_argument("--published", action="store_true", help="use the published before/after-RL numbers")
    q.add_argument("--model", action="append", metavar="PATH", help="a local Hugging Face model directory")
    q.add_argument("--tasks", nargs="+", default=["ModChain"], help="tasks to evaluate local models on")
    q.add_argument("--n-samples", type=int, default=16, help="completions per prompt")
    q.add_argument("--n-prompts", type=int, default=32, help="prompts per task")
    q.add_argument("--device", choices=DEVICES, default="auto")
    q.add_argument("--toy-fits", help="fits.json of a toy grid to take the gain model from")
    q.add_argument("--out", default="results/bridge")
    q.set_defaults(func=cmd_bridge)
    study_parsers(sub)
    from .forecast_cmd import add_forecast_parser  # noqa: PLC0415  (its heavy imports stay inside the command)

    add_forecast_parser(sub)
    q = sub.add_parser("readme", help="regenerate README.md's demo numbers from docs/demo/ (or check them)")
    q.add_argument("--from", dest="from_run", metavar="RUN_DIR", help="first copy this demo run into docs/demo/")
    q.add_argument(
        "--compare",
        nargs=2,
        action="append",
        metavar="RUN_DIR",
        help="two runs of the same grid (repeatable): write docs/demo/repro.json",
    )
    q.add_argument("--study-from", metavar="STUDY_DIR", help="first copy this finished study into docs/study/")
    q.add_argument("--check", action="store_true", help="only compare; exit 1 when README.md is stale")
    q.add_argument("--root", default=".", help="the repository root (default .)")
    q.set_defaults(func=cmd_readme)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as e:
        if os.environ.get("AHA_DEBUG"):
            raise
        print(f"aha {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"aha {args.command}: interrupted; finished cells are kept, rerun the same command to resume",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
