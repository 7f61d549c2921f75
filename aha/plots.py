"""Figures of a grid run (PNG, under RUN_DIR/figures/).

- phase diagram: RL gain over width x depth, mean over seeds, annotated with the seed spread;
- gain against n_params (each seed a point, the mean a line) with base pass@1 beside base greedy
  accuracy, base pass@k_max and trace pass@k_max on the same axes, and the chance level;
- learning curves (reward, entropy, informative-group fraction) coloured by size;
- pass@k curves, base vs after RL, for a small, a medium and a large model and the one nearest
  the fitted threshold (when fits.json has it).

Lines are means over seeds; bars or bands show the spread over seeds; axes say their units.

One set of figures per combination of the extra axes (horizon, prior, variant, ...).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from theory.plots import N_LABEL, save  # noqa: E402
from theory.transitions import threshold_size  # noqa: E402
from toymodels.results import (  # noqa: E402
    file_suffix,
    gain_vs_size_series,
    ok_only,
    rl_gain,
    size_series,
    slice_label,
    slices,
)

__all__ = ["N_LABEL", "gain_vs_size_series", "plot_run", "run_figures", "threshold_size"]

RATE = "fraction of held-out prompts"
FEW_SIZES = 8
"""Up to this many sizes, learning curves name each size in a legend (more: a colour bar of N)."""


def _suptitle(title: str, slice_title: str) -> str:
    return title + (f"\n{slice_title}" if slice_title else "")


def phase_diagram(ds: xr.Dataset, title: str, path: Path) -> Path:
    gain = rl_gain(ok_only(ds))
    mean, sd = gain.mean("seed"), gain.std("seed", ddof=1)
    W, D = ds.width.values, ds.depth.values
    # at least 3.6 in tall, so that the colour bar's two-line label fits beside a single depth row
    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(W), max(3.6, 1.6 + 0.9 * len(D))))
    vmax = max(0.05, float(np.nanmax(np.abs(mean.values)))) if np.isfinite(mean.values).any() else 1
    im = ax.imshow(
        mean.transpose("depth", "width").values, origin="lower", cmap="RdBu", vmin=-vmax, vmax=vmax, aspect="auto"
    )
    for i, d in enumerate(D):
        for j, w in enumerate(W):
            m, s = float(mean.sel(width=w, depth=d)), float(sd.sel(width=w, depth=d))
            ax.text(
                j,
                i,
                f"{m:+.2f}\n±{s:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(m) > 0.6 * vmax else "black",
            )
    ax.set_xticks(range(len(W)), [str(w) for w in W])
    ax.set_yticks(range(len(D)), [str(d) for d in D])
    ax.set_xlabel("width (model dimension d_model)")
    ax.set_ylabel("depth (transformer layers)")
    ax.set_title(_suptitle(f"RL gain in pass@1: mean ± sd over {ds.sizes['seed']} seeds", title), fontsize=9)
    fig.colorbar(im, ax=ax, label=f"RL gain in pass@1\n({RATE})")
    return save(fig, path)


_SERIES_STYLE = {
    "RL gain": ("-o", "C0"),
    "base pass@1": ("--o", "C3"),
    "base greedy acc": ("-D", "C4"),
    "base pass@": ("--s", "C1"),
    "base trace": (":^", "C2"),
}


def gain_vs_size(ds: xr.Dataset, title: str, path: Path) -> Path:
    d = ok_only(ds)
    fig, ax = plt.subplots(figsize=(6.8, 4.4))
    for depth in d.depth.values:
        sub = d.sel(depth=depth)
        tag = f" (depth {depth})" if d.sizes["depth"] > 1 else ""
        n = sub.n_params.values if sub.n_params.ndim else np.full(sub.sizes["width"], float(sub.n_params))
        gain = rl_gain(sub)
        for i, s in enumerate(d.seed.values):
            ax.scatter(
                n,
                gain.sel(seed=s).values,
                s=12,
                color="C0",
                alpha=0.5,
                label="RL gain, one seed" if i == 0 and depth == d.depth.values[0] else None,
            )
        for label, (nn, y, sd) in size_series(sub).items():
            style, color = next(v for k, v in _SERIES_STYLE.items() if label.startswith(k))
            ax.errorbar(
                nn, y, yerr=sd, fmt=style, ms=4, color=color, capsize=2, lw=1.2, elinewidth=0.8, label=f"{label}{tag}"
            )
    if "chance" in d:
        ax.axhline(float(d.chance.sel(split="id").max()), color="grey", lw=0.8, ls="-.", label="chance (pass@1)")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel(N_LABEL)
    ax.set_ylabel(f"pass rate or gain ({RATE})")
    ax.set_title(
        _suptitle(
            f"RL gain and base capability against size (lines: mean over {d.sizes['seed']} "
            "seeds, bars: ± sd over seeds)",
            title,
        ),
        fontsize=9,
    )
    ax.legend(fontsize=7)
    return save(fig, path)


_CURVE_LABELS = {
    "reward": ("reward per sample", "mean reward (0 to 1)"),
    "entropy": ("policy entropy", "entropy (nats per token)"),
    "informative_frac": ("informative groups φ", "φ (fraction of GRPO groups)"),
}


def learning_curves(ds: xr.Dataset, title: str, path: Path) -> Path:
    d = ok_only(ds).stack(size=("width", "depth"))
    names = [v for v in ("reward", "entropy", "informative_frac") if v in d]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.8), squeeze=False, layout="constrained")
    n = d.n_params.values if "n_params" in d.coords and d.n_params.ndim else np.arange(d.sizes["size"])
    norm = matplotlib.colors.LogNorm(vmin=max(1, np.nanmin(n)), vmax=max(2, np.nanmax(n)))
    few = d.sizes["size"] <= FEW_SIZES  # then each size is a legend entry in a colour of its own
    x = d.samples.values if "samples" in d.coords else d.step.values
    for ax, name in zip(axes[0], names):
        for i in range(d.sizes["size"]):
            v = d[name].isel(size=i)
            c = f"C{i}" if few else plt.cm.viridis(norm(n[i]))
            ax.fill_between(x, v.min("seed").values, v.max("seed").values, color=c, alpha=0.15, lw=0)
            ax.plot(x, v.mean("seed").values, color=c, lw=1.2, label=f"N = {n[i]:,.0f}")
        ax.set_xlabel("episodes consumed (samples)" if "samples" in d.coords else "RL update")
        ax.set_title(_CURVE_LABELS.get(name, (name, ""))[0], fontsize=9)
        ax.set_ylabel(_CURVE_LABELS.get(name, ("", name))[1])
    if few:
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right center", fontsize=7, title="size (non-embedding N)")
    else:
        fig.colorbar(
            plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=axes[0].tolist(), label="non-embedding parameters N"
        )
    fig.suptitle(
        _suptitle(
            f"RL learning curves per size: lines are means over {d.sizes['seed']} seeds, bands the range over seeds",
            title,
        ),
        fontsize=9,
    )
    return save(fig, path, tight=False)


def passk_curves(ds: xr.Dataset, title: str, path: Path, fit: dict | None = None) -> Path:
    """pass@k before and after RL for the smallest, the middle and the largest size, and the size
    nearest the threshold of ``fit`` (fits.json's H1 rl_gain) when given."""
    d = ok_only(ds).stack(size=("width", "depth"))
    n = d.n_params.values if d.n_params.ndim else np.arange(d.sizes["size"])
    order = np.argsort(n)
    at = threshold_size(n, fit)
    picks = sorted({order[0], order[len(order) // 2], order[-1], *([at] if at is not None else [])}, key=lambda i: n[i])
    fig, axes = plt.subplots(1, len(picks), figsize=(3.9 * len(picks), 3.8), squeeze=False, sharey=True)
    for ax, i in zip(axes[0], picks):
        cell = d.isel(size=i)
        for j, (var, style, label) in enumerate(
            (
                ("base_pass_at_k", "--o", "base"),
                ("rl_pass_at_k", "-o", "after RL"),
                ("base_trace_pass_at_k", "--^", "base, whole trace"),
                ("rl_trace_pass_at_k", "-^", "after RL, whole trace"),
            )
        ):
            if var not in cell:
                continue
            v = cell[var].sel(split="id")
            ax.fill_between(cell.k.values, v.min("seed").values, v.max("seed").values, color=f"C{j}", alpha=0.12, lw=0)
            ax.plot(cell.k.values, v.mean("seed").values, style, ms=3, color=f"C{j}", label=label)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("k (samples per prompt)")
        w, dep = d["width"].values[i], d["depth"].values[i]
        near = "\nnearest the threshold N_c" if i == at else ""
        ax.set_title(f"width {w}, depth {dep} (N = {int(n[i]):,}){near}", fontsize=9)
    axes[0][0].set_ylabel(f"pass@k ({RATE})")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(
        _suptitle(
            f"pass@k before and after RL: lines are means over {d.sizes['seed']} seeds, bands the range over seeds",
            title,
        ),
        fontsize=9,
    )
    return save(fig, path)


_FIGURES = {
    "phase_diagram": "RL gain over width and depth",
    "gain_vs_size": "RL gain and base capability against size",
    "learning_curves": "RL learning curves per size",
    "passk_curves": "pass@k before and after RL",
}
"""The run's figures per slice of the extra axes, in report order, with their titles in words."""


def _plan(ds: xr.Dataset) -> list[tuple[str, dict, xr.Dataset, str]]:
    """(figure, slice selection, sub-dataset, file name) of every figure of the run."""
    return [
        (name, chosen, sub, f"{name}{file_suffix(chosen)}.png")
        for chosen, sub in slices(ds)
        for name in _FIGURES
        if name != "learning_curves" or "step" in sub.dims
    ]


def run_figures(ds: xr.Dataset, run_dir: Path) -> list[tuple[Path, str]]:
    """(path, title in words) of the run's figures that are on disk, in report order."""
    out = []
    for name, chosen, _, file in _plan(ds):
        path = Path(run_dir) / "figures" / file
        if path.is_file():
            out.append((path, _FIGURES[name] + (f" ({slice_label(chosen)})" if chosen else "")))
    return out


def plot_run(run_dir: Path, only: tuple[str, ...] = ()) -> list[Path]:
    """Write every figure of the run (or those named in ``only``); returns their paths. The pass@k
    figure adds the size nearest the threshold when fits.json holds an H1 fit; a run with revise
    cells also gets the self-correction figure."""
    from toymodels.storage import load_dataset, read_json  # noqa: PLC0415

    from .report_behaviour import behaviour_figure  # noqa: PLC0415

    run_dir = Path(run_dir)
    ds = load_dataset(run_dir / "grid.nc")
    fits = read_json(run_dir / "fits.json")
    draw = {"phase_diagram": phase_diagram, "gain_vs_size": gain_vs_size, "learning_curves": learning_curves}
    figs = []
    for name, chosen, sub, file in _plan(ds):
        if only and name not in only:
            continue
        path, title = run_dir / "figures" / file, slice_label(chosen)
        if name == "passk_curves":
            figs.append(passk_curves(sub, title, path, fits.get("H1", {}).get("rl_gain") if not chosen else None))
        else:
            figs.append(draw[name](sub, title, path))
    if not only or "self_correction" in only:
        figs += behaviour_figure(ds, run_dir)
    return figs
