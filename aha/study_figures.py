"""The study's figures (PNG under STUDY/figures/), one or two per claim, drawn from the cell table,
the curves and what theory decided (theory.study_claims, theory.claims_behaviour)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from theory import study_stats as sa  # noqa: E402
from theory.claims_behaviour import behaviour_cells, judged_cells  # noqa: E402
from theory.study_claims import CAPABILITY_LINE, Setup, capability_cells, format_setting  # noqa: E402
from theory.study_signals import FLIPPED  # noqa: E402
from theory.takeoff import TAKEOFF  # noqa: E402
from theory.verdict import GAIN, mean_ci  # noqa: E402

from .plots_behaviour import length_curves, revision_panels  # noqa: E402


def _cls_color(cells, n):
    ns = np.log(sorted(cells["n_params"].unique()))
    return plt.cm.viridis((np.log(n) - ns.min()) / max(np.ptp(ns), 1e-9))


def _save(path: Path, fig) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def c1(s: Setup, fig_dir: Path) -> None:
    cap = capability_cells(s)
    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    sc = ax.scatter(cap["coverage"], cap["gain"], c=np.log(cap["n_params"]), s=10, cmap="viridis")
    ax.axvline(CAPABILITY_LINE, color="k", lw=0.6, ls="--")
    ax.axhline(GAIN, color="C3", lw=0.6, ls=":")
    ax.set_xlabel("base trace pass@k_max (capability)")
    ax.set_ylabel("RL gain")
    fig.colorbar(sc, label="ln N")
    _save(fig_dir / "C1_gain_vs_capability.png", fig)


def c3(s: Setup, factors: list[dict], fig_dir: Path) -> None:
    """N_c bracket (bar) and crossing (dot) per value of each factor (C3's numbers)."""
    if not factors:
        return
    cells = s.cells
    fig, axes = plt.subplots(1, len(factors), figsize=(3.2 * len(factors), 3.2), squeeze=False)
    nmin, nmax = cells["n_params"].min() / 2, cells["n_params"].max() * 2
    for ax, f in zip(axes[0], factors, strict=True):
        for i, x in enumerate(f["values"]):
            if not x.get("located"):
                continue
            nc, (lo, hi) = x["N_c"], (float("inf") if v is None else v for v in x["interval"])
            lo_d, hi_d = (lo if lo > 0 else nmin), (hi if np.isfinite(hi) else nmax)
            ax.plot([i, i], [lo_d, hi_d], color="C0", lw=3, alpha=0.6)
            if np.isfinite(nc):
                ax.plot(i, nc, "o", color="k")
            if not np.isfinite(hi):
                ax.annotate("", (i, nmax), (i, lo_d), arrowprops={"arrowstyle": "->"})
        ax.set_xticks(range(len(f["values"])), [x["value"] for x in f["values"]], rotation=30, fontsize=7)
        ax.set_yscale("log")
        ax.set_title(f"N_c vs {f['factor']} ({f['category']})", fontsize=9)
    axes[0][0].set_ylabel("N_c of P(take-off):\ninterval (bar), 50% point (dot)", fontsize=8)  # fits 3.2 in
    _save(fig_dir / "C3_nc_factors.png", fig)


def takeoff(ref: pd.DataFrame, fit, path: Path) -> None:
    """C2: the share of seeds that take off per size (with its count) and the fitted P(take-off | N)
    with N_c and its interval."""
    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    frac = np.array(fit.takeoffs_per_size) / np.array(fit.n_per_size)
    ax.scatter(ref["n_params"], (ref["gain"] >= TAKEOFF).astype(float), s=8, color="grey", alpha=0.4)
    ax.plot(fit.sizes, frac, "o", color="C0", label="share of seeds that take off")
    for n_, f_, k, m in zip(fit.sizes, frac, fit.takeoffs_per_size, fit.n_per_size, strict=True):
        ax.annotate(f"{k}/{m}", (n_, f_), textcoords="offset points", xytext=(3, 4), fontsize=7)
    grid = np.geomspace(min(fit.sizes) / 2, max(fit.sizes) * 2, 200)
    ax.plot(grid, fit.predict(grid), color="C1", label=f"fit ({fit.family})")
    if fit.N_c is not None:
        lo, hi = fit.N_c_ci
        ax.axvspan(max(lo, grid[0]), min(hi, grid[-1]), color="C1", alpha=0.15, label="N_c interval")
        ax.axvline(fit.N_c, color="C1", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("N (non-embedding parameters)")
    ax.set_ylabel(f"P(take-off = gain ≥ {TAKEOFF:g})")
    ax.set_title(textwrap.fill(f"C2: {fit.verdict}", 70), fontsize=7)
    ax.legend(fontsize=7)
    _save(path, fig)


def curves(s: Setup, curves: dict, fig_dir: Path) -> None:
    """C4-C6: reward and entropy over RL of the reference cells, and the format share (C5)."""
    cells, ref, fmt = s.cells, s.ref, format_setting(s)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for ax, var in zip(axes, ("reward", "entropy"), strict=False):
        for row in cells[(cells.key == ref) & (cells.status == "ok")].itertuples(index=False):
            cv = curves.get((row.setting, row.width, row.seed))
            if cv and var in cv:
                ax.plot(cv["samples"], cv[var], color=_cls_color(cells, row.n_params), lw=0.8, alpha=0.7)
        ax.set_title(f"{var} over RL (reference), colour = ln N", fontsize=9)
        ax.set_xlabel("episodes")
    ax = axes[2]
    if fmt:
        for row in cells[(cells.setting == fmt) & (cells.status == "ok")].itertuples(index=False):
            ax.plot([0, 1], [row.format_start, row.format_end], "-o", ms=3, color=_cls_color(cells, row.n_params))
        ax.set_xticks([0, 1], ["start of RL", "end of RL"])
    ax.set_title("share of reward from format (format-bonus)", fontsize=9)
    every = s.with_excluded()  # the colour scale spans every size, the set-aside cells too
    ns = np.log(every["n_params"].to_numpy(float))
    sm = plt.cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(ns.min(), ns.max()))
    fig.colorbar(sm, ax=axes[2], label="ln N (colour of every panel)")
    _save(fig_dir / "C4_C5_C6_curves.png", fig)


def signals(s: Setup, names: list[str], fig_dir: Path, name: str) -> None:
    """C6 / C7: gain difference against plain per size with its interval, one line per signal."""
    if not names:
        return
    cells, ref = s.cells, s.ref
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for i, sig in enumerate(names):
        d = sa.paired_diffs(cells, ref, s.recipe[sig][0]).merge(
            cells[cells.key == ref][["width", "n_params"]].drop_duplicates()
        )
        label = sig
        if sig in FLIPPED:  # the arm without the signal: with - without = plain - setting (C7's reading)
            d, label = d.assign(diff=-d["diff"]), f"{FLIPPED[sig]} (plain - {sig})"
        rows = [(n, *mean_ci(g["diff"])[:3]) for n, g in d.groupby("n_params")]
        if rows:
            n, m, lo, hi = map(np.array, zip(*rows, strict=True))
            yerr = [m - np.nan_to_num(lo, nan=m), np.nan_to_num(hi, nan=m) - m]
            ax.errorbar(n * (1 + 0.04 * i), m, yerr=yerr, fmt="o-", ms=3, capsize=2, label=label)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("N")
    ax.set_ylabel("gain difference vs plain (90% CI)")
    ax.legend(fontsize=7)
    _save(fig_dir / f"{name}.png", fig)


def predictions(loso, best: str, fig_dir: Path) -> None:
    """C8: held-out predicted gain against the observed, the best base-only predictor and ln N."""
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
    _save(fig_dir / "C8_predicted_vs_observed.png", fig)


def c10(cells: pd.DataFrame, fig_dir: Path) -> None:
    """C10: onset against size (cells without an aha on top) and against φ at the start of RL."""
    rl = judged_cells(cells)
    if rl.empty:
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    last = float(np.nanmax(rl["rl_updates"], initial=1.0)) if "rl_updates" in rl else 150.0
    ax = axes[0]
    jit = np.exp(np.random.default_rng(0).uniform(-0.05, 0.05, len(rl)))
    found = rl["aha_found"].to_numpy(bool)
    gain = rl["gain"].to_numpy(float) >= GAIN
    n = rl["n_params"].to_numpy(float) * jit
    ax.scatter(n[found], rl["aha_onset"][found], s=18, color="C0", label="aha onset")
    for mask, y, m, c, lab in (
        (~found & gain, 1.08, "^", "C1", "no aha, gained ≥ 0.1"),
        (~found & ~gain, 1.16, "x", "0.5", "no aha, no gain"),
    ):
        ax.scatter(n[mask], np.full(mask.sum(), y * last), marker=m, s=14, color=c, label=lab)
    ax.axhline(last, color="0.7", lw=0.6, ls="--")
    ax.set_ylim(0, 1.22 * last)
    ax.set_xscale("log")
    ax.set_xlabel("non-embedding parameters N")
    ax.set_ylabel("onset (RL update at 10% of the rise)")
    ax.set_title("C10: onset of the aha against size; cells without one on top", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    a = rl[found]
    ax.scatter(a["phi_start"], a["aha_onset"], s=18, c=np.log(a["n_params"]), cmap="viridis")
    ax.set_xlabel("φ measured at the first RL update")
    ax.set_ylabel("onset (update)")
    ax.set_title("C10: does φ at the start of RL predict the onset? (colour ln N)", fontsize=9)
    _save(fig_dir / "C10_onset.png", fig)


def c11(cells: pd.DataFrame, behaviour: list[str], curves: dict, fig_dir: Path) -> None:
    """C11: revision use against size (aha/plots_behaviour.revision_panels) with length curves over RL."""
    sub = behaviour_cells(cells, behaviour)

    def rows():
        for r in sub.itertuples(index=False):
            cv = curves.get((r.setting, r.width, r.seed), {})
            if "completion_len" in cv:
                yield r.task, r.revise, r.n_params, cv["step"], cv["completion_len"]

    revision_panels(sub, fig_dir / "C11_revisions.png", length_curves(rows()) if curves else None)
