"""Markdown table and figures for the checks (used by `llm_bridge.bridge_report.run_bridge`, what `aha bridge` runs)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .checks import RULES, CheckResult, gain_curve  # noqa: E402

NOT_REPORTED = "not reported"
TAGS = {
    "P": "from the paper, its PDF or official repository",
    "P-thread": "from the authors' own thread",
    "P-blog": "from the authors' own, unreviewed blog",
    "P-abstract": "from the abstract only",
    "S": "only from a secondary summary (check before relying on it)",
    "U": "uncertain: read off a plot, or an unclear extraction",
    "D": "derived by arithmetic from published numbers",
}
"""Reliability tags of the published rows (the end of the CSV's `notes`; llm_bridge/data/README.md)."""


def _e(s: str) -> str:
    return str(s).replace("|", "\\|")


def _f(x: float, missing: str = "–") -> str:
    return missing if x is None or not np.isfinite(x) else f"{x:.3f}"


def _g(x: float) -> str:
    return NOT_REPORTED if x is None or not np.isfinite(x) else f"{x:.3g}"


def _bound(x: float) -> str:
    """An interval end with its sign kept: 3 decimals, more when 3 would print a nonzero end as ±0.000
    (a status decided by the end's sign must be readable from the printed row)."""
    for d in (3, 4, 5, 6):
        if x == 0 or abs(x) >= 0.5 * 10**-d:
            return f"{x:+.{d}f}"
    return f"{x:+.1e}"


def rules_lines() -> list[str]:
    """The status rules, one bullet each, as every bridge report states them."""
    return [f"- `{name}` rule: {text}." for name, text in RULES.items()]


def tags_lines(tags: set[str] = frozenset()) -> list[str]:
    """What the read tags in the `tag` columns mean (every tag in ``tags``, and the base ones)."""
    names = list(TAGS) + sorted(t for t in tags if t not in TAGS)
    out = [f"- `{t}`: {TAGS.get(t, 'a tag of the source CSV (see llm_bridge/data/README.md)')}" for t in names]
    return out + [
        "- several tags (`D,P`): every one applies; `~` after the tags: the value is approximate "
        "(the source says about, or `~`)."
    ]


def checks_table(results: list[CheckResult]) -> list[str]:
    md = [
        "| prediction | rule | status | rows / sources | LOO MAE theory | constant | linear in ln N | "
        "theory − constant (90% CI) | theory − linear (90% CI) | detail / missing input |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ci = lambda b, r=r: (
            f"[{_bound(r.diff_ci[b][0])}, {_bound(r.diff_ci[b][1])}]"
            if b in r.diff_ci and np.isfinite(r.diff_ci[b][0])
            else "–"
        )
        extra = r.detail + (f" **Missing:** {r.missing}." if r.missing else "")
        if "uniform_lift" in r.mae:
            extra += f" Uniform-lift baseline (RL lifts pass@k by its pass@1 gain): MAE {_f(r.mae['uniform_lift'])}."
        md.append(
            f"| **{r.hid}**: {_e(r.prediction)} | {r.rule} | {r.status} | {r.n_rows} / {getattr(r, 'n_sources', 0)} | "
            f"{_f(r.mae.get('theory'))} | "
            f"{_f(r.mae.get('constant'))} | {_f(r.mae.get('linear_lnN'))} | {ci('constant')} | "
            f"{ci('linear_lnN')} | {_e(extra)} |"
        )
    return md


def rows_table(r: CheckResult) -> list[str]:
    if not r.rows or "pred_theory" not in r.rows[0]:
        return []
    obs = "gain" if "gain" in r.rows[0] else "delta"
    md = [
        f"| group | benchmark | N (B) | base | observed {obs} | theory | constant | linear ln N | tag |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for x in r.rows:
        md.append(
            f"| {_e(x['group'])} | {_e(x['benchmark'])} | {_g(x['n_params'] / 1e9)} | "
            f"{_f(x['base'], NOT_REPORTED)} | "
            f"{_f(x[obs])} | {_f(x['pred_theory'])} | {_f(x['pred_constant'])} | "
            f"{_f(x['pred_linear_lnN'])} | {x['tag']}{' ~' if x['approx'] else ''} |"
        )
    return md


def gain_figure(rows: list[dict], out: Path, local: list[tuple[str, float, float]] = ()) -> Path:
    """Observed gain vs base pass@1 over theory's curve (scale fitted on all rows); local models' predictions."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    if rows:
        p, mean, lo, hi, params = gain_curve(rows)
        ax.plot(p, mean, "k-", label=f"theory: s·φ(p, 8)·(1−p), s={params.scale:.2f} (all rows)")
        ax.fill_between(p, lo, hi, color="0.85", label="90% prediction interval")
        srcs = sorted({r["source"] for r in rows})
        for i, s in enumerate(srcs):
            rr = [r for r in rows if r["source"] == s]
            ax.scatter(
                [r["base"] for r in rr],
                [r["gain"] for r in rr],
                s=[20 + 8 * np.log10(r["n_params"]) if np.isfinite(r["n_params"]) else 20 for r in rr],
                label=s,
                color=f"C{i % 10}",
                marker="o" if all(r["tag"] == "P" for r in rr) else "^",
            )
    for name, base, pred in local:
        ax.scatter([base], [pred], marker="*", s=120, color="crimson")
        ax.annotate(Path(name).name, (base, pred), fontsize=7)
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set(
        xlabel="base pass@1 (fraction of problems solved)",
        ylabel="RL gain in pass@1 (fraction of problems)",
        xlim=(0, 1),
        title="Published RL gains against base accuracy\n(● every number from the paper [P]; ▲ some blog, "
        "abstract, derived or read off a plot)",
    )
    ax.title.set_fontsize(9)
    ax.legend(fontsize=6, loc="upper right", title="source (marker size grows with N)", title_fontsize=6)
    fig.tight_layout()
    path = out / "gain_vs_base.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def large_k_figure(rows: list[dict], out: Path) -> Path:
    """H5: RL − base at large k next to the pass@1 gain of the same group and benchmark."""
    import textwrap  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(7.6, 1.2 + 0.75 * len(rows)))
    lab = [
        "\n".join(textwrap.wrap(f"{r['group'].split(': ', 1)[-1]}", 38)) + f"\n{r['benchmark']} ({r['metric']})"
        for r in rows
    ]
    y = np.arange(len(rows))
    for off, key, name, color in (
        (-0.2, "delta", "at large k (RL − base)", "C3"),
        (0.2, "pass1_gain", "pass@1 gain (RL − base)", "C0"),
    ):
        v = np.array([r[key] for r in rows], dtype=float)
        ax.barh(y + off, np.nan_to_num(v), 0.4, label=name, color=color)
        for yi in (y + off)[~np.isfinite(v)]:
            ax.text(0.005, yi, NOT_REPORTED, va="center", ha="left", fontsize=7, color=color)
    ax.axvline(0, color="k", lw=0.6)
    ax.set_yticks(y, lab, fontsize=7)
    ax.invert_yaxis()
    ax.set(
        xlabel="change in pass rate, RL − base (fraction of problems)",
        title="H5: RL raises pass@1 but not pass@k at large k (k ≥ 64)",
    )
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = out / "h5_large_k.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def _r(x: float) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:+.2f}"


def _ci(ci) -> str:
    return "–" if not np.all(np.isfinite(ci)) else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def transfer_lines(res, toy=None, toy_note: str = "", study: dict | None = None) -> list[str]:
    """bridge.md's lead: the leave-one-source-out table (llm_bridge.transfer.TransferResult), then the
    scale-free law's result (`toy`: the toy-fitted GainForecast scored as `fixed`; `study`: the study's
    shipped predictors on the same rows, llm_bridge.scale_free.study_predictor_scores)."""
    from .transfer import COMPARE_RULE, compare_word  # noqa: PLC0415

    o, lvl = res.overall, int(round(100 * res.level))
    words = {b: compare_word(o[f"diff_ci_{b}"]) for b in ("constant", "lnN", "fixed_constant")}
    short = (
        f"**In short:** forecast for sources it never saw, the gain law vs a constant gain: **{words['constant']}**; "
        f"vs ln N: **{words['lnN']}** (MAE {_f(o['mae_forecast'])}, {_f(o['mae_constant'])}, {_f(o['mae_lnN'])}; "
        f"{o['n_rows']} results from {o['n_sources']} sources). Its {lvl}% interval holds {_f(o['coverage'])} of "
        "the observed gains."
    )
    if toy is not None:
        short += f" The same law fitted on toy grids alone, vs the constant: **{words['fixed_constant']}**."
    md = [
        "## Leave-one-source-out transfer: the gain forecast on sources it never saw",
        "",
        short,
        "",
        f"{o['n_rows']} published pass@1 before/after-RL results (each counted once; both before and after "
        f"published, so a gain stated without its after value is left out here) from {o['n_sources']} sources. "
        "For each source, the forecast (gain = a + b·p + c·φ(p, G=8), p = base pass@1, no parameter count) and the "
        "baselines (constant gain; gain linear in ln N, on rows whose N is published) are fitted on every other "
        f"source and forecast this one; the forecast's {lvl}% interval comes from residuals on sources left out "
        "of the training ones, so nothing of a source enters its own forecast. `toy law`: the same form fitted "
        "only on the toy grids (no real data). Errors are rates (0.1 = 10 points); ρ is Spearman's rank "
        f"correlation of forecast and observed gain (≥ 3 rows); coverage is the share of observed gains inside the "
        f"{lvl}% interval (aim {res.level:.2f}).",
        "",
        "| source | rows | MAE forecast | MAE constant | MAE ln N (rows) | MAE toy law | ρ forecast | ρ toy law | "
        f"coverage {lvl}% | toy-law coverage |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def line(name, r):
        return (
            f"| {name} | {r['n_rows']} | {_f(r['mae_forecast'])} | {_f(r['mae_constant'])} | "
            f"{_f(r['mae_lnN'])} ({r['n_lnN']}) | {_f(r['mae_fixed'])} | {_r(r['rho_forecast'])} | "
            f"{_r(r['rho_fixed'])} | {_f(r['coverage'], '–')} | {_f(r['coverage_fixed'], '–')} |"
        )

    for r in res.per_source.to_dict("records"):
        md.append(line(_e(r["source"]), r))
    md.append(line("**all sources**", o))
    md += [
        "",
        f"- Against a constant gain the forecast is **{words['constant']}** (MAE difference "
        f"{_ci(o['diff_ci_constant'])}, 90% over sources, {o['n_rows']} rows from {o['n_sources']} sources); "
        "against ln N it is "
        f"**{words['lnN']}** ({_ci(o['diff_ci_lnN'])}, on the {o['n_lnN']} rows with a published N, where the "
        f"forecast's MAE is {_f(o['mae_forecast_on_lnN_rows'])}). Rule: {COMPARE_RULE}.",
        f"- Interval coverage {_f(o['coverage'])} against the stated {res.level:.2f}.",
        f"- P(gain ≥ {100 * res.margin:.0f} points), as `aha forecast` states it: Brier score {_f(o['brier'])} against "
        f"{_f(o['brier_base'])} for the training sources' share of such gains (lower is better; 0.25 is a coin).",
    ]
    if toy is not None:
        c = toy.coef
        md += [
            "",
            "### The scale-free question: a toy-grid law on real LLMs, no real-data calibration",
            "",
            f"Fitted on {toy.n_rows} toy cells from {toy.n_sources} settings ({toy.fitted_on}): gain = {c[0]:+.3f} "
            f"{c[1]:+.3f}·p {c[2]:+.3f}·φ(p, {toy.G}), p the chance-corrected base pass@1. On the real rows: MAE "
            f"{_f(o['mae_fixed'])} against {_f(o['mae_forecast'])} for the calibrated forecast and "
            f"{_f(o['mae_constant'])} for a constant; against the constant it is "
            f"**{compare_word(o['diff_ci_fixed_constant'])}** ({_ci(o['diff_ci_fixed_constant'])}); ρ "
            f"{_r(o['rho_fixed'])}; its {lvl}% interval (from the toy residuals) covers {_f(o['coverage_fixed'])} "
            "of the real gains.",
        ]
        if study:
            parts = [f"`{k}` MAE {_f(v['mae'])} (ρ {_r(v['rho'])})" for k, v in study.items()]
            md += [
                "",
                f"The study's own predictors as shipped (docs/study/predictors.json, fitted on toy cells; "
                f"published pass@1 stands in for greedy accuracy), on the same {o['n_rows']} rows: "
                + ", ".join(parts)
                + ".",
            ]
        if toy_note:
            md += ["", toy_note]
    return md + [""]


def transfer_figure(res, out: Path) -> Path:
    """Held-out forecast (with its interval) against the observed gain, one colour per source."""
    rows = res.rows
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    for i, (s, r) in enumerate(rows.groupby("source", sort=False)):
        ax.errorbar(
            r["gain"],
            r["forecast"],
            yerr=[r["forecast"] - r["lo"], r["hi"] - r["forecast"]],
            fmt="o",
            ms=3,
            lw=0.5,
            color=plt.cm.tab20(i % 20),
            label=s,
            alpha=0.8,
        )
    if np.isfinite(rows["fixed"]).any():
        ax.scatter(rows["gain"], rows["fixed"], marker="x", s=10, color="k", lw=0.6, label="toy law (no real data)")
    lim = [min(rows["gain"].min(), rows["lo"].min(), 0), max(rows["gain"].max(), rows["hi"].max())]
    ax.plot(lim, lim, "k--", lw=0.6)
    ax.set(
        xlabel="observed RL gain in pass@1 (fraction of problems)",
        ylabel="forecast from the other sources",
        title=f"Leave-one-source-out: each source forecast by the others ({int(100 * res.level)}% intervals)",
    )
    ax.title.set_fontsize(9)
    ax.legend(fontsize=5, ncol=2, loc="upper left")
    fig.tight_layout()
    path = out / "transfer.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
