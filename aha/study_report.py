"""study.md: the claims table first, then one section per claim with its figure, numbers and rule."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from theory import claims  # noqa: E402
from theory import study_stats as sa  # noqa: E402
from theory.claims import GAIN, Verdict, mean_ci  # noqa: E402
from theory.predict_gain import BASE_ONLY, PREDICTORS, fit_predictor, leave_one_setting_out, select_combination  # noqa: E402
from theory.transitions import fit_transition  # noqa: E402
from toymodels import storage  # noqa: E402
from toymodels.cells import setting_key  # noqa: E402

from . import study_behaviour as sb  # noqa: E402

CLAIM_TEXT = {
    "C1": "RL only amplifies what the base model can already do; without it RL amplifies noise",
    "C2": "there is a size threshold, and its location is not known before training",
    "C3": "the threshold depends on the task, the data and the architecture",
    "C4": "in small models RL's reward rises briefly, then oscillates or collapses, and accuracy falls, "
    "often below the base",
    "C5": "small models reinforce non-causal tokens (format, templates) rather than the task",
    "C6": "entropy collapses faster in small models; temperature and entropy bonuses only add token noise",
    "C7": "design signals help large models and do nothing for small ones",
    "C8": "whether a model has entered the regime where RL pays off can be judged before RL",
    "C9": "recipe details change how fast RL gets there, not where it ends",
    "C10": "the aha is an abrupt event in training whose onset the informative-group fraction predicts",
    "C11": "RL teaches self-correction only above a size",
}
CAPABILITY_LINE = 0.05
"""C1: a cell has base capability when its base trace pass@k_max (a fully correct trace in k_max samples) is >= this."""


def _cls_color(cells, n):
    ns = np.log(sorted(cells["n_params"].unique()))
    return plt.cm.viridis((np.log(n) - ns.min()) / max(np.ptp(ns), 1e-9))


def _fig(path: Path, fig) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"![{path.stem}](figures/{path.name})"


def _c2(cells, ref, refine_log, fig_dir, n_boot):
    sub = cells[cells.key == ref]
    da = sub.pivot_table(index="width", columns="seed", values="gain").sort_index()
    n = sub.groupby("width")["n_params"].first().reindex(da.index)
    y = xr.DataArray(
        da.values,
        dims=("width", "seed"),
        coords={"width": da.index.values, "seed": da.columns.values, "n_params": ("width", n.values)},
    )
    try:
        f = fit_transition(y, n_boot=n_boot)
    except ValueError as e:
        return None, f"transition fit impossible: {e}", ""
    from theory.plots import plot_transition  # noqa: PLC0415

    plot_transition(y, f, fig_dir / "C2_transition.png", "RL gain (pass@1)")
    return f, "", "![C2_transition](figures/C2_transition.png)"


def _c3_figure(groups, cells, fig_dir):
    if not groups:
        return ""
    fig, axes = plt.subplots(1, len(groups), figsize=(3.2 * len(groups), 3.2), squeeze=False)
    for ax, (f, vals) in zip(axes[0], groups.items(), strict=True):
        for i, s in enumerate(vals.values()):
            nc, (lo, hi) = sa.nc_interval(cells[cells.setting == s])
            nmin, nmax = cells["n_params"].min() / 2, cells["n_params"].max() * 2
            lo_d, hi_d = (lo if lo > 0 else nmin), (hi if np.isfinite(hi) else nmax)
            ax.plot([i, i], [lo_d, hi_d], color="C0", lw=3, alpha=0.6)
            if np.isfinite(nc):
                ax.plot(i, nc, "o", color="k")
            if not np.isfinite(hi):
                ax.annotate("", (i, nmax), (i, lo_d), arrowprops={"arrowstyle": "->"})
        ax.set_xticks(range(len(vals)), list(vals), rotation=30, fontsize=7)
        ax.set_yscale("log")
        ax.set_title(f"N_c vs {f} ({sa.FACTORS[f]})", fontsize=9)
    axes[0][0].set_ylabel("N_c: bracket of sizes (bar), crossing (dot)")
    return _fig(fig_dir / "C3_nc_factors.png", fig)


def _curves_figure(cells, curves, ref, fmt_setting, fig_dir):
    panels = [("reward", ref, "reward"), ("entropy", ref, "entropy")]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for ax, (var, key, title) in zip(axes, panels, strict=False):
        for row in cells[(cells.key == key) & (cells.status == "ok")].itertuples(index=False):
            cv = curves.get((row.setting, row.width, row.seed))
            if cv and var in cv:
                ax.plot(cv["samples"], cv[var], color=_cls_color(cells, row.n_params), lw=0.8, alpha=0.7)
        ax.set_title(f"{title} over RL (reference), colour = ln N", fontsize=9)
        ax.set_xlabel("episodes")
    ax = axes[2]
    if fmt_setting:
        for row in cells[(cells.setting == fmt_setting) & (cells.status == "ok")].itertuples(index=False):
            ax.plot([0, 1], [row.format_start, row.format_end], "-o", ms=3, color=_cls_color(cells, row.n_params))
        ax.set_xticks([0, 1], ["start of RL", "end of RL"])
    ax.set_title("share of reward from format (format-bonus)", fontsize=9)
    ns = np.log(cells["n_params"].to_numpy(float))
    sm = plt.cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(ns.min(), ns.max()))
    fig.colorbar(sm, ax=axes[2], label="ln N (colour of every panel)")
    return _fig(fig_dir / "C4_C5_C6_curves.png", fig)


def _signals_figure(cells, ref, named, fig_dir, name):
    if not named:
        return ""
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for i, (sig, (s, _)) in enumerate(named.items()):
        d = sa.paired_diffs(cells, ref, s).merge(cells[cells.key == ref][["width", "n_params"]].drop_duplicates())
        rows = [(n, *mean_ci(g["diff"])[:3]) for n, g in d.groupby("n_params")]
        if rows:
            n, m, lo, hi = map(np.array, zip(*rows, strict=True))
            ax.errorbar(
                n * (1 + 0.04 * i),
                m,
                yerr=[m - np.nan_to_num(lo, nan=m), np.nan_to_num(hi, nan=m) - m],
                fmt="o-",
                ms=3,
                capsize=2,
                label=sig,
            )
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("N")
    ax.set_ylabel("gain difference vs plain (90% CI)")
    ax.legend(fontsize=7)
    return _fig(fig_dir / f"{name}.png", fig)


def _predictors(cells, ref, recipe, out):
    plain = cells[~cells.setting.isin([s for s, _ in recipe.values()]) & (cells.status == "ok")].copy()
    plain = plain[np.isfinite(plain["gain"])]
    loso = leave_one_setting_out(plain)
    fitted = {
        n: (select_combination(plain) if PREDICTORS[n] is None else fit_predictor(plain, n, PREDICTORS[n]))
        for n in BASE_ONLY
    }
    cands = {n: loso.table[n]["mae"] for n in BASE_ONLY if n not in ("ln N", "constant") and n in loso.table}
    best = min(cands, key=lambda n: (np.nan_to_num(cands[n], nan=np.inf), n)) if cands else "ln N"
    blob = {
        "threshold": GAIN,
        "best": best,
        "predictors": {n: p.to_dict() for n, p in fitted.items()},
        "loso": loso.table,
        "fitted_on": sorted(plain.setting.unique()),
        "features": "coverage = base trace pass@k_max (id); step_prob_L = base step_prob^L; "
        "phi0 = φ(base pass@1, G); "
        "greedy = base greedy accuracy; lnN = ln n_params",
    }
    storage.atomic_write_json(out / "predictors.json", json.loads(json.dumps(blob, default=float)))
    pred = plain[["setting", "width", "seed", "n_params", "gain"]].copy()
    for n, p in fitted.items():
        pred[n] = p.predict(plain)
    pred["p_gain"] = fitted[best].prob_gain(plain)
    pred.to_csv(out / "predictions.csv", index=False)
    return loso, best, fitted


def _pred_figure(loso, best, fig_dir):
    p = loso.predictions
    fig, ax = plt.subplots(figsize=(4.2, 4))
    for name, c in ((best, "C0"), ("ln N", "C3")):
        if name in p:
            ax.scatter(p["gain"], p[name], s=10, alpha=0.6, color=c, label=f"{name} (held-out setting)")
    lim = [min(p["gain"].min(), -0.1), max(p["gain"].max(), 0.5)]
    ax.plot(lim, lim, "k--", lw=0.6)
    ax.set_xlabel("observed gain")
    ax.set_ylabel("predicted gain (leave one setting out)")
    ax.legend(fontsize=7)
    return _fig(fig_dir / "C8_predicted_vs_observed.png", fig)


def write_study(study, specs, cells: pd.DataFrame, curves: dict, refine_log: dict, out: Path, wall: float) -> Path:
    out = Path(out)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    ref = setting_key(specs[0].groups()[0].config.to_dict())
    cells = sb.add_onsets(sa.add_curve_measures(cells, curves), curves)
    cells.drop(columns=["key"]).to_csv(out / "cells.csv", index=False)
    V, sec = {}, {}
    V["C10"], sec["C10"] = sb.c10(cells, fig_dir)
    V["C11"], sec["C11"] = sb.c11(cells, study.behaviour, fig_dir, curves)
    all_cells, cells = cells, cells[~cells.grid.isin(study.behaviour)]  # C1-C9 read the other grids only
    classes = sa.size_classes(cells, ref)
    recipe = sa.recipe_settings(cells, ref)
    refc = cells[(cells.key == ref) & (cells.status == "ok")]
    cls = refc["width"].map(classes)

    loso, best, _ = _predictors(cells, ref, recipe, out)
    pred_nc = loso.table.get(best, {}).get("nc_err_steps", np.nan)

    # C1
    plain_mask = ~cells.setting.isin([s for s, _ in recipe.values()])
    cap = cells[(cells.status == "ok") & np.isfinite(cells["gain"]) & plain_mask]
    low = cap[cap["coverage"] < CAPABILITY_LINE]
    V["C1"] = claims.verdict_c1(
        low["gain"],
        cap[cap["coverage"] >= CAPABILITY_LINE]["gain"],
        float(np.nanmean(low["collapsed"].astype(float))) if len(low) else float("nan"),
        f"base trace pass@k_max < {CAPABILITY_LINE}",
    )
    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    sc = ax.scatter(cap["coverage"], cap["gain"], c=np.log(cap["n_params"]), s=10, cmap="viridis")
    ax.axvline(CAPABILITY_LINE, color="k", lw=0.6, ls="--")
    ax.axhline(GAIN, color="C3", lw=0.6, ls=":")
    ax.set_xlabel("base trace pass@k_max (capability)")
    ax.set_ylabel("RL gain")
    fig.colorbar(sc, label="ln N")
    sec["C1"] = _fig(fig_dir / "C1_gain_vs_capability.png", fig)

    # C2
    fit, err, img = _c2(cells, ref, refine_log, fig_dir, study.n_boot)
    stops = [e[-1]["stop"] + ": " + e[-1]["reason"] for e in refine_log.values() if e]
    if fit is None:
        V["C2"] = Verdict("C2", err, f"not determined: {err}", "needs a transition fit of the reference's gain vs N")
    else:
        V["C2"] = claims.verdict_c2(fit.verdict, fit.N_c_ci, "; ".join(stops), pred_nc)
    rounds = "\n".join(
        f"- {g} round {e['round']}: bracket {e['bracket']}, added widths {e['new_widths']}, "
        f"seeds {e['more_seeds']}; {e['stop'] or 'ran'}: {e['reason']}"
        for g, log in refine_log.items()
        for e in log
    )
    sec["C2"] = img + ("\n\nRefinement:\n" + rounds if rounds else "")

    # C3
    groups = sa.factor_groups(cells, ref)
    factors = {
        f: {v: sa.nc_interval(cells[cells.setting == s])[1] for v, s in vals.items()} for f, vals in groups.items()
    }
    V["C3"] = claims.verdict_c3(factors, {f: sa.FACTORS[f] for f in factors})
    rows = ["| factor | value | setting | N_c (crossing) | N_c interval |", "|---|---|---|---|---|"]
    for f, vals in groups.items():
        for v, s in vals.items():
            nc, (lo, hi) = sa.nc_interval(cells[cells.setting == s])
            rows.append(f"| {f} | {v} | {s} | {nc:.3g} | [{lo:.3g}, {hi:.3g}] |")
    sec["C3"] = _c3_figure(groups, cells, fig_dir) + "\n\n" + "\n".join(rows) if groups else ""

    # C4
    def summ(mask):
        sub = refc[mask]
        sd = sub.groupby("width")["final_reward"].std().mean() if len(sub) else np.nan
        return {
            "n": len(sub),
            "rise_fall": float(np.nanmean(sub["rise_fall"].astype(float))) if len(sub) else 0.0,
            "collapsed": float(np.nanmean(sub["collapsed"].astype(float))) if len(sub) else 0.0,
            "final_sd": float(sd) if np.isfinite(sd) else float("nan"),
        }

    V["C4"] = claims.verdict_c4(summ(cls == "small"), summ(cls == "large"))
    fmt = next((s for s, d in recipe.values() if "format_bonus" in d), None)
    sec["C4"] = _curves_figure(cells, curves, ref, fmt, fig_dir)

    # C5
    if fmt:
        fc = cells[(cells.setting == fmt) & (cells.status == "ok")]
        fcls = fc["width"].map(classes)
        V["C5"] = claims.verdict_c5(
            fc[fcls == "small"]["format_start"], fc[fcls == "small"]["format_end"], fc[fcls == "large"]["format_end"]
        )
    else:
        V["C5"] = Verdict("C5", "no setting with format_bonus", "not determined: no format-bonus grid", "")
    sec["C5"] = (
        "Format share = (mean reward − pass@1) / mean reward at the start (base pass@1) and end (RL pass@1) "
        "of RL; the curves record only the mean reward, so the share is known at these two points. "
        "Figure: third panel of the C4 figure."
    )

    # C6, C7, C9: recipe comparisons against plain
    pick = lambda fields: {n: v for n, v in recipe.items() if v[1] <= fields}  # noqa: E731
    c6 = pick(sa.C6_FIELDS)
    V["C6"] = claims.verdict_c6(
        np.log(refc["n_params"]),
        refc["entropy_kept"],
        {n: by_small(cells, ref, s, classes) for n, (s, _) in c6.items()},
    )
    sec["C6"] = (
        "Entropy kept = entropy halfway through RL / entropy at its start (reference cells); figure: second "
        "panel of the C4 figure.\n\n" + _signals_figure(cells, ref, c6, fig_dir, "C6_knobs")
    )
    c7 = pick(sa.C7_FIELDS)
    V["C7"] = claims.verdict_c7({n: sa.by_class(sa.paired_diffs(cells, ref, s), classes) for n, (s, _) in c7.items()})
    shift = ["| signal | N_c (crossing) | N_c interval |", "|---|---|---|"]
    for n, s in [("plain", cells[cells.key == ref].setting.iloc[0])] + [(n, s) for n, (s, _) in c7.items()]:
        sub = cells[cells.key == ref] if n == "plain" else cells[cells.setting == s]
        nc, (lo, hi) = sa.nc_interval(sub)
        shift.append(f"| {n} | {nc:.3g} | [{lo:.3g}, {hi:.3g}] |")
    sec["C7"] = (
        _signals_figure(cells, ref, c7, fig_dir, "C7_signals") + "\n\nDoes the signal move N_c?\n\n" + "\n".join(shift)
    )
    c9 = pick(sa.C9_FIELDS)
    c9n = {}
    for n, (s, _) in c9.items():
        d = {}
        for col, name in (("A", "dA"), ("B", "dB")):
            d[name] = sa.by_class(sa.paired_diffs(cells, ref, s, col), classes)
        cc = cells.assign(lnC=np.log(cells["C_mid"]))
        d["dlnC"] = sa.by_class(sa.paired_diffs(cc, ref, s, "lnC"), classes)
        c9n[n] = {size: {k: d[k][size] for k in d} for size in ("small", "large")}
    V["C9"] = claims.verdict_c9(c9n)
    sec["C9"] = (
        "R(C) = R0 + (A − R0) / (1 + (C_mid / C)^B) fitted per cell to the training reward against episodes; "
        "differences are variant minus plain at the same width and seed."
    )

    # C8
    V["C8"] = claims.verdict_c8(loso.table, BASE_ONLY)
    rows = [
        "| predictor | MAE of gain | AUROC (gain ≥ 0.1) | N_c error (√2 steps, median) | settings with both N_c |",
        "|---|---|---|---|---|",
    ]
    for n, t in loso.table.items():
        rows.append(
            f"| {n}{' (best base-only)' if n == best else ''} | {t['mae']:.3f} | {t['auroc']:.2f} | "
            f"{t['nc_err_steps']:.2f} | {t['nc_defined']} of {t['n_settings']} |"
        )
    sec["C8"] = (
        "\n".join(rows)
        + "\n\n"
        + _pred_figure(loso, best, fig_dir)
        + f"\n\nPredictors fitted on all plain-recipe settings: predictors.json (`aha predict RUN_DIR --model "
        f"predictors.json`, default {best}); in-sample predictions: predictions.csv."
    )

    return _markdown(study, specs, all_cells, V, sec, out, wall)


def by_small(cells, ref, setting, classes) -> list[float]:
    return sa.by_class(sa.paired_diffs(cells, ref, setting), classes)["small"]


def _reused(out: Path) -> str:
    """The grids this study took over finished (`aha study --reuse`), for the wall-time line."""
    path = Path(out) / "reused.json"
    names = json.loads(path.read_text()) if path.is_file() else []
    return (
        (f" (grids taken over finished from an earlier run, not rerun: {', '.join(names)}; their time is not in it)")
        if names
        else ""
    )


def _markdown(study, specs, cells, V, sec, out, wall) -> Path:
    esc = lambda t: str(t).replace("|", "\\|")  # noqa: E731
    md = [
        f"# Study `{study.name}`",
        "",
        study.description,
        "",
        f"{len(cells)} cells in {len(specs)} grids (+ refinement), {int((cells.status != 'ok').sum())} not ok; "
        f"wall time of this invocation {wall / 60:.1f} min{_reused(out)}.",
        "",
        "| claim | statement | measured result | verdict |",
        "|---|---|---|---|",
    ]
    for c in study.analyses:
        md.append(f"| {c} | {esc(CLAIM_TEXT[c])} | {esc(V[c].result)} | {esc(V[c].verdict)} |")
    md.append("")
    for c in study.analyses:
        md += [
            f"## {c}: {CLAIM_TEXT[c]}",
            "",
            f"**Verdict: {V[c].verdict}.**",
            "",
            f"Measured: {V[c].result}.",
            "",
            f"Rule: {V[c].rule}.",
            "",
            sec.get(c, ""),
            "",
        ]
    md += ["## Grids", ""] + [f"- **{s.name}** ({s.n_cells} cells): {s.description}" for s in specs]
    storage.atomic_write_json(out / "verdicts.json", {c: V[c].to_dict() for c in study.analyses})
    path = out / "study.md"
    path.write_text("\n".join(md) + "\n")
    return path
