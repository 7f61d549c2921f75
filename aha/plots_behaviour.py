"""Figures of the aha as an event and as a behaviour (PNG under RUN_DIR/figures/).

- onset against N: each cell with an aha at its onset update; cells without one on an axis of their
  own below, by why not (flat, ramp, fall, small, too short);
- revision use against N (a run with `revise` cells): `<wait>` use before and after RL, how often a
  revision fixes the step, completion length over RL, and the RL gain with revise against without.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from theory.plots import N_LABEL, save  # noqa: E402
from toymodels.behaviour import length_curves  # noqa: E402, F401  (aha/study_figures.py draws with it)
from toymodels.results import slice_label, slices  # noqa: E402

_NONE_MARK = {
    "flat": ("x", "0.55"),
    "ramp": ("^", "0.35"),
    "fall": ("v", "0.15"),
    "small": ("s", "0.45"),
    "too short": ("d", "0.75"),
}
"""Marker and grey level of each reason a cell has no aha (colours are kept for the ahas)."""


def onset_vs_size(on: xr.Dataset, path: Path) -> Path:
    """Onset update against N for the cells with an aha (theory.onset), on the onset axis only; the
    cells without one below it, on an axis of their own, one row per reason (nothing that is not an
    onset is drawn on the onset axis)."""
    fig, (ax, ax_none) = plt.subplots(
        2, 1, figsize=(6.2, 4.8), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]}, layout="constrained"
    )
    last = max(float(on.attrs.get("last_update", np.nanmax(on["aha_onset"].values, initial=1.0))), 1.0)
    on = on.assign(n_cell=on["n_params"].broadcast_like(on["aha_onset"]))
    groups = [(slice_label(chosen), sub) for chosen, sub in slices(on)]
    rng = np.random.default_rng(0)
    rows = {call: i for i, call in enumerate(_NONE_MARK)}
    labelled: set[str] = set()
    for i, (label, sub) in enumerate(groups):
        n = sub["n_cell"].values.ravel()
        jit = np.exp(0.04 * (i - (len(groups) - 1) / 2))
        found = sub["aha_found"].values.ravel().astype(bool)
        if found.any():
            ax.scatter(
                n[found] * jit,
                sub["aha_onset"].values.ravel()[found],
                s=22,
                color=f"C{i % 10}",
                label=f"aha onset{' (' + label + ')' if label else ''}",
            )
        calls = sub["aha_call"].values.ravel().astype(str)
        for call, (m, c) in _NONE_MARK.items():
            k = (calls == call) & ~found
            if k.any():
                y = np.full(k.sum(), rows[call]) + rng.uniform(-0.2, 0.2, k.sum())
                ax_none.scatter(n[k] * jit, y, marker=m, s=20, color=c, label=None if call in labelled else call)
                labelled.add(call)
    if not on["aha_found"].values.any():
        ax.text(0.5, 0.5, "no cell shows an aha", ha="center", va="center", color="0.4", transform=ax.transAxes)
    ax.set_ylim(-0.03 * last, 1.05 * last)  # an onset at update 0 stays visible
    ax.axhline(last, color="0.7", lw=0.6, ls="--", label="last RL update")
    ax.set_xscale("log")
    ax.set_ylabel("onset of the aha\n(RL update at 10% of the rise)")
    ax.set_title("When the reward jumps: change-point onset per cell against size", fontsize=9)
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax_none.set_yticks(range(len(rows)), list(rows), fontsize=7)
    ax_none.set_ylim(-0.6, len(rows) - 0.4)
    ax_none.set_ylabel("no aha: why not\n(one mark per cell)", fontsize=8)
    ax_none.set_xlabel(N_LABEL)
    return save(fig, path, tight=False)


def revision_panels(cells, path: Path, curves: dict | None = None) -> Path:
    """Revision use against N from a per-cell table (columns task, revise, n_params, gain and
    base_/rl_ wait_rate, revise_fix_rate, completion_len): `<wait>` use before and after RL, the
    share of revisions that fix the step, completion length (before and after RL, or over RL from
    ``curves`` = {(task, revise): (n_params, updates, mean length)}), and the gain with revise on and off."""
    import pandas as pd  # noqa: PLC0415

    cells = pd.DataFrame(cells)
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    per = cells.groupby(["task", "revise", "n_params"]).mean(numeric_only=True).reset_index()
    for i, (task, g) in enumerate(per.groupby("task")):
        on, off = g[g.revise], g[~g.revise]
        c = f"C{i}"
        for ax, var in ((axes[0], "wait_rate"), (axes[1], "revise_fix_rate")):
            ax.plot(on.n_params, on[f"base_{var}"], "--o", ms=3, color=c, label=f"{task}: base")
            ax.plot(on.n_params, on[f"rl_{var}"], "-o", ms=3, color=c, label=f"{task}: after RL")
        if curves:
            for (t, rev), (ns, steps, lens) in curves.items():
                if t == task and rev:
                    norm = matplotlib.colors.LogNorm(vmin=min(ns), vmax=max(ns) * 1.01)
                    for n, y in zip(ns, lens, strict=True):
                        axes[2].plot(
                            steps,
                            y,
                            color=plt.cm.viridis(norm(n)),
                            lw=1,
                            ls="-" if i == 0 else ":",
                            label=f"{task}, N = {n:,.0f}",
                        )
        else:
            axes[2].plot(on.n_params, on.base_completion_len, "--o", ms=3, color=c, label=f"{task} revise: base")
            axes[2].plot(on.n_params, on.rl_completion_len, "-o", ms=3, color=c, label=f"{task} revise: after RL")
        axes[3].plot(on.n_params, on.gain, "-o", ms=3, color=c, label=f"{task}: revise on")
        axes[3].plot(off.n_params, off.gain, "--s", ms=3, color=c, label=f"{task}: revise off")
    titles = (
        "share of sampled completions with a <wait>",
        "share of revisions that fix the step",
        "completion length (tokens)" + (" over RL, colour ln N" if curves else ", revise on"),
        "RL gain in pass@1, revise on vs off",
    )
    for j, (ax, title) in enumerate(zip(axes, titles, strict=True)):
        ax.set_title(title, fontsize=9)
        if j != 2 or not curves:
            ax.set_xscale("log")
            ax.set_xlabel(N_LABEL)
            ax.legend(fontsize=6)
        else:
            ax.set_xlabel("RL update")
    axes[3].axhline(0, color="k", lw=0.5)
    for ax in axes[:2]:
        ax.set_ylim(-0.02, 1.02)
    if curves:
        axes[2].legend(fontsize=6)
    fig.suptitle("Self-correction against size (means over seeds, held-out prompts)", fontsize=9)
    return save(fig, path)
