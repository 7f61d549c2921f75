"""`report.md` of a run: what ran, the figures, and a table per size. `aha info` text too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import xarray as xr

from .plots import extra_dims, ok_only, plot_run, rl_gain, slices


def _id(da: xr.DataArray, **kw) -> xr.DataArray:
    """``da`` at the in-distribution split (and ``kw``), on the dims it has."""
    kw = {"split": "id", **kw}
    return da.sel({d: v for d, v in kw.items() if d in da.dims})


def n_eval_samples(ds: xr.Dataset):
    """Samples behind each pass@1: n_eval_prompts (attr, or a variable when swept) × k_max; None if unknown."""
    n = ds["n_eval_prompts"] if "n_eval_prompts" in ds else ds.attrs.get("n_eval_prompts")
    return None if n is None or "k" not in ds.dims else n * int(ds.k.max())


def collapse_flags(ds: xr.Dataset) -> xr.DataArray | None:
    """Per cell (ok cells only): did RL pass@1 fall below base pass@1 by more than the eval's noise?"""
    from theory.sharpening import collapsed  # noqa: PLC0415

    n = n_eval_samples(ds)
    if n is None:
        return None
    d = ok_only(ds)
    return collapsed(_id(d.base_pass_at_k, k=1), _id(d.rl_pass_at_k, k=1), n)


def sharpening_and_collapses(ds: xr.Dataset) -> tuple[dict, list[str]]:
    """fits.json entries ``collapses`` and ``sharpening`` and their report lines (ok cells only)."""
    from theory.sharpening import count_collapses, summarize_sharpening  # noqa: PLC0415

    if "rl_pass_at_k" not in ds or "base_pass_at_k" not in ds:
        return {}, []
    d = ok_only(ds)
    b1, r1 = (_id(d[v], k=1) for v in ("base_pass_at_k", "rl_pass_at_k"))
    out, md = {}, []
    n = n_eval_samples(ds)
    if n is None:
        md.append("- **Collapses**: not testable: missing n_eval_prompts (the noise of pass@1)")
    else:
        c = count_collapses(b1, r1, n.broadcast_like(b1) if isinstance(n, xr.DataArray) else n)
        out["collapses"] = c
        which = "; ".join(
            ", ".join(f"{k}={v}" for k, v in cell.items() if k not in ("base_pass1", "rl_pass1", "drop"))
            + f" ({cell['base_pass1']:.3f} → {cell['rl_pass1']:.3f})"
            for cell in c.cells
        )
        md.append(
            f"- **Collapses**: {c.n} of {c.n_cells} cells, RL made pass@1 worse"
            + (f": {which}" if c.cells else "")
            + f". Rule: {c.rule}."
        )
    if "base_greedy_acc" in ds:
        s = summarize_sharpening(b1, r1, _id(d.base_greedy_acc))
        out["sharpening"] = s
        pooled = f" (pooled over {', '.join(extra_dims(ds))})" if extra_dims(ds) else ""
        frac = "" if not np.isfinite(s.frac_gain_sharpening) else f" ({s.frac_gain_sharpening:.0%})"
        md.append(
            f"- **Sharpening**: mean RL gain in pass@1 {s.mean_gain:+.3f}{pooled}; {s.mean_sharpening:+.3f} of it"
            f"{frac} is sharpening (sampled pass@1 moving up to what greedy decoding of the base model "
            f"already gets right: base greedy accuracy), {s.mean_beyond_greedy:+.3f} lies beyond base "
            "greedy accuracy."
        )
        md += [
            f"  - N = {r['n_params']:,.0f}: base pass@1 {r['base_pass1']:.3f}, base greedy accuracy "
            f"{r['base_greedy_acc']:.3f}, RL pass@1 {r['rl_pass1']:.3f}"
            + ("" if not np.isfinite(r["gap_closed"]) else f"; gap to greedy closed {r['gap_closed']:.0%}")
            for r in s.per_size
        ]
    else:
        md.append("- **Sharpening**: not testable: missing variable base_greedy_acc")
    return out, md + ([""] if md else [])


def describe_run(run_dir: Path) -> str:
    """Dims, sizes and status counts (what `aha info` prints); ``run_dir`` may be the .nc file itself."""
    from toymodels.storage import load_dataset  # noqa: PLC0415

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


def size_table(ds: xr.Dataset) -> str:
    """Markdown table: one row per (width, depth), means ± sd over seeds of the key numbers."""
    d = ok_only(ds)
    kmax = int(d.k.max())
    head = (
        f"| width | depth | n_params | base pass@1 | base greedy acc | base pass@{kmax} | "
        f"base trace pass@{kmax} | φ at start | RL pass@1 | RL pass@{kmax} | RL gain | ok seeds | "
        "collapsed seeds |"
    )
    rows = [head, "|" + "---|" * 13]
    gain = rl_gain(d)
    flags = collapse_flags(ds)

    def ms(da: xr.DataArray) -> str:
        v = da.values.astype(float)
        v = v[np.isfinite(v)]
        return "–" if v.size == 0 else f"{v.mean():.3f} ± {v.std(ddof=1) if v.size > 1 else 0:.3f}"

    for w in d.width.values:
        for dep in d.depth.values:
            c = d.sel(width=w, depth=dep)
            idb = lambda v, k, c=c: c[v].sel(split="id", k=k)  # noqa: E731
            phi = c.informative_frac.isel(step=0) if "informative_frac" in c else None
            n_ok = int((ds.status.sel(width=w, depth=dep) == "ok").sum()) if "status" in ds else c.sizes["seed"]
            greedy = ms(c.base_greedy_acc.sel(split="id")) if "base_greedy_acc" in c else "–"
            fl = flags.sel(width=w, depth=dep) if flags is not None else None
            coll = "–" if fl is None else ", ".join(f"seed {s}" for s in fl.seed.values[fl.values]) or "none"
            rows.append(
                f"| {w} | {dep} | {int(c.n_params):,} | {ms(idb('base_pass_at_k', 1))} | {greedy} | "
                f"{ms(idb('base_pass_at_k', kmax))} | {ms(idb('base_trace_pass_at_k', kmax))} | "
                f"{ms(phi) if phi is not None else '–'} | {ms(idb('rl_pass_at_k', 1))} | "
                f"{ms(idb('rl_pass_at_k', kmax))} | {ms(gain.sel(width=w, depth=dep))} | {n_ok}/{c.sizes['seed']} | "
                f"{coll} |"
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


def _cell_settings(ds: xr.Dataset) -> dict:
    try:
        return json.loads(ds.attrs.get("cell_config", "{}"))
    except (TypeError, ValueError):
        return {}


def wall_time_text(env: dict) -> str:
    """The one wall time every report and the README quote: env.json's "timing" of the last invocation."""
    t = env.get("timing")
    if not t:
        return "wall time not recorded (env.json has no timing)"
    return (
        f"wall time {t['total_s'] / 60:.1f} min ({t['grid_s']:.0f} s grid, {t['report_s']:.0f} s report and "
        f"fits) on {t['cpus']} CPU cores with {t['torch_threads']} torch threads (env.json timing)"
    )


def _verdicts(theory: str) -> list[tuple[str, str]]:
    """(hypothesis, verdict word) of every line of a '## Theory' section."""
    import re  # noqa: PLC0415

    pat = re.compile(r"^- \*\*(H[^*]+)\*\*: .*verdict: \*\*([^*]+)\*\*\.$", re.M)
    return pat.findall(theory)


def summary_lines(run_dir: Path, ds: xr.Dataset | None = None) -> list[str]:
    """'## Summary' of report.md: what ran, what happened, how sure; from grid.nc, env.json,
    fits.json and the verdicts of the Theory section (when `aha fit` has run)."""
    from toymodels.storage import load_dataset  # noqa: PLC0415

    run_dir = Path(run_dir)
    ds = load_dataset(run_dir / "grid.nc") if ds is None else ds
    env = json.loads((run_dir / "env.json").read_text()) if (run_dir / "env.json").exists() else {}
    fits = json.loads((run_dir / "fits.json").read_text()) if (run_dir / "fits.json").exists() else {}
    report = run_dir / "report.md"
    old = report.read_text() if report.exists() else ""
    cell = _cell_settings(ds)
    d = ok_only(ds)
    n_cells = int(np.prod([ds.sizes[k] for k in ds.dims if k not in ("split", "k", "step")]))
    n = d.n_params.values.astype(float) if "n_params" in d.coords else np.array([np.nan])
    seeds, kmax = ds.sizes.get("seed", 1), int(ds.k.max()) if "k" in ds.dims else 1
    n_eval = ds.attrs.get("n_eval_prompts")
    task = cell.get("task", "?") + (f" (horizon {ds.attrs['horizon']})" if "horizon" in ds.attrs else "")
    spec = json.loads(ds.attrs.get("config", "{}"))
    tasks = sorted(
        {
            v.get("task", spec.get("fixed", {}).get("task", cell.get("task", "?")))
            for v in spec.get("variants", {}).values()
        }
    )
    if len(tasks) > 1:  # variants that change the task (the aha-behaviour preset)
        task = " and ".join(tasks) + " (by variant)"
    nd = ds.sizes.get("depth", 1)
    ran = (
        f"- **What ran**: {n_cells} cells of {task}: widths {_span(ds, 'width')}, "
        f"depth{'s' if nd > 1 else ''} {_span(ds, 'depth')}"
        f" (N = {np.nanmin(n):,.0f}–{np.nanmax(n):,.0f} non-embedding parameters), {seeds} seeds"
        + "".join(f", {k} {_span(ds, k)}" for k in extra_dims(ds))
        + (f"; pretraining {cell['pretrain_tokens']:,} tokens" if cell.get("pretrain_tokens") else "")
        + (
            f"; {str(cell.get('algo', 'RL')).upper()} {cell['rl_updates']} updates of "
            f"{cell.get('prompts_per_update', '?')} prompts × {cell.get('group_size', '?')} samples"
            if cell.get("rl_updates")
            else ""
        )
        + f"; {wall_time_text(env)}."
    )
    out = ["## Summary", "", ran]
    if "rl_pass_at_k" in d and "base_pass_at_k" in d:
        g = rl_gain(d).mean("seed")
        other = [k for k in g.dims if k != "width"]
        gw = g.mean(other) if other else g
        lo, hi = int(np.nanargmin(gw.values)), int(np.nanargmax(gw.values))
        col = fits.get("collapses")
        happened = (
            f"- **What happened**: the RL gain in pass@1 (mean over seeds) runs from "
            f"{float(gw[lo]):+.2f} at width {int(gw.width[lo])} to {float(gw[hi]):+.2f} at width "
            f"{int(gw.width[hi])}"
        )
        h1 = fits.get("H1", {}).get("rl_gain")
        if h1:
            lo_nc, hi_nc = h1["N_c_ci"]
            happened += (
                f"; threshold (H1): `{h1['verdict']}`, N_c between {lo_nc:.2g} and {hi_nc:.2g} "
                f"(trustworthy: {'yes' if h1.get('trustworthy') else 'no'})"
            )
        if col:
            happened += f"; RL made pass@1 worse in {col['n']} of {col['n_cells']} cells"
        out.append(happened + ".")
    theory = old[old.index("\n## Theory") :] if "\n## Theory" in old else ""
    verdicts = _verdicts(theory)
    if verdicts:
        out.append(
            "- **Verdicts** (rules and numbers in Theory below): " + "; ".join(f"{h} `{v}`" for h, v in verdicts) + "."
        )
    sure = f"- **How sure**: {seeds} seed{'s' if seeds != 1 else ''} per setting (± in the tables is the sd over seeds)"
    if n_eval:
        sure += (
            f"; each evaluation uses {n_eval} held-out prompts × {kmax} samples, so each pass@1 rests on "
            f"{int(n_eval) * kmax:,} samples (binomial s.e. at most {0.5 / np.sqrt(int(n_eval) * kmax):.3f})"
        )
    if fits.get("H1"):
        sure += "; N_c intervals are 90% bootstrap intervals over seeds"
    out += [sure + ".", ""]
    return out


def _span(ds: xr.Dataset, dim: str) -> str:
    if dim not in ds.dims:
        return "?"
    v = ds[dim].values.tolist()
    return str(v[0]) if len(v) == 1 else f"{v[0]}–{v[-1]}" if len(v) > 3 else ", ".join(map(str, v))


def device_line(env: dict, device: str = "?") -> str:
    """Run details' device line: device, the wall time of env.json's timing, creation time."""
    return f"- device: {env.get('device', device)}; {wall_time_text(env)}; created {env.get('created', '?')}"


def write_summary(run_dir: Path) -> Path:
    """Rewrite report.md's '## Summary' and the run details' device line (after `aha fit` or a new
    timing in env.json), so every line that quotes the wall time quotes the same one."""
    from .fit import replace_section  # noqa: PLC0415

    path = Path(run_dir) / "report.md"
    text = replace_section(path.read_text(), "## Summary", "\n".join(summary_lines(run_dir)))
    env_path = Path(run_dir) / "env.json"
    env = json.loads(env_path.read_text()) if env_path.exists() else {}
    old = re.search(r"^- device: (\S+?);.*$", text, re.M)
    if old:
        text = text[: old.start()] + device_line(env, old.group(1)) + text[old.end() :]
    path.write_text(text)
    return path


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
        *summary_lines(run_dir, ds),
        "## Run details",
        "",
        f"- cells: {int(np.prod([ds.sizes[d] for d in ds.dims if d not in ('split', 'k', 'step')]))}, "
        f"dims: {', '.join(f'{d}={n}' for d, n in ds.sizes.items())}",
        device_line(env, ds.attrs.get("device", "?")),
        f"- versions: aha-playground {env.get('package_version', '?')}, torch {env.get('torch_version', '?')}, "
        f"git {str(env.get('git_commit') or '?')[:10]}",
        f"- chance level of the answer (in-distribution): {chance:.3f}",
        *([f"- OOD split: {ds.attrs['ood_untrained_inputs']}"] if ds.attrs.get("ood_untrained_inputs") else []),
        "- the grid spec is at the end of this report",
        "",
        "## Figures",
        "",
    ]
    parts += [f"![{_fig_alt(p.stem)}](figures/{p.name})" for p in figs]
    _, lines = sharpening_and_collapses(ds)
    if lines:
        parts += ["", "## Sharpening and collapses", ""] + lines
    from .report_behaviour import behaviour_section  # noqa: PLC0415

    parts += [""] + behaviour_section(ds, run_dir) if "base_wait_rate" in ds else []
    for suffix, sub in slices(ds):
        parts += [
            "",
            f"## Per size{(' (' + suffix.strip('_').replace('_', ', ') + ')') if suffix else ''}",
            "",
            size_table(sub),
        ]
        if "rl_hinted_pass_at_k" in sub and bool(np.isfinite(sub["rl_hinted_pass_at_k"].values).any()):
            parts += [
                "",
                "With the hint in the prompt too (the table above evaluates without it, like every cell):",
                "",
                hinted_table(sub),
            ]
    parts += [
        "",
        "Entries are mean ± sd over seeds (ok cells only). rl_gain = rl pass@1 − base pass@1 "
        "(in-distribution); base greedy acc = accuracy of the base "
        "model's greedy (argmax) answer, beside its sampled pass@1: where greedy is far above pass@1, a gain "
        "up to greedy is sharpening; collapsed seeds = RL pass@1 below base pass@1 by more than the eval's "
        "binomial noise (see Sharpening and collapses); φ = informative-group fraction at the first RL "
        "update; cells with status other than 'ok' are left out of means.",
        "",
    ]
    path = run_dir / "report.md"
    old = path.read_text() if path.exists() else ""
    if "\n## Theory" in old:
        theory = old[old.index("\n## Theory") + 1 :]
        theory = theory[: theory.index("\n## ", 1) + 1] if "\n## " in theory[1:] else theory
        parts += [theory.rstrip("\n"), ""]
    else:
        parts += ["## Theory", "", "Not fitted yet: `aha fit RUN_DIR` adds the fits and their verdicts here.", ""]
    parts += ["## Grid spec", "", "```json", json.dumps(spec, indent=1, default=str), "```", ""]
    path.write_text("\n".join(parts))
    return path


_FIG_TITLES = {
    "phase_diagram": "RL gain over width and depth",
    "gain_vs_size": "RL gain and base capability against size",
    "learning_curves": "RL learning curves per size",
    "passk_curves": "pass@k before and after RL",
    "self_correction": "self-correction against size",
}


def _fig_alt(stem: str) -> str:
    """A figure's title in words (its file stem when unknown), with its slice of the extra axes."""
    for key, title in _FIG_TITLES.items():
        if stem.startswith(key):
            rest = stem[len(key) :].strip("_").replace("_", ", ")
            return title + (f" ({rest})" if rest else "")
    return stem
