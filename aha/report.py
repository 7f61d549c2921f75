"""`report.md` of a run: what ran, the figures, and a table per size. `aha info` text too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from .plots import ok_only, plot_run, rl_gain, slices


def describe_run(run_dir: Path) -> str:
    """Dims, sizes and status counts (what `aha info` prints)."""
    from toymodels.storage import load_dataset  # noqa: PLC0415

    ds = load_dataset(Path(run_dir) / "grid.nc")
    spec = json.loads(ds.attrs.get("config", "{}"))
    lines = [f"run: {run_dir}  (grid {spec.get('name', '?')}, created {ds.attrs.get('created', '?')}, "
             f"device {ds.attrs.get('device', '?')})"]
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


def size_table(ds: xr.Dataset) -> str:
    """Markdown table: one row per (width, depth), means ± sd over seeds of the key numbers."""
    d = ok_only(ds)
    kmax = int(d.k.max())
    head = (f"| width | depth | n_params | base pass@1 | base pass@{kmax} | base trace pass@{kmax} | φ at start | "
            f"RL pass@1 | RL pass@{kmax} | RL gain | ok seeds |")
    rows = [head, "|" + "---|" * 11]
    gain = rl_gain(d)

    def ms(da: xr.DataArray) -> str:
        v = da.values.astype(float)
        v = v[np.isfinite(v)]
        return "–" if v.size == 0 else f"{v.mean():.3f} ± {v.std(ddof=1) if v.size > 1 else 0:.3f}"

    for w in d.width.values:
        for dep in d.depth.values:
            c = d.sel(width=w, depth=dep)
            idb = lambda v, k: c[v].sel(split="id", k=k)  # noqa: E731
            phi = c.informative_frac.isel(step=0) if "informative_frac" in c else None
            n_ok = int((ds.status.sel(width=w, depth=dep) == "ok").sum()) if "status" in ds else c.sizes["seed"]
            rows.append(
                f"| {w} | {dep} | {int(c.n_params):,} | {ms(idb('base_pass_at_k', 1))} | "
                f"{ms(idb('base_pass_at_k', kmax))} | {ms(idb('base_trace_pass_at_k', kmax))} | "
                f"{ms(phi) if phi is not None else '–'} | {ms(idb('rl_pass_at_k', 1))} | "
                f"{ms(idb('rl_pass_at_k', kmax))} | {ms(gain.sel(width=w, depth=dep))} | {n_ok}/{c.sizes['seed']} |"
            )
    return "\n".join(rows)


def hinted_table(ds: xr.Dataset) -> str:
    """Markdown table of a hint cell's evaluation with the hint: pass@1 before and after RL, per size."""
    d = ok_only(ds)
    rows = ["| width | depth | base pass@1 with hint | RL pass@1 with hint | RL gain with hint |",
            "|---|---|---|---|---|"]
    for w in d.width.values:
        for dep in d.depth.values:
            c = d.sel(width=w, depth=dep, split="id", k=1)
            b, r = c["base_hinted_pass_at_k"].values.astype(float), c["rl_hinted_pass_at_k"].values.astype(float)
            f = lambda v: f"{np.nanmean(v):.3f}" if np.isfinite(v).any() else "–"  # noqa: E731
            rows.append(f"| {w} | {dep} | {f(b)} | {f(r)} | {f(r - b)} |")
    return "\n".join(rows)


def write_report(run_dir: Path) -> Path:
    """Write figures and RUN_DIR/report.md; keeps an existing '## Theory' section."""
    from toymodels.storage import load_dataset  # noqa: PLC0415

    run_dir = Path(run_dir)
    ds = load_dataset(run_dir / "grid.nc")
    figs = plot_run(run_dir)
    spec = json.loads(ds.attrs.get("config", "{}"))
    env = json.loads((run_dir / "env.json").read_text()) if (run_dir / "env.json").exists() else {}
    chance = float(ds.chance.sel(split="id").max()) if "chance" in ds else float("nan")
    parts = [
        f"# Run report: {spec.get('name', run_dir.name)}",
        "",
        spec.get("description", ""),
        "",
        "## What ran",
        "",
        f"- cells: {int(np.prod([ds.sizes[d] for d in ds.dims if d not in ('split', 'k', 'step')]))}, "
        f"dims: {', '.join(f'{d}={n}' for d, n in ds.sizes.items())}",
        f"- device: {env.get('device', ds.attrs.get('device', '?'))}; wall time of the last invocation: "
        f"{env.get('run_wall_s', '?')} s; created {env.get('created', '?')}",
        f"- versions: aha-playground {env.get('package_version', '?')}, torch {env.get('torch_version', '?')}, "
        f"git {str(env.get('git_commit') or '?')[:10]}",
        f"- chance level of the answer (in-distribution): {chance:.3f}",
        *([f"- OOD split: {ds.attrs['ood_untrained_inputs']}"] if ds.attrs.get("ood_untrained_inputs") else []),
        "",
        "Grid spec:",
        "",
        "```json",
        json.dumps(spec, indent=1, default=str),
        "```",
        "",
        "## Figures",
        "",
    ]
    parts += [f"![{p.stem}](figures/{p.name})" for p in figs]
    for suffix, sub in slices(ds):
        parts += ["", f"## Per size{(' (' + suffix.strip('_').replace('_', ', ') + ')') if suffix else ''}", "",
                  size_table(sub)]
        if "rl_hinted_pass_at_k" in sub and bool(np.isfinite(sub["rl_hinted_pass_at_k"].values).any()):
            parts += ["", "With the hint in the prompt too (the table above evaluates without it, like every cell):",
                      "", hinted_table(sub)]
    parts += ["", "rl_gain = rl pass@1 − base pass@1 (in-distribution); φ = informative-group fraction at the "
              "first RL update; cells with status other than 'ok' are left out of means.", ""]
    text = "\n".join(parts)
    path = run_dir / "report.md"
    old = path.read_text() if path.exists() else ""
    if "\n## Theory" in old:
        text += old[old.index("\n## Theory"):]
    path.write_text(text)
    return path
