"""Markdown table and figures for the checks (used by `aha.bridge.run_bridge`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .checks import CheckResult, gain_curve  # noqa: E402


def _e(s: str) -> str:
    return str(s).replace("|", "\\|")


def _f(x: float) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.3f}"


def checks_table(results: list[CheckResult]) -> list[str]:
    md = [
        "| prediction | status | LOO MAE theory | constant | linear in ln N | theory − constant (90% CI) | "
        "theory − linear (90% CI) | detail / missing input |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ci = lambda b, r=r: (
            f"[{r.diff_ci[b][0]:+.3f}, {r.diff_ci[b][1]:+.3f}]"
            if b in r.diff_ci and np.isfinite(r.diff_ci[b][0])
            else "–"
        )
        extra = r.detail + (f" **Missing:** {r.missing}." if r.missing else "")
        if "uniform_lift" in r.mae:
            extra += f" Uniform-lift baseline (RL lifts pass@k by its pass@1 gain): MAE {_f(r.mae['uniform_lift'])}."
        md.append(
            f"| **{r.hid}**: {_e(r.prediction)} | {r.status} | {_f(r.mae.get('theory'))} | "
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
            f"| {_e(x['group'])} | {_e(x['benchmark'])} | {x['n_params'] / 1e9:.3g} | {_f(x['base'])} | "
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
        xlabel="base pass@1 (rate)",
        ylabel="RL gain in pass@1 (rate)",
        xlim=(0, 1),
        title="Published RL gains vs base accuracy (▲: not all [P])",
    )
    ax.legend(fontsize=6, loc="upper right")
    fig.tight_layout()
    path = out / "gain_vs_base.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def large_k_figure(rows: list[dict], out: Path) -> Path:
    """H5: RL − base at large k next to the pass@1 gain of the same group and benchmark."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    lab = [f"{r['group'].split(':')[-1][:28]}\n{r['benchmark']} ({r['metric']})" for r in rows]
    y = np.arange(len(rows))
    ax.barh(y - 0.2, [r["delta"] for r in rows], 0.4, label="Δ at large k (RL − base)", color="C3")
    ax.barh(y + 0.2, [r["pass1_gain"] for r in rows], 0.4, label="Δ pass@1", color="C0")
    ax.axvline(0, color="k", lw=0.6)
    ax.set_yticks(y, lab, fontsize=6)
    ax.set(xlabel="rate", title="H5: RL sharpens pass@1 but not pass@k at large k")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "h5_large_k.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
