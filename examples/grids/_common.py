"""What every grid script shares: the command line, the run budget, running a grid and saying where it went.

question.py asks one question per named grid of aha/presets.py; mlp_vs_transformer.py and
predict_from_base.py add their own analysis (each with its own `Config` dataclass). They call:

    args = parse_args(__doc__, default_out="results/threshold")   # --quick, --out, --executor, --device
    ds = run(cfg.spec(), args)                                      # resumable; report.md + fits
    figure = ...                                                    # the script's own figure
    done(args, figure)                                              # prints where everything is

The same code runs at every scale: `--quick` (under 2 minutes on 2 CPU cores: numbers that show the
script works, not an answer), the default full scale (the preset in aha/presets.py, hours on a CPU,
minutes on a GPU or a Ray cluster: `--device auto --executor ray`), and a hidden `--smoke` for CI.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from toymodels.devices import DEVICES  # noqa: E402
from toymodels.grid import GridSpec  # noqa: E402
from toymodels.results import ok_only, rl_gain  # noqa: E402

SCALES = ("full", "quick", "smoke")


@dataclass(frozen=True)
class Budget:
    """How much each cell trains and evaluates; None leaves the preset's (or CellConfig's) value."""

    pretrain_tokens: int | None = None
    """Pretraining tokens per model (the same for every size)."""
    rl_updates: int | None = None
    """GRPO policy updates."""
    prompts_per_update: int | None = None
    """Prompts (groups) per RL update."""
    eval_prompts: int | None = None
    """Held-out prompts per evaluation split."""
    k_max: int | None = None
    """Samples per evaluation prompt (largest k of pass@k)."""
    log_every: int | None = None
    """Record RL curves every this many updates."""

    def fields(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if v is not None}


FULL = Budget()
"""The preset's own budget."""
QUICK = Budget(pretrain_tokens=300_000, rl_updates=40, prompts_per_update=8, eval_prompts=32, k_max=16, log_every=5)
"""20-40 s for a handful of cells on 2 CPU cores (measured; examples/README.md)."""
SMOKE = Budget(pretrain_tokens=6_000, rl_updates=2, prompts_per_update=4, eval_prompts=8, k_max=4, log_every=1)
"""Seconds: only proves the script runs (the test suite)."""
BUDGETS = {"full": FULL, "quick": QUICK, "smoke": SMOKE}


@dataclass(frozen=True)
class RunArgs:
    """The command line every grid script takes."""

    out: Path
    """Run directory: grid.nc, cells/, report.md, figures/ (rerun the same command to resume)."""
    scale: str
    """'full', 'quick' (--quick) or 'smoke' (--smoke, hidden)."""
    executor: str
    """'local' or 'ray' (each group of seeds a Ray task)."""
    address: str | None
    """Ray cluster address (None: start a local Ray)."""
    device: str
    """'auto' (CUDA when available), 'cpu' or 'cuda'."""
    n_boot: int
    """Bootstrap resamples of the theory fits (fewer at the small scales)."""
    question: str | None = None
    """The named question a script with several asks (examples/grids/question.py)."""


def parse_args(
    doc: str, default_out: str, argv: list[str] | None = None, questions: list[str] | None = None
) -> RunArgs:
    """--quick / --out / --executor / --address / --device, the hidden --smoke, and with ``questions``
    the question to run (``default_out`` may name it as {question})."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if questions:
        ap.add_argument("question", choices=questions, help="the question (grid) to run")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="quick mode: under 2 minutes on 2 CPU cores (fewer sizes, one seed, a small budget); "
        "its numbers only show that the script works, they answer nothing",
    )
    ap.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)  # seconds; for the test suite
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"run directory (default {default_out}, or {default_out}-quick with --quick); "
        "rerun the same command to resume",
    )
    ap.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local: one process; ray: one task per group of seeds (pip install 'aha-playground[dist]')",
    )
    ap.add_argument("--address", default=None, help="Ray cluster address (default: start Ray locally)")
    ap.add_argument("--device", choices=DEVICES, default="auto", help="auto: CUDA when available")
    a = ap.parse_args(argv)
    scale = "smoke" if a.smoke else "quick" if a.quick else "full"
    question = getattr(a, "question", None)
    out = a.out or Path(default_out.format(question=question) + ("" if scale == "full" else f"-{scale}"))
    return RunArgs(out, scale, a.executor, a.address, a.device, 200 if scale == "full" else 20, question)


def run(spec: GridSpec, args: RunArgs, hypotheses: tuple[str, ...] = ("H1",)) -> xr.Dataset:
    """Run (or resume) the grid into args.out, then write fits.json, the standard figures and report.md;
    print the theory lines of `hypotheses` (ids of DESIGN.md), rendered from fits.json."""
    from aha.fit import analyse  # noqa: PLC0415
    from aha.render import item_lines  # noqa: PLC0415
    from aha.report import write_report  # noqa: PLC0415
    from toymodels.runner import run_grid  # noqa: PLC0415

    print(f"{spec.name}: {spec.n_cells} cells ({args.scale} scale) -> {args.out}", flush=True)
    t0 = time.time()
    ds = run_grid(
        spec, args.out, executor=args.executor, address=args.address, device=args.device, progress=args.scale == "full"
    )
    print(f"grid done in {time.time() - t0:.0f} s", flush=True)
    if (ds.status == "ok").any():
        with warnings.catch_warnings():  # empty slices of tiny grids; the report says what was not testable
            warnings.simplefilter("ignore", RuntimeWarning)
            fits = analyse(args.out, n_boot=args.n_boot)
        write_report(args.out)
        items = [it for it in fits["theory"] if it["result"] is not None and it["claim"].split()[0] in hypotheses]
        lines = [item_lines(fits, it)[0] for it in items]
        print("\n".join([f"theory fits ({', '.join(hypotheses)}; more in report.md, ## Theory):", *lines]))
    return ds


def gain(ds: xr.Dataset) -> xr.DataArray:
    """RL gain in pass@1 on the in-distribution split, cells that did not finish 'ok' masked."""
    return ok_only(rl_gain(ds), ds)


def caveat(args: RunArgs) -> str:
    """The line printed above every table: what the numbers can and cannot say at this scale."""
    if args.scale == "full":
        return "(full scale: means over seeds; report.md gives the intervals and verdicts)"
    return (
        f"({args.scale} mode: these numbers only show that the script works; at this budget they mean "
        "nothing about the question. Run at full scale, without --quick, for an answer.)"
    )


def print_table(
    table: xr.DataArray, row: str, col: str, title: str, args: RunArgs | None, fmt: str = "{:+8.3f}"
) -> None:
    """A (row x col) table; with `args`, under the caveat of that scale (measured numbers)."""
    print(f"\n{title}" + (f"\n{caveat(args)}" if args is not None else ""))
    cols = [str(c) for c in table[col].values]
    print(f"{row:>14s} " + " ".join(f"{c:>8s}" for c in cols))
    for r in table[row].values:
        vals = np.atleast_1d(table.sel({row: r}).transpose(col, ...).values)
        print(f"{str(r):>14s} " + " ".join(fmt.format(float(v)) for v in vals))


def done(args: RunArgs, figure: Path) -> None:
    print(f"\nresults: {args.out / 'grid.nc'} (xarray; one file per cell in {args.out / 'cells'})")
    print(f"report:  {args.out / 'report.md'} (fits in {args.out / 'fits.json'})")
    print(f"figure:  {figure} (more in {args.out / 'figures'})")


def gain_figure(ds: xr.Dataset, by: str | None, path: Path, title: str) -> Path:
    """RL gain (pass@1) against non-embedding parameters: seeds as dots, their mean as a line, one line per `by`."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    g = gain(ds)
    fig, ax = plt.subplots(figsize=(6, 4))
    for value in g[by].values if by else [None]:
        sub = g.sel({by: value}) if by else g
        rest = [d for d in sub.dims if d not in ("width", "seed")]
        sub = sub.isel({d: 0 for d in rest}) if rest else sub  # e.g. depth when it is not `by`
        n = sub["n_params"].broadcast_like(sub)
        label = f"{by} = {value}" if by else "seed mean"
        line = ax.plot(n.mean("seed"), sub.mean("seed"), "o-", label=label)[0]
        ax.scatter(n.values.ravel(), sub.values.ravel(), s=10, alpha=0.4, color=line.get_color())
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # decade labels only
    ax.set_xlabel("non-embedding parameters")
    ax.set_ylabel("RL gain in pass@1 (after − before)")
    ax.set_title(title)
    ax.legend(fontsize=8, title="lines: seed means; dots: seeds", title_fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
