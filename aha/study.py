"""`aha study NAME`: run a study's grids (resumable), refine the reference threshold, decide the
claims, write study.md; `aha predict`: a fitted predictor applied to a base-only run.

    results/study-quick/
      study.json           the study (a rerun with a different one stops)
      grids/<grid>/        one run directory per grid (and per refinement round), as `aha grid` writes
      refine.json          each refinement round: bracket, widths added, why it stopped
      reused.json          grids taken over finished with --reuse (not rerun)
      cells.csv            one row per cell: setting, width, seed, gain, base-only features, ...
      predictors.json      the fitted gain predictors (input of `aha predict --model`)
      predictions.csv      their in-sample predictions per cell
      study.md, figures/   claims table first, then one section per claim

Each grid resumes as `aha grid` does; refinement rounds are decided from results on disk, so a
rerun proposes the same rounds and skips what is finished. `--reuse DIR` takes finished grids of
the same spec instead of running them (a shipped study's docs/study/grids/<grid>.nc, another study
directory, or one `aha grid` run): they are copied to grids/<grid>/grid.nc, listed in reused.json
and named in study.md. So a grid added to a study joins the shipped one without rerunning the rest:

    aha grid --preset aha-behaviour --out results/aha-behaviour
    aha study quick --out results/study-quick --reuse docs/study --reuse results/aha-behaviour
    aha readme --study-from results/study-quick
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from theory.refine import propose_refinement
from theory.takeoff import takeoff_verdict
from toymodels import storage
from toymodels.cells import cell_table, swept_fields
from toymodels.cost import group_seconds, projection
from toymodels.grid import GridSpec
from toymodels.predict import load_predictors, predict_cells
from toymodels.reuse import finished_grid, refinement_specs, reuse_grids
from toymodels.runner import pending_groups, run_grid

from .studies import Study, get_study, load_studies_file

__all__ = ["run_study", "study_command", "predict_command", "print_projection"]


# --- running -------------------------------------------------------------------------------------
def _run(spec: GridSpec, out: Path, bar, opts: dict) -> xr.Dataset:
    cost = group_seconds(spec)
    done = finished_grid(spec, out)
    if done is not None:
        bar.update(sum(cost.values()))
        return done
    if opts.get("train") is False:
        raise ValueError(f"--no-train: grid {spec.name!r} has no finished grid.nc in {out} (it would train)")
    opts = {k: v for k, v in opts.items() if k != "train"}
    todo, _ = pending_groups(spec, out) if (out / "config.json").exists() else (spec.groups(), 0)
    bar.update(sum(cost.values()) - sum(cost[g.label] for g in todo))  # finished earlier
    bar.set_postfix_str(spec.name)
    return run_grid(spec, out, progress=False, on_group=lambda g: bar.update(cost[g.label]), **opts)


def _refine(study: Study, spec: GridSpec, root: Path, bar, opts: dict, spent: float) -> tuple[list, list[dict]]:
    """Refinement rounds of one grid; returns [(round spec, dataset)] and the log."""
    done, log = [], []
    base_ds = storage.load_dataset(root / spec.name / "grid.nc")
    table = cell_table(spec, base_ds)[0]
    if opts.get("train") is False:
        return _finished_rounds(study, spec, root, table)
    for r in range(1, study.budget.refine_rounds + 2):
        prop = _proposal(study, table, study.budget.refine_rounds - r + 1)
        specs = refinement_specs(spec, r, prop.new_widths, prop.more_seeds, study.budget.refine_seeds)
        cost = sum(sum(group_seconds(s).values()) for s in specs)
        entry = {"round": r, **prop.to_dict(), "projected_s": cost}
        if not prop.stop and study.budget.max_cpu_s is not None and spent + cost > study.budget.max_cpu_s:
            entry |= {
                "stop": "budget",
                "reason": f"the next round ({cost:.0f} s projected) would pass the study's "
                f"budget of {study.budget.max_cpu_s:.0f} s ({spent:.0f} s spent by projection)",
            }
        log.append(entry)
        if entry["stop"]:
            break
        bar.total += cost
        bar.refresh()
        for s in specs:
            ds = _run(s, root / s.name, bar, opts)
            done.append((s, ds))
            table = pd.concat([table, cell_table(s, ds, label=spec.name)[0]], ignore_index=True)
        spent += cost
    return done, log


def _proposal(study: Study, table: pd.DataFrame, rounds_left: int):
    """The refinement rules on a grid's cells so far (theory.refine, theory.takeoff)."""
    gains = {int(w): list(sub.sort_values("seed")["gain"]) for w, sub in table.groupby("width")}
    ok = table[table.status == "ok"]
    return propose_refinement(
        gains,
        min_seeds=study.budget.refine_seeds,
        rounds_left=rounds_left,
        takeoff_verdict=takeoff_verdict(ok["n_params"], ok["gain"]),
        takeoff_seeds=study.budget.takeoff_seeds,
    )


def _finished_rounds(study: Study, spec: GridSpec, root: Path, table: pd.DataFrame) -> tuple[list, list[dict]]:
    """--no-train: the refinement grids already finished on disk (<grid>-refine*, e.g. taken over with
    --reuse from a shipped study) join as they are, whatever rule proposed them; the log says so and
    what the current rules would run next (not run)."""
    done = []
    for d in sorted(root.glob(f"{spec.name}-refine*")):
        if (d / "grid.nc").is_file() and not (d / "cells").is_dir():
            ds = storage.load_dataset(d / "grid.nc")
            s = GridSpec.from_dict(json.loads(ds.attrs["config"]))
            done.append((s, ds))
            table = pd.concat([table, cell_table(s, ds, label=spec.name)[0]], ignore_index=True)
    prop = _proposal(study, table, study.budget.refine_rounds)
    names = ", ".join(s.name for s, _ in done) or "none"
    entry = {"round": "no-train", **prop.to_dict(), "projected_s": 0}
    entry["stop"] = "no-train"
    entry["reason"] = (
        f"--no-train: finished refinement grids taken as they are ({names}); the rules would next {prop.reason}"
    )
    return done, [entry]


def _check_study_dir(study: Study, specs: list[GridSpec], out: Path) -> None:
    """Write study.json, or check the one there: the same study, or this one extended (every grid it
    had is unchanged; grids and analyses were added), whose finished grids stay valid."""
    blob = {
        "name": study.name,
        "grids": [s.to_dict() for s in specs],
        "analyses": study.analyses,
        "refine": study.refine,
        "budget": vars(study.budget),
        "n_boot": study.n_boot,
        **({"behaviour": study.behaviour} if study.behaviour else {}),
        **({"moved": study.moved} if study.moved else {}),
    }
    path = out / "study.json"
    blob = json.loads(json.dumps(blob, default=str))
    old = json.loads(path.read_text()) if path.exists() else blob
    kept = (
        all(g in blob["grids"] for g in old.get("grids", []))
        and set(old.get("analyses", [])) <= set(blob["analyses"])
        and all(old.get(k) == blob.get(k) for k in ("name", "refine", "budget", "n_boot"))
    )
    if not kept:
        raise ValueError(f"{out} holds another study (study.json differs); use another --out")
    out.mkdir(parents=True, exist_ok=True)
    storage.atomic_write_json(path, blob)


def run_study(
    study: Study,
    out: Path,
    executor: str = "local",
    address: str | None = None,
    device: str = "auto",
    progress: bool = True,
    reuse: list[Path] | None = None,
    recipe: Path | None = None,
    rerun: list[str] | None = None,
    train: bool = True,
    agree_with: Path | None = None,
) -> Path:
    """Run (or resume) every grid, refine, analyse; returns the path of study.md. ``reuse``:
    directories whose finished grids are taken instead of run (``reuse_grids``), except the grids
    named in ``rerun``; ``recipe``: an lr sweep's recipe.json, each grid's RL learning rate per width
    (toymodels.recipe.with_recipe); ``train`` False: decide from finished grids only (a missing one is an
    error, refinement takes the finished rounds on disk); ``agree_with``: another run's study
    directory whose verdicts a flipped verdict is checked against (theory.agreement)."""
    from tqdm.auto import tqdm  # noqa: PLC0415

    from .study_report import write_study  # noqa: PLC0415

    out = Path(out)
    specs = study.specs(recipe)
    _check_study_dir(study, specs, out)
    if reuse:
        copied = reuse_grids(specs, reuse, out, skip=set(rerun or []))
        old = json.loads((out / "reused.json").read_text()) if (out / "reused.json").exists() else []
        storage.atomic_write_json(out / "reused.json", sorted(set(old) | set(copied)))
        if progress:
            print(f"reused finished grids: {', '.join(copied) or 'none new'}")
    t0 = time.time()
    from toymodels.plugins import loaded as user_modules  # noqa: PLC0415

    opts = {"executor": executor, "address": address, "device": device, "user_modules": user_modules(), "train": train}
    total = sum(sum(group_seconds(s).values()) for s in specs)
    bar = tqdm(
        total=total,
        unit="s",
        desc=f"study {study.name} (projected CPU s)",
        disable=not progress,
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s projected [{elapsed}<{remaining}{postfix}]",
    )
    runs = []
    for s in specs:
        runs.append((s, _run(s, out / "grids" / s.name, bar, opts), s.name))
    refine_log = {}
    for name in study.refine:
        spec = specs[[s.name for s in specs].index(name)]
        done, log = _refine(study, spec, out / "grids", bar, opts, total)
        runs += [(s, ds, name) for s, ds in done]
        refine_log[name] = log
    bar.close()
    storage.atomic_write_json(out / "refine.json", json.loads(json.dumps(refine_log, default=str)))
    frames, curves = [], {}
    fields = swept_fields(specs)
    for s, ds, label in runs:
        df, cv = cell_table(s, ds, label, fields)
        frames.append(df)
        curves |= cv
    cells = pd.concat(frames, ignore_index=True)
    wall = time.time() - t0
    return write_study(study, specs, cells, curves, refine_log, out, wall, agree_with)


# --- commands ------------------------------------------------------------------------------------
GPU_NOT_PROJECTED = (
    "GPU: not projected. No GPU time per cell has been measured (toymodels.cost.GPU_S_PER_GROUP is a "
    "placeholder, and it would put these tiny models slower on a GPU than on 2 CPU cores); to size a GPU run, "
    "time `aha demo --device cuda` there (env.json records its wall time) and scale by the CPU column."
)
"""What `aha study --dry-run` says about a GPU while no GPU figure is measured."""


def print_projection(study: Study) -> None:
    b = study.budget
    p = projection(study.specs(), study.refine, b.refine_rounds, b.refine_seeds, b.takeoff_seeds)
    print(f"study {study.name}: {len(study.specs())} grids, {p['cells']} cells (refinement at its budget's maximum)")
    print(f"{'grid':<42}{'cells':>7}{'CPU min':>9}")
    for r in p["rows"]:
        print(f"{r['grid']:<42}{r['cells']:>7}{r['cpu_s'] / 60:>9.1f}")
    print(f"{'total':<42}{p['cells']:>7}{p['cpu_s'] / 60:>9.1f}")
    print(
        "CPU: projected on 2 cores from the demo's measured seconds per cell (docs/demo/grid.nc wall_s) scaled "
        "by each cell's budgets (assumed split 45% pretraining, 40% RL, 15% evaluation), sequence length and depth."
    )
    print(GPU_NOT_PROJECTED)


def _check_run_args(study: Study, args) -> None:
    """--threads, --rerun and --agree-with checked before any work starts (one-line errors)."""
    threads = getattr(args, "threads", None)
    if threads is not None and threads < 1:
        raise ValueError(f"--threads must be an integer >= 1, got {threads}")
    names = [s.name for s in study.specs()]
    for g in getattr(args, "rerun", None) or []:
        if g not in names:
            raise ValueError(f"--rerun must name a grid of study {study.name!r} ({', '.join(names)}); got {g!r}")
    other = getattr(args, "agree_with", None)
    if other and not (Path(other) / "verdicts.json").is_file():
        raise ValueError(f"--agree-with {other} has no verdicts.json (a study directory written by aha study)")


def study_command(args) -> int:
    extra = load_studies_file(Path(args.studies_file)) if args.studies_file else None
    study = get_study(args.name, extra)
    if args.dry_run:
        print_projection(study)
        return 0
    from toymodels.devices import resolve_device  # noqa: PLC0415

    resolve_device(args.device)
    _check_run_args(study, args)
    if getattr(args, "threads", None):
        import torch  # noqa: PLC0415

        torch.set_num_threads(args.threads)
    out = Path(args.out or f"results/study-{study.name}")
    path = run_study(
        study,
        out,
        executor=args.executor,
        address=args.address,
        device=args.device,
        progress=not args.quiet,
        reuse=getattr(args, "reuse", None),
        recipe=getattr(args, "recipe", None),
        rerun=getattr(args, "rerun", None) or [],
        train=not getattr(args, "no_train", False),
        agree_with=Path(args.agree_with) if getattr(args, "agree_with", None) else None,
    )
    print(f"study {study.name}: {path}")
    return 0


PREDICT_FORMATS = {
    "n_params": lambda v: f"{v:,.0f}",
    "predicted_gain": lambda v: f"{v:+.3f}",
    "p_gain": lambda v: f"{v:.2f}",
}
"""`aha predict`'s columns, each at one precision (gains signed, three decimals)."""


def predictions_table(df: pd.DataFrame) -> str:
    """The table `aha predict` prints: every column at one precision (PREDICT_FORMATS), others as they are."""
    return df.to_string(index=False, formatters={c: f for c, f in PREDICT_FORMATS.items() if c in df})


def predict_command(run_dir: Path, model_path: Path, predictor: str | None) -> int:
    blob = load_predictors(model_path)
    df, nc = predict_cells(run_dir, blob, predictor)
    cols = ["setting", "width", "seed", "n_params", "predicted_gain", "p_gain"]
    df[cols].to_csv(run_dir / "predictions.csv", index=False)
    storage.atomic_write_json(run_dir / "predicted_N_c.json", json.loads(json.dumps(nc, default=str)))
    thr = blob["predictors"][predictor or blob["best"]].threshold
    print(f"predictor {predictor or blob['best']} from {model_path}; P(gain >= {thr:g}) from its residual spread")
    print(predictions_table(df[cols]))
    for s, v in nc.items():
        where = {"below": "below the smallest size", "above": "above the largest size", "none": "no sizes"}
        print(f"N_c[{s}] = " + (f"{v['N_c']:.3g}" if np.isfinite(v["N_c"]) else where.get(v["note"], "n/a")))
    print(f"written: {run_dir / 'predictions.csv'}, {run_dir / 'predicted_N_c.json'}")
    return 0
