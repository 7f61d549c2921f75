"""Figures of a grid run (PNG, under RUN_DIR/figures/).

- phase diagram: RL gain over width x depth, mean over seeds, annotated with the seed spread;
- gain against n_params (each seed a point, the mean a line) with base pass@1 beside base greedy
  accuracy, base pass@k_max and trace pass@k_max on the same axes, and the chance level;
- learning curves (reward, entropy, informative-group fraction) coloured by size;
- pass@k curves, base vs after RL, for a small, a medium and a large model.

One set of figures per combination of the extra axes (horizon, prior, variant, ...).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

GRID_DIMS = ("width", "depth", "seed")


def rl_gain(ds: xr.Dataset, split: str = "id") -> xr.DataArray:
    """rl_gain = rl pass@1 - base pass@1 (derived, never stored)."""
    return (ds.rl_pass_at_k.sel(k=1, split=split) - ds.base_pass_at_k.sel(k=1, split=split)).rename("rl_gain")


def extra_dims(ds: xr.Dataset) -> list[str]:
    return [d for d in ds.dims if d not in (*GRID_DIMS, "split", "k", "step")]


def slices(ds: xr.Dataset) -> list[tuple[str, xr.Dataset]]:
    """(suffix, sub-dataset) for each combination of the extra axes."""
    dims = extra_dims(ds)
    if not dims:
        return [("", ds)]
    out = []
    for values in itertools.product(*(ds[d].values.tolist() for d in dims)):
        sel = dict(zip(dims, values))
        out.append(("_" + "_".join(f"{k}-{v}" for k, v in sel.items()), ds.sel(sel)))
    return out


def ok_only(ds: xr.Dataset) -> xr.Dataset:
    """Mask cells whose status is not 'ok' (diverged or failed) to NaN."""
    if "status" not in ds:
        return ds
    ok = ds.status == "ok"
    return ds.where(ok)


def phase_diagram(ds: xr.Dataset, title: str, path: Path) -> Path:
    gain = rl_gain(ok_only(ds))
    mean, sd = gain.mean("seed"), gain.std("seed", ddof=1)
    W, D = ds.width.values, ds.depth.values
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(W), 1.4 + 0.9 * len(D)))
    vmax = max(0.05, float(np.nanmax(np.abs(mean.values)))) if np.isfinite(mean.values).any() else 1
    im = ax.imshow(mean.transpose("depth", "width").values, origin="lower", cmap="RdBu", vmin=-vmax, vmax=vmax,
                   aspect="auto")
    for i, d in enumerate(D):
        for j, w in enumerate(W):
            m, s = float(mean.sel(width=w, depth=d)), float(sd.sel(width=w, depth=d))
            ax.text(j, i, f"{m:+.2f}\n±{s:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if abs(m) > 0.6 * vmax else "black")
    ax.set_xticks(range(len(W)), [str(w) for w in W])
    ax.set_yticks(range(len(D)), [str(d) for d in D])
    ax.set_xlabel("width (d_model)")
    ax.set_ylabel("depth (n_layers)")
    ax.set_title(f"RL gain in pass@1 (mean ± sd over {ds.sizes['seed']} seeds)\n{title}", fontsize=9)
    fig.colorbar(im, ax=ax, label="rl_pass@1 − base_pass@1")
    return _save(fig, path)


def gain_vs_size_series(sub: xr.Dataset) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Curves of the gain-vs-size figure for one depth, each (n_params, mean over ok seeds) sorted by N:
    RL gain, base pass@1 beside base greedy accuracy (their gap is what sharpening can close), base
    pass@k_max and trace pass@k_max."""
    d = ok_only(sub)
    kmax = int(d.k.max())
    n = d.n_params.values if d.n_params.ndim else np.full(d.sizes["width"], float(d.n_params))
    order = np.argsort(n)
    mean = lambda da: da.mean("seed").values[order]  # noqa: E731
    out = {"RL gain (pass@1)": (n[order], mean(rl_gain(d))),
           "base pass@1": (n[order], mean(d.base_pass_at_k.sel(k=1, split="id")))}
    if "base_greedy_acc" in d:
        out["base greedy acc"] = (n[order], mean(d.base_greedy_acc.sel(split="id")))
    out[f"base pass@{kmax}"] = (n[order], mean(d.base_pass_at_k.sel(k=kmax, split="id")))
    if "base_trace_pass_at_k" in d:
        out[f"base trace pass@{kmax}"] = (n[order], mean(d.base_trace_pass_at_k.sel(k=kmax, split="id")))
    return out


_SERIES_STYLE = {"RL gain": ("-o", "C0"), "base pass@1": ("--o", "C3"), "base greedy acc": ("-D", "C4"),
                 "base pass@": ("--s", "C1"), "base trace": (":^", "C2")}


def gain_vs_size(ds: xr.Dataset, title: str, path: Path) -> Path:
    d = ok_only(ds)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for depth in d.depth.values:
        sub = d.sel(depth=depth)
        tag = f" (depth {depth})" if d.sizes["depth"] > 1 else ""
        n = sub.n_params.values if sub.n_params.ndim else np.full(sub.sizes["width"], float(sub.n_params))
        gain = rl_gain(sub)
        for s in d.seed.values:
            ax.scatter(n, gain.sel(seed=s).values, s=12, color="C0", alpha=0.5)
        for label, (nn, y) in gain_vs_size_series(sub).items():
            style, color = next(v for k, v in _SERIES_STYLE.items() if label.startswith(k))
            ax.plot(nn, y, style, ms=4, color=color, label=f"{label}{tag}")
    if "chance" in d:
        ax.axhline(float(d.chance.sel(split="id").max()), color="grey", lw=0.8, ls="-.", label="chance (pass@1)")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("n_params (non-embedding)")
    ax.set_ylabel("rate")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return _save(fig, path)


def learning_curves(ds: xr.Dataset, title: str, path: Path) -> Path:
    d = ok_only(ds).stack(size=("width", "depth"))
    names = [v for v in ("reward", "entropy", "informative_frac") if v in d]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), squeeze=False, layout="constrained")
    n = d.n_params.values if "n_params" in d.coords and d.n_params.ndim else np.arange(d.sizes["size"])
    norm = matplotlib.colors.LogNorm(vmin=max(1, np.nanmin(n)), vmax=max(2, np.nanmax(n)))
    x = d.samples.values if "samples" in d.coords else d.step.values
    for ax, name in zip(axes[0], names):
        for i in range(d.sizes["size"]):
            y = d[name].isel(size=i).mean("seed").values
            ax.plot(x, y, color=plt.cm.viridis(norm(n[i])), lw=1.2)
        ax.set_xlabel("episodes consumed" if "samples" in d.coords else "RL update")
        ax.set_title(name, fontsize=9)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=axes[0].tolist(), label="n_params")
    fig.suptitle(title, fontsize=9)
    return _save(fig, path, tight=False)


def passk_curves(ds: xr.Dataset, title: str, path: Path) -> Path:
    d = ok_only(ds).stack(size=("width", "depth"))
    n = d.n_params.values if d.n_params.ndim else np.arange(d.sizes["size"])
    order = np.argsort(n)
    picks = sorted({order[0], order[len(order) // 2], order[-1]})
    fig, axes = plt.subplots(1, len(picks), figsize=(4 * len(picks), 3.4), squeeze=False, sharey=True)
    for ax, i in zip(axes[0], picks):
        cell = d.isel(size=i)
        for var, style, label in (("base_pass_at_k", "--o", "base"), ("rl_pass_at_k", "-o", "after RL"),
                                  ("base_trace_pass_at_k", "--^", "base, trace"),
                                  ("rl_trace_pass_at_k", "-^", "after RL, trace")):
            m = cell[var].sel(split="id").mean("seed")
            ax.plot(cell.k.values, m.values, style, ms=3, label=label)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("k")
        w, dep = d["width"].values[i], d["depth"].values[i]
        ax.set_title(f"width {w}, depth {dep} (N={int(n[i]):,})", fontsize=9)
    axes[0][0].set_ylabel("pass@k (in-distribution)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def _save(fig, path: Path, tight: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_run(run_dir: Path) -> list[Path]:
    """Write every figure of the run; returns their paths."""
    from toymodels.storage import load_dataset  # noqa: PLC0415

    ds = load_dataset(Path(run_dir) / "grid.nc")
    out, figs = Path(run_dir) / "figures", []
    for suffix, sub in slices(ds):
        title = suffix.strip("_").replace("_", ", ") or "all cells"
        figs.append(phase_diagram(sub, title, out / f"phase_diagram{suffix}.png"))
        figs.append(gain_vs_size(sub, title, out / f"gain_vs_size{suffix}.png"))
        if "step" in sub.dims:
            figs.append(learning_curves(sub, title, out / f"learning_curves{suffix}.png"))
        figs.append(passk_curves(sub, title, out / f"passk_curves{suffix}.png"))
    return figs
