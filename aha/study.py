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
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from theory.credit import phi
from theory.refine import propose_refinement
from toymodels import storage
from toymodels.grid import GridSpec
from toymodels.runner import pending_groups, run_grid

from .studies import Study, cell_cpu_seconds, get_study, load_studies_file, projection

__all__ = ["run_study", "cell_table", "study_command", "predict_command", "setting_key", "print_projection"]

BEHAVIOUR = ("wait_rate", "revise_fix_rate", "completion_len")
"""Evaluation variables of self-correction (base_* and rl_*, per split), when the run has them."""
CURVES = ("reward", "entropy", "rl_horizon", "wait_rate", "completion_len")
"""Curves over RL updates kept per cell (those the run has)."""
_NOT_SETTING = ("width", "seeds", "device", "log_every")
"""Config fields that do not define a setting (a setting is everything but size and seed)."""


def setting_key(cfg: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in sorted(cfg.items()) if k not in _NOT_SETTING}, sort_keys=True, default=str)


# --- cells ---------------------------------------------------------------------------------------
def _val(da: xr.DataArray, **sel) -> float:
    da = da.sel({k: v for k, v in sel.items() if k in da.dims})
    return float(da.values) if da.size == 1 else float("nan")


def cell_table(spec: GridSpec, ds: xr.Dataset, label: str | None = None) -> tuple[pd.DataFrame, dict]:
    """One row per cell of ``spec``'s dataset: config fields, measurements, base-only features;
    and {row key: reward / entropy curves} for cells with RL. ``label`` names the setting's grid."""
    rows, curves = [], {}
    kmax = int(ds["k"].max())
    n_eval = ds["n_eval_prompts"] if "n_eval_prompts" in ds else ds.attrs.get("n_eval_prompts", np.nan)
    for g in spec.groups():
        cfg = g.config
        coords = {k: storage.plain_coord(v) for k, v in g.coords.items()}
        one_depth = len(spec.axes["depth"]) == 1
        extra = {k: v for k, v in coords.items() if k != "width" and not (k == "depth" and one_depth)}
        setting = (label or spec.name) + (("[" + ",".join(f"{k}={v}" for k, v in extra.items()) + "]") if extra else "")
        for s in cfg.seeds:
            c = ds.sel({**coords, "seed": s})
            status = str(c["status"].values)
            n_params = float(c["n_params"].values) if "n_params" in c.coords else float(c["n_params"])
            base1 = _val(c["base_pass_at_k"], k=1, split="id")
            L = cfg.rl_horizon()
            row = {
                "setting": setting,
                "key": setting_key(cfg.to_dict()),
                "grid": spec.name,
                "width": cfg.width,
                "depth": cfg.depth,
                "seed": int(s),
                "n_params": n_params,
                "status": status,
                "task": cfg.task,
                "L": L,
                "prior": cfg.prior,
                "pretrain_tokens": cfg.pretrain_tokens,
                "model_kind": cfg.model_kind,
                "variant": coords.get("variant", ""),
                "format_bonus": cfg.format_bonus,
                "G": cfg.group_size,
                "chance": _val(c["chance"], split="id"),
                "n_samples": (float(np.asarray(n_eval).ravel()[0]) if np.size(n_eval) else np.nan) * cfg.k_max,
                "base_p1": base1,
                "coverage": _val(c["base_trace_pass_at_k"], k=kmax, split="id"),
                "step_prob": _val(c["base_step_prob"], split="id"),
                "greedy": _val(c["base_greedy_acc"], split="id"),
            }
            row |= {
                "step_prob_L": row["step_prob"] ** L,
                "phi0": float(phi(base1, cfg.group_size)),
                "lnN": float(np.log(n_params)),
                "p_trace1": _val(c["base_trace_pass_at_k"], k=1, split="id"),
                "prompts": cfg.prompts_per_update,
                "rl_updates": cfg.rl_updates,
                "revise": bool(cfg.revise),
            }
            row |= {
                f"{ph}_{v}": _val(c[f"{ph}_{v}"], split="id")
                for v in BEHAVIOUR
                for ph in ("base", "rl")
                if f"{ph}_{v}" in c and "step" not in c[f"{ph}_{v}"].dims
            }
            if "rl_pass_at_k" in ds:
                row["rl_p1"] = _val(c["rl_pass_at_k"], k=1, split="id")
                row["gain"] = row["rl_p1"] - base1 if status == "ok" else float("nan")
                row["phi_start"] = float(c["informative_frac"].isel(step=0)) if "informative_frac" in c else np.nan
                key = (setting, cfg.width, int(s))
                curves[key] = {v: c[v].values.astype(float) for v in CURVES if v in c and "step" in c[v].dims}
                curves[key]["samples"] = ds["samples"].values.astype(float)
                curves[key]["step"] = ds["step"].values.astype(float)
            if status != "ok":
                for f in ("coverage", "step_prob_L", "phi0", "greedy", "base_p1"):
                    row[f] = float("nan")
            rows.append(row)
    return pd.DataFrame(rows), curves


# --- running -------------------------------------------------------------------------------------
def _spec_cost(spec: GridSpec, groups=None) -> dict[str, float]:
    """Projected seconds per group label of a spec."""
    return {g.label: cell_cpu_seconds(g.config, spec.base_only) * len(g.config.seeds) for g in groups or spec.groups()}


def _same_spec(ds: xr.Dataset, spec: GridSpec) -> bool:
    """A finished grid.nc holds ``spec``'s grid (the device the runner records aside)."""
    try:
        old = json.loads(ds.attrs.get("config", "{}"))
    except (TypeError, ValueError):
        return False
    new = json.loads(json.dumps(spec.to_dict(), default=str))
    for d in (old, new):
        d.get("fixed", {}).pop("device", None)
    return old == new


def _finished(spec: GridSpec, out: Path) -> xr.Dataset | None:
    """A grid taken over whole (``--reuse``, a shipped study): OUT/grid.nc without cells/ to resume
    from, holding the same spec; None when the grid runs (or resumes) as usual."""
    if (out / "cells").is_dir() or not (out / "grid.nc").is_file():
        return None
    ds = storage.load_dataset(out / "grid.nc")
    if not _same_spec(ds, spec):
        raise ValueError(
            f"{out / 'grid.nc'} holds another grid than the study's {spec.name!r} (its config "
            "differs) and has no cells/ to resume from; delete it or use another --out"
        )
    return ds


def reuse_grids(specs: list[GridSpec], sources: list[Path], out: Path) -> list[str]:
    """Copy finished grids from ``sources`` into OUT/grids/<name>/grid.nc for the study's grids (and
    their refinement rounds, named <grid>-refine...) that OUT lacks; a source is a shipped study
    (DIR/grids/<name>.nc, e.g. docs/study), a study directory (DIR/grids/<name>/grid.nc) or one
    `aha grid` run (DIR/grid.nc). A grid is taken only when its spec equals the study's (checked
    when the study reaches it). Returns the names copied."""
    import shutil  # noqa: PLC0415

    names = {s.name for s in specs}
    found: dict[str, Path] = {}
    for src in map(Path, sources):
        if not src.is_dir():
            raise ValueError(f"--reuse {src} is not a directory")
        cands = [*(src / "grids").glob("*.nc"), *(src / "grids").glob("*/grid.nc"), src / "grid.nc"]
        for f in cands:
            if not f.is_file():
                continue
            name = (
                f.stem
                if f.name != "grid.nc"
                else f.parent.name
                if f.parent != src
                else json.loads(storage.load_dataset(f).attrs.get("config", "{}")).get("name", "")
            )
            if name in names or any(name.startswith(f"{n}-refine") for n in names):
                found.setdefault(name, f)
    copied = []
    for name, f in sorted(found.items()):
        dest = out / "grids" / name
        if dest.exists():
            continue
        dest.mkdir(parents=True)
        shutil.copy2(f, dest / "grid.nc")
        copied.append(name)
    return copied


def _run(spec: GridSpec, out: Path, bar, opts: dict) -> xr.Dataset:
    cost = _spec_cost(spec)
    done = _finished(spec, out)
    if done is not None:
        bar.update(sum(cost.values()))
        return done
    todo, _ = pending_groups(spec, out) if (out / "config.json").exists() else (spec.groups(), 0)
    bar.update(sum(cost.values()) - sum(cost[g.label] for g in todo))  # finished earlier
    bar.set_postfix_str(spec.name)
    return run_grid(spec, out, progress=False, on_group=lambda g: bar.update(cost[g.label]), **opts)


def _refine(study: Study, spec: GridSpec, root: Path, bar, opts: dict, spent: float) -> tuple[list, list[dict]]:
    """Refinement rounds of one grid; returns [(round spec, dataset)] and the log."""
    done, log = [], []
    base_ds = xr.open_dataset(root / spec.name / "grid.nc", engine="h5netcdf").load()
    table = cell_table(spec, base_ds)[0]
    for r in range(1, study.budget.refine_rounds + 2):
        gains = {int(w): list(sub.sort_values("seed")["gain"]) for w, sub in table.groupby("width")}
        prop = propose_refinement(
            gains, min_seeds=study.budget.refine_seeds, rounds_left=study.budget.refine_rounds - r + 1
        )
        specs = []
        if prop.new_widths:
            specs.append(
                GridSpec(
                    f"{spec.name}-refine{r}",
                    {**spec.axes, "width": prop.new_widths, "seed": list(range(study.budget.refine_seeds))},
                    dict(spec.fixed),
                    spec.description,
                )
            )
        by_seeds: dict[tuple, list[int]] = {}
        for w, seeds in prop.more_seeds.items():
            by_seeds.setdefault(tuple(seeds), []).append(w)
        for j, (seeds, ws) in enumerate(sorted(by_seeds.items())):
            specs.append(
                GridSpec(
                    f"{spec.name}-refine{r}-seeds{j}",
                    {**spec.axes, "width": sorted(ws), "seed": list(seeds)},
                    dict(spec.fixed),
                    spec.description,
                )
            )
        cost = sum(sum(_spec_cost(s).values()) for s in specs)
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
) -> Path:
    """Run (or resume) every grid, refine, analyse; returns the path of study.md. ``reuse``:
    directories whose finished grids are taken instead of run (``reuse_grids``)."""
    from tqdm.auto import tqdm  # noqa: PLC0415

    from .study_report import write_study  # noqa: PLC0415

    out = Path(out)
    specs = study.specs()
    _check_study_dir(study, specs, out)
    if reuse:
        copied = reuse_grids(specs, reuse, out)
        old = json.loads((out / "reused.json").read_text()) if (out / "reused.json").exists() else []
        storage.atomic_write_json(out / "reused.json", sorted(set(old) | set(copied)))
        if progress:
            print(f"reused finished grids: {', '.join(copied) or 'none new'}")
    t0 = time.time()
    from .presets import user_modules  # noqa: PLC0415

    opts = {"executor": executor, "address": address, "device": device, "user_modules": user_modules()}
    total = sum(sum(_spec_cost(s).values()) for s in specs)
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
    for s, ds, label in runs:
        df, cv = cell_table(s, ds, label)
        frames.append(df)
        curves |= cv
    cells = pd.concat(frames, ignore_index=True)
    wall = time.time() - t0
    return write_study(study, specs, cells, curves, refine_log, out, wall)


# --- commands ------------------------------------------------------------------------------------
def print_projection(study: Study) -> None:
    p = projection(study)
    print(f"study {study.name}: {len(study.specs())} grids, {p['cells']} cells (refinement at its budget's maximum)")
    print(f"{'grid':<42}{'cells':>7}{'CPU min':>9}{'GPU h':>8}")
    for r in p["rows"]:
        print(f"{r['grid']:<42}{r['cells']:>7}{r['cpu_s'] / 60:>9.1f}{r['gpu_s'] / 3600:>8.2f}")
    print(f"{'total':<42}{p['cells']:>7}{p['cpu_s'] / 60:>9.1f}{p['gpu_s'] / 3600:>8.2f}")
    print(
        "CPU: projected on 2 cores from the demo's measured seconds per cell (docs/demo/grid.nc wall_s) scaled "
        "by each cell's budgets (assumed split 45% pretraining, 40% RL, 15% evaluation), sequence length and depth."
    )
    print(
        "GPU: an assumption, not a measurement: 60 s per cell group (all seeds batched) at the demo's budgets on "
        "one GPU, scaled by budgets and sequence length, +15% per extra layer."
    )


def study_command(args) -> int:
    extra = load_studies_file(Path(args.studies_file)) if args.studies_file else None
    study = get_study(args.name, extra)
    if args.dry_run:
        print_projection(study)
        return 0
    from toymodels.config import resolve_device  # noqa: PLC0415

    resolve_device(args.device)
    out = Path(args.out or f"results/study-{study.name}")
    path = run_study(
        study,
        out,
        executor=args.executor,
        address=args.address,
        device=args.device,
        progress=not args.quiet,
        reuse=getattr(args, "reuse", None),
    )
    print(f"study {study.name}: {path}")
    return 0


def load_predictors(path: Path) -> dict:
    from theory.predict_gain import LinearPredictor  # noqa: PLC0415

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--model {path} does not exist (aha study writes predictors.json)")
    try:
        blob = json.loads(path.read_text())
        return {**blob, "predictors": {k: LinearPredictor.from_dict(v) for k, v in blob["predictors"].items()}}
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"--model {path} is not a predictors.json written by aha study ({e})") from None


def predict_cells(run_dir: Path, blob: dict, predictor: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Per cell: predicted gain and P(gain >= threshold); per setting: predicted N_c."""
    from theory.predict_gain import setting_N_c  # noqa: PLC0415

    name = predictor or blob["best"]
    if name not in blob["predictors"]:
        raise ValueError(f"--predictor must be one of {', '.join(blob['predictors'])}; got {name!r}")
    model = blob["predictors"][name]
    spec = GridSpec.from_dict(json.loads((run_dir / "config.json").read_text()))
    ds = xr.open_dataset(run_dir / "grid.nc", engine="h5netcdf").load()
    df, _ = cell_table(spec, ds)
    df["predicted_gain"] = model.predict(df)
    df["p_gain"] = model.prob_gain(df)
    nc = setting_N_c(df.rename(columns={"predicted_gain": "pg"}), "pg", model.threshold)
    return df, {s: {"N_c": v[0], "note": v[1], "predictor": name} for s, v in nc.items()}


def predict_command(run_dir: Path, model_path: Path, predictor: str | None) -> int:
    blob = load_predictors(model_path)
    df, nc = predict_cells(run_dir, blob, predictor)
    cols = ["setting", "width", "seed", "n_params", "predicted_gain", "p_gain"]
    df[cols].to_csv(run_dir / "predictions.csv", index=False)
    storage.atomic_write_json(run_dir / "predicted_N_c.json", json.loads(json.dumps(nc, default=str)))
    thr = blob["predictors"][predictor or blob["best"]].threshold
    print(f"predictor {predictor or blob['best']} from {model_path}; P(gain >= {thr:g}) from its residual spread")
    print(df[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    for s, v in nc.items():
        where = {"below": "below the smallest size", "above": "above the largest size", "none": "no sizes"}
        print(f"N_c[{s}] = " + (f"{v['N_c']:.3g}" if np.isfinite(v["N_c"]) else where.get(v["note"], "n/a")))
    print(f"written: {run_dir / 'predictions.csv'}, {run_dir / 'predicted_N_c.json'}")
    return 0
