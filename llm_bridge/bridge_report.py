"""`run_bridge`: bridge.md, for the practitioner first (expected gain by size × starting point × benchmark
family, the law per starting point), then theory's checks for the law's author.

    run_bridge("results/bridge", published=True)                 # what `aha bridge --published` runs
    run_bridge(out, models=["path/to/ckpt"], tasks=("ModChain",))  # plus local models, base only
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import xarray as xr

from .by_start import MIN_GROUPS_WIN, fit_start_laws
from .checks import G, large_k_rows, observations, run_checks
from .gain import fit_scale, load_toy_params, predict_gain
from .practitioner import practitioner_lines, start_law_lines
from .published import gain_table, load_published
from .report import (
    checks_table,
    gain_figure,
    large_k_figure,
    rows_table,
    rules_lines,
    tags_lines,
    transfer_figure,
    transfer_lines,
)
from .scale_free import fit_toy_law, study_predictor_scores, transfer_note
from .transfer import gain_rows, leave_one_source_out

TOY_CELLS = Path(__file__).resolve().parents[1] / "docs" / "study" / "cells.csv"
"""The study's per-cell table (toy grids only): the scale-free law is fitted on it."""


def save_dataset(ds: xr.Dataset, path: Path) -> Path:
    """netCDF via h5netcdf, or scipy's netCDF3 writer where h5py is not installed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".nc.tmp")
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
    except ImportError:
        ds.to_netcdf(tmp, engine="scipy")
    tmp.replace(path)
    return path


def clean_json(x):
    """JSON-ready: NaN becomes null (bridge.json is read by `aha readme`)."""
    if isinstance(x, dict):
        return {str(k): clean_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean_json(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def shown_path(p: str) -> str:
    """``p`` relative to the working directory when under it (reports do not name a machine's paths)."""
    try:
        return str(Path(p).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return Path(p).name


def practitioner_section(ds: xr.Dataset, summary: dict) -> list[str]:
    """The lead: expected gains by size band × start × family, then the law per start (summary["by_start"])."""
    rows = gain_rows(gain_table(ds))
    laws, laws_all = fit_start_laws(rows), fit_start_laws(rows, include_flagged=True)
    summary["by_start"] = {s: law.to_dict() for s, law in laws.items()}
    summary["by_start_with_flagged"] = {s: law.to_dict() for s, law in laws_all.items()}
    lead = []
    for s, law in laws.items():
        d = law.to_dict()
        w, c = d["scores"][d["winner"]], d["scores"]["constant"]
        if d["winner"] != "constant":
            why = f" (difference {w['diff_ci'][0]:+.3f} to {w['diff_ci'][1]:+.3f}, 90%)."
        elif d["n_groups"] < MIN_GROUPS_WIN:
            why = f" (fewer than {MIN_GROUPS_WIN} checkpoint groups: too few to prefer any law)."
        else:
            why = " (no stated law beats it)."
        lead.append(
            f"- `{s}`: {d['n_rows']} like-for-like rows in {d['n_groups']} checkpoint groups from {d['n_sources']} "
            f"sources; the forecast uses `{d['winner']}`, held-out MAE {w['mae']:.3f} against {c['mae']:.3f} for "
            f"the constant{why}"
        )
    return [
        "## What gain to expect: published before/after-RL results by size, starting point and benchmark",
        "",
        "Like-for-like rows only (same protocol before and after, not in-distribution, not averaged). Gains are "
        "in points of pass@1 (RL model minus its starting model). Starting point: `base` = RL straight from a "
        "pretrained base (zero-RL), `instruct` = from an instruct/SFT/DPO model, `distilled` = from a reasoner "
        "distilled from a larger one, `rl-continued` = from a model already trained with RL. `aha forecast "
        "--model PATH --start ...` measures your model and forecasts from the law of its starting point.",
        "",
        *practitioner_lines(rows),
        "",
        "The project's own before/after row, a forecast made before a short GRPO run on SmolLM2-135M-Instruct "
        "on CPU: [smollm2/README.md](smollm2/README.md) (in docs/bridge/).",
        "",
        "## Which law forecasts the gain, per starting point",
        "",
        *lead,
        "",
        *start_law_lines(laws, laws_all),
        "",
    ]


def transfer_section(ds: xr.Dataset, summary: dict, out: Path) -> list[str]:
    """The pooled leave-one-source-out transfer of the old forecast and the toy law (summary["transfer"])."""
    rows = gain_rows(gain_table(ds))
    toy = fit_toy_law(TOY_CELLS) if TOY_CELLS.is_file() else None
    try:
        res = leave_one_source_out(rows, fixed=toy)
    except ValueError as e:
        return ["## Leave-one-source-out transfer", "", f"Not testable: {e}.", ""]
    summary["transfer"] = {
        "overall": res.overall,
        "per_source": res.per_source.to_dict("records"),
        "level": res.level,
        "toy_law": toy.to_dict() if toy else None,
    }
    transfer_figure(res, out)
    shipped = TOY_CELLS.parent / "predictors.json"
    study = study_predictor_scores(shipped, rows) if shipped.is_file() else None
    summary["transfer"]["study_predictors"] = study
    md = transfer_lines(res, toy, transfer_note(TOY_CELLS, rows) if toy else "", study)
    md[0] = "## Pooled over every starting point: leave-one-source-out transfer of the p+phi law"
    return md + ["Figure: `transfer.png` (each source's held-out forecast and interval against its observed gain).", ""]


CHECKS_INTRO = [
    "## Theory's checks on the published numbers",
    "",
    "Gain model: `theory.amplifier` "
    f"(gain = s·φ(p_sig, G={G})·(1 − p1), or coverage instead of φ); s is the only scale fitted on "
    "real data, inside each leave-one-group-out fold. Baselines: constant gain and gain linear in ln N, "
    "fitted on the same folds. Errors are rates (0.1 = 10 points). Each check's `rule` column names the "
    "rule that decided its status, from the numbers printed in its row:",
    "",
    *rules_lines(),
    "- `not testable`: the inputs the check needs are missing (named in the row).",
    "",
]


def checks_section(ds: xr.Dataset, summary: dict, out: Path, toy) -> tuple[list[str], list[dict]]:
    """Theory's checks (H2, H3, H5, H1/H11) with their per-row tables and figures; summary["checks"]."""
    results, rows = run_checks(ds), observations(ds)
    tags = {t for r in rows for t in r["tag"].split(",") if t}
    md = CHECKS_INTRO + [
        f"Published before/after-RL numbers ({shown_path(ds.attrs['source_file'])}): {ds.sizes['model']} model "
        f"groups, {len(rows)} (group, benchmark) rows with base pass@1 and an observed RL gain (contrast "
        "`base_to_rl`, every starting point pooled, `Avg*` benchmarks left out). Dataset: `bridge.nc` (written "
        "beside this file by `aha bridge`; `llm_bridge.load_published()` rebuilds it from the CSV). The "
        "`rows / sources` column gives the rows and sources behind each verdict.",
        "",
        *checks_table(results),
        "",
        "Read tags (the `tag` column below; how each published number was read):",
        "",
        *tags_lines(tags),
        "",
    ]
    summary.update(source_file=shown_path(ds.attrs["source_file"]), n_model_groups=int(ds.sizes["model"]))
    summary["n_rows"] = len(rows)
    summary["checks"] = [
        {
            "hid": r.hid,
            "rule": r.rule,
            "status": r.status,
            "mae": r.mae,
            "diff_ci": {k: list(v) for k, v in r.diff_ci.items()},
            "n_groups": r.n_groups,
            "n_rows": r.n_rows,
            "n_sources": getattr(r, "n_sources", 0),
            "missing": r.missing,
        }
        for r in results
    ]
    for r in results:
        t = rows_table(r)
        if t:
            md += [f"### {r.hid}: per-row leave-one-group-out predictions", "", *t, ""]
    if toy is not None:
        p1, y = np.array([r["base"] for r in rows]), np.array([r["gain"] for r in rows])
        pr = np.asarray(predict_gain(p1, params=toy).mean)
        md += [
            "### Toy-grid scale transferred without any real-data calibration",
            "",
            f"scale s = {toy.scale:.3g} from the toy fits: MAE {np.mean(np.abs(pr - y)):.3f} over {len(y)} rows.",
            "",
        ]
    gain_figure(rows, out)
    lk = large_k_rows(ds)
    if lk:
        large_k_figure(lk, out)
    md += [
        "Figures: `gain_vs_base.png` (observed gain vs base pass@1 over theory's curve), "
        "`h5_large_k.png` (RL − base at large k).",
        "",
    ]
    return md, rows


def local_section(models, cfg, params, where: str, rows: list[dict], out: Path) -> list[str]:
    """Local models evaluated on project tasks (base only), with theory's predicted gain."""
    from .local_eval import evaluate_models  # noqa: PLC0415  (torch and transformers only here)

    local = evaluate_models(models, cfg)
    save_dataset(local, out / "local_models.nc")
    md = [
        "## Local models (base only; no RL run here, so predictions are not checked)",
        "",
        f"Scale s from: {where}. pass@1 from {cfg.n_samples} samples × {cfg.n_prompts} prompts.",
        "",
        "| model | n_params | task | shots | base pass@1 | pass@max k | logp answer | chance | predicted gain [90%] |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    pts = []
    for m in local.model.values:
        for t in local.task.values:
            ch = float(local.chance.sel(task=t))
            for s in local.shots.values:
                c = local.sel(model=m, task=t, shots=s, split="id")
                p1, pk = float(c.base_pass_at_k.sel(k=1)), float(c.base_pass_at_k.isel(k=-1))
                pr = predict_gain(p1, chance=ch, params=params)
                pts.append((str(m), p1, float(pr.mean)))
                md.append(
                    f"| {Path(str(m)).name} | {int(local.n_params.sel(model=m))} | {t} | {int(s)} | {p1:.3f} | "
                    f"{pk:.3f} | {float(c.base_logp_answer):.2f} | {ch:.2f} | "
                    f"{float(pr.mean):+.3f} [{float(pr.lo):+.3f}, {float(pr.hi):+.3f}] |"
                )
    if "failed" in local.attrs:
        md += ["", "Failed models: " + "; ".join(f"{k}: {v}" for k, v in json.loads(local.attrs["failed"]).items())]
    gain_figure(rows, out, local=pts)
    return md + [""]


def run_bridge(
    out: Path,
    published: bool = True,
    models: list[Path] = (),
    tasks: list[str] = ("ModChain",),
    n_samples: int = 16,
    n_prompts: int = 32,
    device: str = "auto",
    toy_fits: Path | None = None,
    published_csv: Path | None = None,
) -> Path:
    """Write out/bridge.md, out/bridge.json, out/bridge.nc (published data), figures; local models if given."""
    from .local_eval import EvalConfig  # noqa: PLC0415

    out = Path(out)
    cfg = EvalConfig(tasks=tuple(tasks), n_samples=n_samples, n_prompts=n_prompts, device=device) if models else None
    toy = load_toy_params(toy_fits) if toy_fits else None  # bad inputs fail before any work
    if not published and not models:
        raise ValueError("run_bridge needs published=True and/or at least one model path")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    md = [
        "# Bridge: what RL gains on real LLMs, and theory's predictions",
        "",
        f"Created {time.strftime('%Y-%m-%d %H:%M:%S')}.",
        "",
    ]
    summary: dict = {"checks": []}
    calib, rows = None, []
    if published:
        ds = load_published(published_csv)
        save_dataset(ds, out / "bridge.nc")
        md += practitioner_section(ds, summary)
        md += transfer_section(ds, summary, out)
        checks, rows = checks_section(ds, summary, out, toy)
        md += checks
        if len(rows) >= 2:
            calib = fit_scale([r["base"] for r in rows], [r["gain"] for r in rows])
    if models:
        where = "toy grid fits" if toy else "all published rows" if calib else "none (theory's uncalibrated s = 1)"
        md += local_section(models, cfg, toy or calib, where, rows, out)
    md += [f"_Wall time {time.time() - t0:.1f} s._", ""]
    path = out / "bridge.md"
    path.write_text("\n".join(md))
    summary["wall_s"] = round(time.time() - t0, 1)
    (out / "bridge.json").write_text(json.dumps(clean_json(summary), indent=1) + "\n")
    return path
