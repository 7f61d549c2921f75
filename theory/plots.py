"""Figures for the fits (matplotlib, Agg backend; every function writes one PNG and returns its path)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from .text import fit_legend, fit_title, nc_name  # noqa: E402
from .transitions import TransitionFit  # noqa: E402

__all__ = ["N_LABEL", "save", "plot_transition", "plot_signal", "plot_entropy_law"]

N_LABEL = "non-embedding parameters N (log scale)"
"""The x label of every figure against size."""


def save(fig, path: Path, tight: bool = True) -> Path:
    """Write ``fig`` as a PNG at 110 dpi (its folder made; laid out tight unless told not) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_transition(y: xr.DataArray, fit: TransitionFit, path: Path, ylabel: str = "y") -> Path:
    """Cells (dots), per-size mean, fitted curves (best and logistic), N_c with its CI band."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    n = y["n_params"].broadcast_like(y).values.ravel()
    v = y.values.ravel()
    ax.scatter(n, v, s=10, alpha=0.4, color="0.4", label="cells")
    un = np.unique(n[np.isfinite(v)])
    ax.plot(un, [np.nanmean(v[n == u]) for u in un], "o", color="k", label="mean over seeds per size")
    grid = np.logspace(np.log10(fit.N_range[0]), np.log10(fit.N_range[1]), 200)
    best = fit.comparison.best_bic
    ax.plot(grid, fit.predict(grid, best), color="C0", label=fit_legend(best, fit.verdict))
    if best != "logistic" and "logistic" in fit.params:
        ax.plot(grid, fit.predict(grid, "logistic"), "--", color="C1", label="logistic fit")
    lo_n, hi_n = float(np.nanmin(n)), float(np.nanmax(n))
    if np.all(np.isfinite(fit.N_c_ci)):  # clipped to the sizes measured: nothing is known outside them
        lo, hi = max(fit.N_c_ci[0], lo_n), min(fit.N_c_ci[1], hi_n)
        clipped = lo > fit.N_c_ci[0] or hi < fit.N_c_ci[1]
        if lo < hi:
            note = " (clipped to the sizes measured)" if clipped else ""
            ax.axvspan(
                lo, hi, color="C1", alpha=0.15, label=f"{nc_name(fit.verdict)} {fit.ci_level:.0%} interval{note}"
            )
    if np.isfinite(fit.N_c) and lo_n <= fit.N_c <= hi_n:
        what = "midpoint of its bracket" if fit.N_c_bracketed else "estimate"
        ax.axvline(fit.N_c, color="C1", lw=1, label=f"{nc_name(fit.verdict)} ({what})")
    ax.set_xscale("log")
    ax.set_xlim(lo_n / 1.5, hi_n * 1.5)
    ax.set_xlabel("non-embedding parameters N (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(
        fit_title(ylabel.split(" (")[0], fit.verdict, fit.trustworthy) + "\n(dots are cells, one seed each)",
        fontsize=9,
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_signal(
    n_params: np.ndarray, curves: dict[str, np.ndarray], path: Path, ylabel: str = "", title: str = ""
) -> Path:
    """Several base-only quantities (φ, p = q^L, ...) against N (each a mean over seeds per size)."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    order = np.argsort(n_params)
    for name, c in curves.items():
        ax.plot(np.asarray(n_params)[order], np.asarray(c)[order], "o-", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("non-embedding parameters N (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title((title or f"{ylabel.split(' (')[0]} against size") + "\n(means over seeds per size)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_entropy_law(
    reward: xr.DataArray, entropy: xr.DataArray, law: xr.Dataset, path: Path, max_cells: int = 12
) -> Path:
    """R against exp(H) per cell (up to ``max_cells`` cells, spread over sizes) with the fitted lines;
    the colour is the cell's size N (colour bar), so seeds of one size share a colour."""
    fig, ax = plt.subplots(figsize=(6.2, 3.9))
    cell_dims = [d for d in reward.dims if d != "step"]
    R = reward.stack(cell=cell_dims) if cell_dims else reward.expand_dims(cell=[0])
    H = entropy.stack(cell=cell_dims) if cell_dims else entropy.expand_dims(cell=[0])
    a = law["a"].stack(cell=cell_dims).values if cell_dims else np.atleast_1d(law["a"].values)
    b = law["b"].stack(cell=cell_dims).values if cell_dims else np.atleast_1d(law["b"].values)
    n = (
        R["n_params"].broadcast_like(R.isel(step=0)).values.astype(float)
        if "n_params" in R.coords
        else np.arange(1, R.sizes["cell"] + 1, dtype=float)
    )
    norm = matplotlib.colors.LogNorm(vmin=max(1.0, np.nanmin(n)), vmax=max(2.0, np.nanmax(n)))
    shown = np.unique(np.linspace(0, R.sizes["cell"] - 1, min(R.sizes["cell"], max_cells)).round().astype(int))
    for i in shown:
        X = np.exp(H.isel(cell=i).values)
        if not np.isfinite(X).any():  # an excluded cell
            continue
        c = plt.cm.viridis(norm(n[i]))
        ax.plot(X, R.isel(cell=i).values, ".", color=c, alpha=0.6)
        xs = np.linspace(np.nanmin(X), np.nanmax(X), 20)
        ax.plot(xs, -a[i] * xs + b[i], color=c, lw=1)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=ax, label="non-embedding parameters N")
    ax.plot([], [], "k.", label="one RL update of one cell")
    ax.plot([], [], "k-", lw=1, label="fitted R = −a·exp(H) + b")
    ax.legend(fontsize=7)
    ax.set_xlabel("exp(policy entropy H), H in nats per token")
    ax.set_ylabel("mean reward per sample (0 to 1)")
    ax.set_title(f"Entropy–reward law per cell ({len(shown)} of {R.sizes['cell']} cells shown)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
