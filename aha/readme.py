"""The README's generated blocks: the demo's numbers, rendered from the files the demo wrote.

    aha readme --from results/demo   # copy the demo's result files into docs/demo/, rewrite the blocks
    aha readme --study-from results/study-quick   # copy a finished study into docs/study/ too
    aha readme --check               # exit 1 when README.md's blocks differ from what docs/demo/ gives
    aha readme --compare A B [--compare C D]   # how far runs of one grid differ (docs/demo/repro.json)

A block is the text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; everything
outside the blocks is written by hand and kept as it is. No number inside a block is typed: each
comes from `docs/demo/grid.nc`, `fits.json`, `env.json` (and `repro.json` when present).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import xarray as xr

from theory.text import (
    NOT_RECORDED,
    between,
    in_machine_units,
    interval_in_grid,
    mean_or_dash,
    nc_name,
    sci,
    signed,
    threads,
)
from toymodels.results import rl_gain

SHIPPED = ("grid.nc", "fits.json", "env.json", "report.md")
_BLOCK = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S)


def signed3(x: float) -> str:
    return signed(x, 3, round_zero=False)


def _load(docs: Path) -> tuple[xr.Dataset, dict, dict, dict | None]:
    from toymodels.storage import load_dataset  # noqa: PLC0415

    ds = load_dataset(docs / "grid.nc")
    fits = json.loads((docs / "fits.json").read_text())
    env = json.loads((docs / "env.json").read_text())
    repro = json.loads((docs / "repro.json").read_text()) if (docs / "repro.json").exists() else None
    return ds, fits, env, repro


def demo_table(ds: xr.Dataset, fits: dict) -> str:
    """One row per width: base greedy vs sampled pass@1, coverage, step probability, RL, gains."""
    kmax = int(ds.k.max())
    collapsed = {(c["width"], c["seed"]) for c in fits.get("collapses", {}).get("cells", [])}
    head = (
        f"| width | n_params | base greedy acc. | base pass@1 | base trace pass@{kmax} | base step prob. | "
        f"RL pass@1 | RL gain per seed | collapsed seeds | RL gain OOD (L+2) |"
    )
    rows = [head, "|" + "---|" * 10]
    for w in ds.width.values:
        c = ds.sel(width=w).isel(depth=0)
        idd = c.sel(split="id")
        m = lambda v: mean_or_dash(v.values)  # noqa: E731
        n_col = sum((int(w), int(s)) in collapsed for s in c.seed.values)
        rows.append(
            f"| {int(w)} | {int(c.n_params):,} | {m(idd.base_greedy_acc)} | {m(idd.base_pass_at_k.sel(k=1))} | "
            f"{m(idd.base_trace_pass_at_k.sel(k=kmax))} | {m(idd.base_step_prob)} | {m(idd.rl_pass_at_k.sel(k=1))} | "
            f"{', '.join(signed(g) for g in rl_gain(c).values)} | {n_col} of {c.sizes['seed']} | "
            f"{signed(float(np.nanmean(rl_gain(c, 'ood').values)))} |"
        )
    return "\n".join(rows)


def demo_facts(ds: xr.Dataset, fits: dict, env: dict, repro: dict | None) -> str:
    """The headline numbers of the demo as bullets, each from fits.json / env.json / repro.json."""
    out = []
    h1 = fits.get("H1", {}).get("rl_gain")
    if h1:
        note = "; located only to the grid spacing" if h1.get("N_c_bracketed") else ""
        nc = interval_in_grid(*h1["N_c_ci"], *h1["N_range"], fmt=sci)
        out.append(
            f"- Threshold (H1, RL gain vs non-embedding parameters N): verdict `{h1['verdict']}`, "
            f"{nc_name(h1['verdict'])} {nc} (90% bootstrap interval over seeds{note}; "
            f"trustworthy: {'yes' if h1.get('trustworthy') else 'no'})."
        )
    col = fits.get("collapses")
    if col:
        out.append(
            f"- Collapses (RL pass@1 below base pass@1 by more than 2 binomial s.e.): "
            f"{col['n']} of {col['n_cells']} cells."
        )
    sh = fits.get("sharpening")
    if sh:
        out.append(
            f"- Sharpening: of the mean RL gain in pass@1 ({signed(sh['mean_gain'])}), "
            f"{signed(sh['mean_sharpening'])} brings sampled pass@1 up to what greedy decoding of the base "
            f"already gets right and {signed(sh['mean_beyond_greedy'])} goes beyond base greedy accuracy."
        )
    h2 = fits.get("H2", {})
    for kind, label in (("phi", "φ gain model"), ("coverage", "coverage gain model (trace pass@k)")):
        if kind in h2:
            r, n = h2[kind]["loo"]["rmse"], h2[kind]["loo"]["n_groups"]
            out.append(
                f"- H2, {label}: leave-one-size-out RMSE {r['gain_model']:.2f} against {r['constant']:.2f} "
                f"for a constant gain and {r['linear_lnN']:.2f} for a gain linear in ln N ({n} sizes held out)."
            )
    h3 = fits.get("H3")
    if h3:
        out.append(
            f"- H3: correlation of φ at the first RL update with the gain {signed(h3['corr_informative0_gain'])}."
        )
    h4 = fits.get("H4", {}).get("comparison")
    if h4:
        out.append(
            f"- H4, p = q^L with q the base model's probability of the correct step: predicted vs observed "
            f"gain per size RMSE {h4['rmse']:.2f}, correlation {h4['corr']:.2f}."
        )
    kmax = int(ds.k.max())
    ood = ds.sel(split="ood")
    og = rl_gain(ds, "ood").values
    out.append(
        f"- Out of distribution (horizon {ds.attrs.get('ood_horizon', 'L+2')}, rotary positions): the base "
        f"models' trace pass@{kmax} is at most {float(np.nanmax(ood.base_trace_pass_at_k.sel(k=kmax))):.2f} "
        f"and the RL gain in pass@1 of its cells lies {between(float(np.nanmin(og)), float(np.nanmax(og)))}."
    )
    t = env.get("timing", {})
    if t:
        model = env.get("cpu_model")  # env.json before it recorded the CPU model: no model named
        machine = f"{model}, " if model and model != "unknown" else ""
        units = in_machine_units(t["total_s"], env.get("yardstick"))  # "" before env.json recorded a yardstick
        out.append(
            f"- Wall time of `aha demo` on {t['cpus']} CPU cores ({machine}{threads(t['torch_threads'])}): "
            f"{t['total_s'] / 60:.1f} min ({t['grid_s']:.0f} s grid, {t['report_s']:.0f} s report and fits)"
            + (f"; the machine's yardstick (`toymodels/yardstick.py`): {units}." if units else ".")
        )
    if repro:
        out.append(f"- Reproducibility of `aha demo`: {'; '.join(c['summary'] for c in repro['comparisons'])}.")
    return "\n".join(out)


def bridge_facts(bridge: dict) -> str:
    """What `aha bridge --published` found, from docs/bridge/bridge.json: first the leave-one-source-out
    forecast (bridge.md's lead), then the gain models' checks."""
    checks = {c["hid"]: c for c in bridge["checks"]}
    out = []
    tr = (bridge.get("transfer") or {}).get("overall")
    if tr:
        from llm_bridge.transfer import compare_word  # noqa: PLC0415

        ci = tr["diff_ci_constant"]
        out.append(
            f"- Forecast on sources it never saw (`aha bridge --published`, [docs/bridge/bridge.md]"
            f"(docs/bridge/bridge.md); leave-one-source-out over {tr['n_rows']} published pass@1 before/after-RL "
            f"results from {tr['n_sources']} sources): MAE {tr['mae_forecast']:.3f} against {tr['mae_constant']:.3f} "
            f"for a constant gain and {tr['mae_lnN']:.3f} for a gain linear in ln N; against the constant "
            f"`{compare_word(ci)}` (90% interval of the error difference {signed3(ci[0])} to {signed3(ci[1])}); "
            f"its 90% interval holds {tr['coverage']:.3f} of the observed gains. The same law fitted on the toy grids "
            f"alone, with no real data: MAE {tr['mae_fixed']:.3f}; against the constant "
            f"`{compare_word(tr['diff_ci_fixed_constant'])}`."
        )
    phi = checks.get("H2 (phi)")
    if phi and phi["status"] != "not testable":
        m, c0, c1 = phi["mae"], phi["diff_ci"]["constant"], phi["diff_ci"]["linear_lnN"]
        out.append(
            f"- The φ gain model on real LLMs: leave-one-model-group-out MAE {m['theory']:.3f} against "
            f"{m['constant']:.3f} for a constant gain and {m['linear_lnN']:.3f} for a gain linear in ln N "
            f"({phi['n_rows']} published before/after-RL rows in {phi['n_groups']} model groups from "
            f"{phi.get('n_sources', 0)} sources; 90% intervals of the error difference: to the constant "
            f"{signed3(c0[0])} to {signed3(c0[1])}, to ln N {signed3(c1[0])} to {signed3(c1[1])}): "
            f"verdict `{phi['status']}`."
        )
    cov = checks.get("H2 (coverage)")
    if cov and cov["status"] == "not testable":
        out.append(
            f"- The coverage gain model is not testable on the published numbers: only {cov['n_groups']} "
            f"model groups ({cov['n_rows']} rows) report {cov['missing']}."
        )
    elif cov:
        m = cov["mae"]
        lin = (
            f"{m['linear_lnN']:.3f} (ln N)"
            if m.get("linear_lnN") is not None
            else "ln N not fitted (one model size, or N unpublished)"
        )
        out.append(
            f"- The coverage gain model on real LLMs: MAE {m['theory']:.3f} against {m['constant']:.3f} "
            f"(constant), {lin}; {cov['n_rows']} rows in {cov['n_groups']} groups from "
            f"{cov.get('n_sources', 0)} source(s): verdict `{cov['status']}`."
        )
    return "\n".join(out)


def blocks(docs: Path) -> dict[str, str]:
    """Every generated block from ``docs`` (docs/demo/) and its sibling docs/bridge/ when shipped."""
    ds, fits, env, repro = _load(docs)
    out = {"demo-table": demo_table(ds, fits), "demo-facts": demo_facts(ds, fits, env, repro)}
    bridge = Path(docs).parent / "bridge" / "bridge.json"
    if bridge.is_file():
        out["bridge"] = bridge_facts(json.loads(bridge.read_text()))
    out["study"] = study_table(Path(docs).parent / "study")
    return out


def verdict_word(verdict: str) -> str:
    """A verdict as the README's claims table prints it: its leading words, and for 'holds only where
    …' what it holds for, up to the first reason (':', ';' or '('): 'not determined', 'holds only where
    the factor is task'. study.md keeps the whole verdict."""
    return re.split(r"[:;(]", str(verdict), maxsplit=1)[0].strip()


def study_table(study_dir: Path) -> str:
    """The claims of the shipped study (docs/study/verdicts.json), one short row each: the claim, what
    it says, its verdict word and the one number that decides it (the Verdict's ``decisive``; a study
    written before it was recorded says so); or a line saying the study is not run."""
    from theory.claims import STATEMENTS  # noqa: PLC0415

    path = study_dir / "verdicts.json"
    if not path.is_file():
        return (
            "The `quick` study has not been run and shipped yet: `aha study quick` (at most 90 min on 2 CPU "
            "cores) writes it; `aha readme` then fills this section from `docs/study/`."
        )
    verdicts = json.loads(path.read_text())
    cell = lambda t: str(t).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    rows = ["| claim | what it says | verdict | the number that decides it |", "|---|---|---|---|"]
    for c, v in sorted(verdicts.items(), key=lambda kv: (len(kv[0]), kv[0])):  # C1 .. C9, C10, C11
        number = v.get("decisive") or NOT_RECORDED
        rows.append(
            f"| {c} | {cell(STATEMENTS.get(c, ''))} | **{cell(verdict_word(v['verdict']))}** | {cell(number)} |"
        )
    more = (
        "The whole verdict, the measured result behind it, the rule and the figures: "
        "[docs/study/study.md](docs/study/study.md)."
    )
    return "\n".join(rows) + "\n\n" + more


def render(text: str, new: dict[str, str]) -> str:
    """`text` with every generated block's body replaced; an unknown block name is an error."""

    def sub(m: re.Match) -> str:
        name = m.group("name")
        if name not in new:
            raise ValueError(f"README block generated:{name} is unknown; known blocks: {', '.join(new)}")
        return f"{m.group(1)}{new[name]}\n{m.group(4)}"

    return _BLOCK.sub(sub, text)


def publish(run_dir: Path, docs: Path) -> None:
    """Copy a finished demo run's result files and its figures (which report.md shows) into docs/demo/."""
    for name in SHIPPED:
        shutil.copy2(run_dir / name, docs / "demo" / name)
    shutil.rmtree(docs / "demo" / "figures", ignore_errors=True)
    shutil.copytree(run_dir / "figures", docs / "demo" / "figures")


STUDY_FILES = (
    "study.md",
    "study.json",
    "verdicts.json",
    "predictors.json",
    "predictions.csv",
    "cells.csv",
    "refine.json",
    "agreement.json",
)


def publish_study(study_dir: Path, docs: Path) -> None:
    """Copy a finished study's report, figures, per-cell table, fitted predictors and each grid's
    combined grid.nc (no cell files) into docs/study/."""
    out = docs / "study"
    if not (study_dir / "verdicts.json").is_file():
        raise ValueError(f"--study-from {study_dir} holds no verdicts.json; run `aha study` into it first")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name in STUDY_FILES:
        if (study_dir / name).exists():
            shutil.copy2(study_dir / name, out / name)
    if (study_dir / "figures").is_dir():
        shutil.copytree(study_dir / "figures", out / "figures")
    for grid in sorted((study_dir / "grids").glob("*/grid.nc")):
        (out / "grids").mkdir(exist_ok=True)
        shutil.copy2(grid, out / "grids" / f"{grid.parent.name}.nc")


def update_readme(readme: Path, docs: Path, check: bool = False) -> bool:
    """Rewrite (or with `check` only compare) README.md's generated blocks; True when up to date."""
    old = readme.read_text()
    new = render(old, blocks(docs / "demo"))
    if not check and new != old:
        readme.write_text(new)
    return new == old
