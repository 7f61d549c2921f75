"""`report.md` of a run: what ran, the figures, and a table per size. `aha info` text too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from theory.text import DASH, in_machine_units, interval_in_grid, listing, mean_sd, nc_name, num, threads
from toymodels.results import AXES, extra_dims, first_config, ok_only, rl_gain, sel, slice_label, slices
from toymodels.storage import load_dataset, read_json

from .plots import run_figures
from .render import health_lines, sharpening_lines, theory_lines, verdict_pairs
from .report_behaviour import behaviour_section


def describe_run(run_dir: Path) -> str:
    """Dims, sizes and status counts (what `aha info` prints); ``run_dir`` may be the .nc file itself."""
    run_dir = Path(run_dir)
    ds = load_dataset(run_dir if run_dir.is_file() else run_dir / "grid.nc")
    spec = json.loads(ds.attrs.get("config", "{}"))
    lines = [
        f"run: {run_dir}  (grid {spec.get('name', '?')}, created {ds.attrs.get('created', '?')}, "
        f"device {ds.attrs.get('device', '?')})"
    ]
    lines.append("dims: " + ", ".join(f"{d}={n}" for d, n in ds.sizes.items()))
    for d in ds.dims:
        if d not in ("k", "step") and ds[d].size <= 16:
            lines.append(f"  {d}: {', '.join(map(str, ds[d].values.tolist()))}")
    if "n_params" in ds.coords:
        n = ds.n_params.values
        lines.append(f"n_params: {int(np.nanmin(n)):,} .. {int(np.nanmax(n)):,}")
    if "status" in ds:
        vals, counts = np.unique(ds.status.values.astype(str), return_counts=True)
        lines.append("status: " + ", ".join(f"{v}={c}" for v, c in zip(vals, counts)))
    lines.append("variables: " + ", ".join(sorted(ds.data_vars)))
    return "\n".join(lines)


def _collapsed_seeds(fits: dict, chosen: dict) -> dict[tuple, list]:
    """{(width, depth): seeds} of fits.json's collapsed cells in the slice ``chosen``; None without the count."""
    col = fits.get("collapses")
    if col is None:
        return None
    out: dict[tuple, list] = {}
    for c in col["cells"]:
        if all(c.get(d) == v for d, v in chosen.items()):
            out.setdefault((c["width"], c["depth"]), []).append(c["seed"])
    return out


def size_table(ds: xr.Dataset, fits: dict, chosen: dict | None = None) -> str:
    """Markdown table of one slice (``chosen``, its extra-dim values): one row per (width, depth),
    means ± sd over ok seeds of the key numbers, and the seeds that collapsed (fits.json)."""
    d = ok_only(ds)
    kmax = int(d.k.max())
    head = (
        f"| width | depth | n_params | base pass@1 | base greedy acc | base pass@{kmax} | "
        f"base trace pass@{kmax} | φ at start | RL pass@1 | RL pass@{kmax} | RL gain | ok seeds | "
        "collapsed seeds |"
    )
    rows = [head, "|" + "---|" * 13]
    gain = rl_gain(d)
    flags = _collapsed_seeds(fits, chosen or {})
    for w in d.width.values:
        for dep in d.depth.values:
            c = d.sel(width=w, depth=dep)
            idb = lambda v, k, c=c: mean_sd(c[v].sel(split="id", k=k).values)  # noqa: E731
            phi = mean_sd(c.informative_frac.isel(step=0).values) if "informative_frac" in c else DASH
            n_ok = int((ds.status.sel(width=w, depth=dep) == "ok").sum()) if "status" in ds else c.sizes["seed"]
            greedy = mean_sd(c.base_greedy_acc.sel(split="id").values) if "base_greedy_acc" in c else DASH
            seeds = None if flags is None else flags.get((int(w), int(dep)), [])
            coll = DASH if seeds is None else ", ".join(f"seed {s}" for s in seeds) or "none"
            dg = mean_sd(gain.sel(width=w, depth=dep).values)
            rows.append(
                f"| {w} | {dep} | {int(c.n_params):,} | {idb('base_pass_at_k', 1)} | {greedy} | "
                f"{idb('base_pass_at_k', kmax)} | {idb('base_trace_pass_at_k', kmax)} | {phi} | "
                f"{idb('rl_pass_at_k', 1)} | {idb('rl_pass_at_k', kmax)} | {dg} | "
                f"{n_ok}/{c.sizes['seed']} | {coll} |"
            )
    return "\n".join(rows)


def hinted_table(ds: xr.Dataset) -> str:
    """Markdown table of a hint cell's evaluation with the hint: pass@1 before and after RL, per size."""
    d = ok_only(ds)
    rows = [
        "| width | depth | base pass@1 with hint | RL pass@1 with hint | RL gain with hint |",
        "|---|---|---|---|---|",
    ]
    for w in d.width.values:
        for dep in d.depth.values:
            c = d.sel(width=w, depth=dep, split="id", k=1)
            b, r = c["base_hinted_pass_at_k"].values.astype(float), c["rl_hinted_pass_at_k"].values.astype(float)
            f = lambda v: f"{np.nanmean(v):.3f}" if np.isfinite(v).any() else "–"  # noqa: E731
            rows.append(f"| {w} | {dep} | {f(b)} | {f(r)} | {f(r - b)} |")
    return "\n".join(rows)


def wall_time_text(env: dict) -> str:
    """The one wall time every report and the README quote: env.json's "timing" of the last invocation,
    in the units of its machine when env.json has its "yardstick"."""
    t = env.get("timing")
    if not t:
        return "wall time not recorded (env.json has no timing)"
    units = in_machine_units(t["total_s"], env.get("yardstick"))  # "" before env.json recorded a yardstick
    return (
        f"wall time {t['total_s'] / 60:.1f} min ({t['grid_s']:.0f} s grid, {t['report_s']:.0f} s report and "
        f"fits) on {t['cpus']} CPU cores with {threads(t['torch_threads'])} (env.json timing"
        + (f"; {units})" if units else ")")
    )


def _span(ds: xr.Dataset, dim: str) -> str:
    return listing(ds[dim].values.tolist()) if dim in ds.dims else "?"


def _what_ran(ds: xr.Dataset, env: dict) -> str:
    cell, d = first_config(ds), ok_only(ds)
    n_cells = int(np.prod([ds.sizes[k] for k in ds.dims if k not in AXES]))
    n = d.n_params.values.astype(float) if "n_params" in d.coords else np.array([np.nan])
    task = cell.get("task", "?") + (f" (horizon {ds.attrs['horizon']})" if "horizon" in ds.attrs else "")
    spec = json.loads(ds.attrs.get("config", "{}"))
    fixed_task = spec.get("fixed", {}).get("task", cell.get("task", "?"))
    tasks = sorted({v.get("task", fixed_task) for v in spec.get("variants", {}).values()})
    if len(tasks) > 1:  # variants that change the task (the aha-behaviour preset)
        task = " and ".join(tasks) + " (by variant)"
    rl = (
        f"; {str(cell.get('algo', 'RL')).upper()} {cell['rl_updates']} updates of "
        f"{cell.get('prompts_per_update', '?')} prompts × {cell.get('group_size', '?')} samples"
        if cell.get("rl_updates")
        else ""
    )
    return (
        f"- **What ran**: {n_cells} cells of {task}: widths {_span(ds, 'width')}, "
        f"depth{'s' if ds.sizes.get('depth', 1) > 1 else ''} {_span(ds, 'depth')}"
        f" (N = {np.nanmin(n):,.0f}–{np.nanmax(n):,.0f} non-embedding parameters), {ds.sizes.get('seed', 1)} seeds"
        + "".join(f", {k} {_span(ds, k)}" for k in extra_dims(ds))
        + (f"; pretraining {cell['pretrain_tokens']:,} tokens" if cell.get("pretrain_tokens") else "")
        + rl
        + f"; {wall_time_text(env)}."
    )


def _what_happened(d: xr.Dataset, fits: dict) -> str:
    g = rl_gain(d).mean("seed")
    other = [k for k in g.dims if k != "width"]
    gw = g.mean(other) if other else g
    lo, hi = int(np.nanargmin(gw.values)), int(np.nanargmax(gw.values))
    out = (
        f"- **What happened**: the RL gain in pass@1 (mean over seeds) runs from "
        f"{float(gw[lo]):+.2f} at width {int(gw.width[lo])} to {float(gw[hi]):+.2f} at width {int(gw.width[hi])}"
    )
    h1 = fits.get("H1", {}).get("rl_gain")
    if h1:
        nc = interval_in_grid(*h1["N_c_ci"], *h1["N_range"], fmt=lambda x: f"{num(x):.2g}")
        out += (
            f"; threshold (H1): `{h1['verdict']}`, {nc_name(h1['verdict'])} {nc} "
            f"(trustworthy: {'yes' if h1.get('trustworthy') else 'no'})"
        )
    col = fits.get("collapses")
    if col:
        out += f"; RL made pass@1 worse in {col['n']} of {col['n_cells']} cells"
    return out + "."


def summary_lines(ds: xr.Dataset, env: dict, fits: dict) -> list[str]:
    """'## Summary' of report.md: what ran, what happened, the verdicts, how sure; from grid.nc,
    env.json and fits.json (its verdict words, once `aha fit` has run)."""
    out = ["## Summary", "", _what_ran(ds, env)]
    d = ok_only(ds)
    if "rl_pass_at_k" in d and "base_pass_at_k" in d:
        out.append(_what_happened(d, fits))
    verdicts = verdict_pairs(fits)
    if verdicts:
        out.append(
            "- **Verdicts** (rules and numbers in Theory below): " + "; ".join(f"{h} `{v}`" for h, v in verdicts) + "."
        )
    seeds, kmax = ds.sizes.get("seed", 1), int(ds.k.max()) if "k" in ds.dims else 1
    n_eval = ds.attrs.get("n_eval_prompts")
    sure = f"- **How sure**: {seeds} seed{'s' if seeds != 1 else ''} per setting (± in the tables is the sd over seeds)"
    if n_eval:
        sure += (
            f"; each evaluation uses {n_eval} held-out prompts × {kmax} samples, so each pass@1 rests on "
            f"{int(n_eval) * kmax:,} samples (binomial s.e. at most {0.5 / np.sqrt(int(n_eval) * kmax):.3f})"
        )
    if fits.get("H1"):
        sure += "; N_c intervals are 90% bootstrap intervals over seeds"
    return out + [sure + ".", ""]


def device_line(env: dict, device: str = "?") -> str:
    """Run details' device line: device (a CPU run's CPU model and cores, when env.json records them),
    the wall time of env.json's timing, creation time."""
    dev, model = env.get("device", device), env.get("cpu_model")
    if dev == "cpu" and model and model != "unknown":
        dev += f" ({model}, {env.get('cpu_cores', '?')} cores)"
    return f"- device: {dev}; {wall_time_text(env)}; created {env.get('created', '?')}"


def _run_details(ds: xr.Dataset, env: dict) -> list[str]:
    chance = float(sel(ds.chance, split="id").max()) if "chance" in ds else float("nan")
    return [
        "## Run details",
        "",
        f"- cells: {int(np.prod([ds.sizes[d] for d in ds.dims if d not in AXES]))}, "
        f"dims: {', '.join(f'{d}={n}' for d, n in ds.sizes.items())}",
        device_line(env, ds.attrs.get("device", "?")),
        f"- versions: aha-playground {env.get('package_version', '?')}, torch {env.get('torch_version', '?')}, "
        f"git {str(env.get('git_commit') or '?')[:10]}",
        f"- chance level of the answer (in-distribution): {chance:.3f}",
        *([f"- OOD split: {ds.attrs['ood_untrained_inputs']}"] if ds.attrs.get("ood_untrained_inputs") else []),
        "- the grid spec is at the end of this report",
        "",
    ]


def _per_size(ds: xr.Dataset, fits: dict) -> list[str]:
    parts = []
    for chosen, sub in slices(ds):
        label = slice_label(chosen)
        parts += ["", f"## Per size{f' ({label})' if label else ''}", "", size_table(sub, fits, chosen)]
        if "rl_hinted_pass_at_k" in sub and bool(np.isfinite(sub["rl_hinted_pass_at_k"].values).any()):
            parts += [
                "",
                "With the hint in the prompt too (the table above evaluates without it, like every cell):",
                "",
                hinted_table(sub),
            ]
    return parts + [
        "",
        "Entries are mean ± sd over seeds (ok cells only). rl_gain = rl pass@1 − base pass@1 "
        "(in-distribution); base greedy acc = accuracy of the base "
        "model's greedy (argmax) answer, beside its sampled pass@1: where greedy is far above pass@1, a gain "
        "up to greedy is sharpening; collapsed seeds = RL pass@1 below base pass@1 by more than the eval's "
        "binomial noise (see Sharpening and collapses); φ = informative-group fraction at the first RL "
        "update; cells with status other than 'ok' are left out of means.",
        "",
    ]


def write_report(run_dir: Path) -> Path:
    """Render RUN_DIR/report.md once from the run's files: grid.nc, env.json, fits.json and the
    figures on disk (`aha plot` / `plot_run` draws them; nothing is plotted or fitted here)."""
    run_dir = Path(run_dir)
    ds = load_dataset(run_dir / "grid.nc")
    env, fits = read_json(run_dir / "env.json"), read_json(run_dir / "fits.json")
    spec = json.loads(ds.attrs.get("config", "{}"))
    parts = [f"# Run report: {spec.get('name', run_dir.name)}", "", spec.get("description", ""), ""]
    parts += summary_lines(ds, env, fits) + _run_details(ds, env) + ["## Figures", ""]
    parts += [f"![{alt}](figures/{p.name})" for p, alt in run_figures(ds, run_dir)]
    lines = sharpening_lines(fits, extra_dims(ds), "rl_pass_at_k" in ds and "base_pass_at_k" in ds)
    if lines:
        parts += ["", "## Sharpening and collapses", ""] + lines
    health = health_lines(fits)
    if health:
        parts += ["", "## RL health", ""] + health
    parts += [""] + behaviour_section(ds) if "base_wait_rate" in ds else []
    parts += _per_size(ds, fits)
    theory = theory_lines(fits)
    while theory and not theory[-1]:
        theory.pop()
    parts += [*theory, ""]
    parts += ["## Grid spec", "", "```json", json.dumps(spec, indent=1, default=str), "```", ""]
    path = run_dir / "report.md"
    path.write_text("\n".join(parts))
    return path
